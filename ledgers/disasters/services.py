"""Disaster registry: add, list, look up, update."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlmodel import Session

from core.clock import check_day, utcnow
from core.errors import Conflict, DomainError, NotFound, StaleEdit
from core.wareki import ERAS
from ledgers.disasters.models import Disaster, DisasterKind, DisasterStatus

NUMBER_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{0,19}$")
KINDS = {k.value for k in DisasterKind}
STATUSES = {s.value for s in DisasterStatus}


@dataclass
class DisasterInput:
    name: str
    kind: str
    occurred_on: date
    number: str | None = None
    relief_act_applied: bool = False
    relief_act_applied_on: date | None = None
    support_act_applied: bool = False
    support_act_applied_on: date | None = None
    status: str = DisasterStatus.active.value


def _validate(data: DisasterInput) -> None:
    if not data.name.strip():
        raise DomainError("災害名を入力してください", field="name")
    if data.kind not in KINDS:
        raise DomainError(f"災害の種類が正しくありません: {data.kind}", field="kind")
    if data.status not in STATUSES:
        raise DomainError(f"状態が正しくありません: {data.status}", field="status")
    if data.relief_act_applied_on and not data.relief_act_applied:
        raise DomainError("災害救助法の適用日は、適用ありの場合のみ入力できます", field="relief_act_applied_on")
    if data.support_act_applied_on and not data.support_act_applied:
        raise DomainError(
            "被災者生活再建支援法の適用日は、適用ありの場合のみ入力できます", field="support_act_applied_on"
        )
    check_day(data.occurred_on, field="occurred_on", what="発生日", earliest=ERAS[0].start, earliest_what="明治元年")
    for field_name, applied_on in (
        ("relief_act_applied_on", data.relief_act_applied_on),
        ("support_act_applied_on", data.support_act_applied_on),
    ):
        if applied_on and applied_on < data.occurred_on:
            raise DomainError("適用日が発生日より前になっています", field=field_name)


def next_number(session: Session, municipality_id: int, year: int) -> str:
    count = session.execute(
        select(func.count())
        .select_from(Disaster)
        .where(Disaster.municipality_id == municipality_id, Disaster.number.like(f"{year}-%"))
    ).scalar_one()
    n = count + 1
    while get_disaster(session, municipality_id, f"{year}-{n:02d}") is not None:
        n += 1
    return f"{year}-{n:02d}"


def _editable_fields(data: DisasterInput) -> dict:
    """The columns a staff member sets on creating or editing a disaster."""
    return dict(
        name=data.name.strip(),
        kind=data.kind,
        occurred_on=data.occurred_on,
        relief_act_applied=data.relief_act_applied,
        relief_act_applied_on=data.relief_act_applied_on,
        support_act_applied=data.support_act_applied,
        support_act_applied_on=data.support_act_applied_on,
        status=data.status,
    )


def add_disaster(session: Session, municipality_id: int, data: DisasterInput) -> Disaster:
    _validate(data)
    number = (data.number or "").strip() or next_number(session, municipality_id, data.occurred_on.year)
    if not NUMBER_PATTERN.match(number):
        raise DomainError("災害番号は英数字とハイフン20文字以内で指定してください", field="number")
    if get_disaster(session, municipality_id, number) is not None:
        raise Conflict(f"災害番号 {number} は既に登録されています", field="number")
    disaster = Disaster(municipality_id=municipality_id, number=number, **_editable_fields(data))
    session.add(disaster)
    session.flush()
    return disaster


def update_disaster(session: Session, disaster: Disaster, data: DisasterInput, expected_version: int) -> Disaster:
    _validate(data)
    result = session.execute(
        update(Disaster)
        .where(Disaster.id == disaster.id, Disaster.version == expected_version)
        .values(**_editable_fields(data), version=Disaster.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise StaleEdit("この災害は他の職員によって更新されています。画面を開き直して最新の内容を確認してください")
    session.refresh(disaster)
    return disaster


def get_disaster(session: Session, municipality_id: int, number: str) -> Disaster | None:
    return session.execute(
        select(Disaster).where(Disaster.municipality_id == municipality_id, Disaster.number == number)
    ).scalar_one_or_none()


def require_disaster(session: Session, municipality_id: int, number: str) -> Disaster:
    disaster = get_disaster(session, municipality_id, number)
    if disaster is None:
        raise NotFound(f"災害番号 {number} の災害はありません")
    return disaster


def list_disasters(
    session: Session, municipality_id: int, only_ids: set[int] | None = None, status: str | None = None
) -> list[Disaster]:
    query = select(Disaster).where(Disaster.municipality_id == municipality_id)
    if only_ids is not None:
        query = query.where(Disaster.id.in_(only_ids or {-1}))
    if status:
        query = query.where(Disaster.status == status)
    return list(session.execute(query.order_by(Disaster.occurred_on.desc(), Disaster.number)).scalars())


def set_damage_rules_override(session: Session, disaster: Disaster, override: str, expected_version: int) -> Disaster:
    """An administrator's choice of damage rule versions for the disaster ("" = chosen by date).

    Checked against the rule data: unknown ids or two versions of one kind are refused."""
    from ledgers.damage import get_ruleset

    parts = [part.strip() for part in (override or "").split(",") if part.strip()]
    kinds: set[str] = set()
    for part in parts:
        try:
            ruleset = get_ruleset(part)
        except NotFound as error:
            raise DomainError(error.message, field="damage_rules_override") from None
        if ruleset.kind in kinds:
            raise DomainError(f"同じ種類の規則が2つ指定されています: {override}", field="damage_rules_override")
        kinds.add(ruleset.kind)
    value = ",".join(parts)
    result = session.execute(
        update(Disaster)
        .where(Disaster.id == disaster.id, Disaster.version == expected_version)
        .values(damage_rules_override=value, version=Disaster.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise StaleEdit("この災害は他の職員によって更新されています。画面を開き直して最新の内容を確認してください")
    session.refresh(disaster)
    return disaster
