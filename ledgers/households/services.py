"""Victim household ledger (被災者台帳): register, edit with optimistic locking, search."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlmodel import Session

from core.addresses import address_key
from core.clock import today_jst, utcnow
from core.errors import Conflict, DomainError, NotFound, StaleEdit
from core.text import kana_key, name_key
from ledgers.disasters.models import Disaster, DisasterStatus
from ledgers.households.models import (
    HouseholdStatus,
    MemberCondition,
    ProvisionConsent,
    VictimHousehold,
    VictimMember,
)
from ledgers.registry.models import RegisteredHousehold
from ledgers.registry.services import (
    dwelling_snapshot,
    dwellings_of_household,
    get_registered_household,
    household_members,
    resident_from_register_fields,
    resident_search_condition,
)

STALE_MESSAGE = (
    "この世帯は、あなたが画面を開いた後に他の職員によって更新されています。"
    "あなたの入力内容は下に残してあります。最新の内容を確認してから、もう一度保存してください"
)
HOUSEHOLD_STATUSES = {s.value for s in HouseholdStatus}
CONDITIONS = {c.value for c in MemberCondition}
SEXES = {"male", "female", ""}

# Editable 更新情報 of a household and of a member; anything else is not changeable by edits.
HOUSEHOLD_FIELDS = ("status", "address", "residence", "contact_phone", "contact_address", "notes")
MEMBER_FIELDS = (
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "relationship",
    "is_householder",
    "address",
    "residence",
    "phone",
    "is_vulnerable",
    "vulnerability_reason",
    "condition",
)


@dataclass
class MemberInput:
    name: str
    name_kana: str = ""
    birth_date: date | None = None
    sex: str = ""
    relationship: str = ""
    is_householder: bool = False
    address: str = ""
    residence: str = ""
    phone: str = ""
    is_vulnerable: bool = False
    vulnerability_reason: str = ""
    condition: str = MemberCondition.none.value


@dataclass
class HouseholdInput:
    """A household registered by hand (e.g. an evacuee not in the register)."""

    address: str
    members: list[MemberInput] = field(default_factory=list)
    residence: str = ""
    contact_phone: str = ""
    contact_address: str = ""
    notes: str = ""


def _check_disaster_open(disaster: Disaster) -> None:
    if disaster.status != DisasterStatus.active.value:
        raise DomainError("この災害は対応中ではないため、世帯を登録できません")


def _allocate_victim_no(session: Session, disaster_id: int) -> int:
    """Next り災番号: bumped in the same transaction as the insert, so a rollback leaves no gap.

    The UPDATE takes a row lock (PostgreSQL) or the database write lock (SQLite, BEGIN
    IMMEDIATE), so concurrent registrations from several app instances queue up here."""
    return session.execute(
        update(Disaster)
        .where(Disaster.id == disaster_id)
        .values(last_victim_no=Disaster.last_victim_no + 1)
        .returning(Disaster.last_victim_no)
    ).scalar_one()


def _validate_member(member: MemberInput, index: int) -> None:
    where = f"{index + 1}人目"
    if not member.name.strip():
        raise DomainError(f"{where}: 氏名を入力してください", field=f"members[{index}].name")
    if member.sex not in SEXES:
        raise DomainError(f"{where}: 性別が正しくありません", field=f"members[{index}].sex")
    if member.condition not in CONDITIONS:
        raise DomainError(f"{where}: 被害状況が正しくありません", field=f"members[{index}].condition")
    if member.birth_date and member.birth_date > today_jst():
        raise DomainError(f"{where}: 生年月日が未来の日付です", field=f"members[{index}].birth_date")
    if member.is_vulnerable and not member.vulnerability_reason.strip():
        raise DomainError(
            f"{where}: 要配慮者の場合は該当する事由を入力してください", field=f"members[{index}].vulnerability_reason"
        )


def _member_from_input(household: VictimHousehold, data: MemberInput, order: int) -> VictimMember:
    return VictimMember(
        household_id=household.id,
        municipality_id=household.municipality_id,
        name=data.name.strip(),
        name_kana=data.name_kana.strip(),
        name_key=name_key(data.name),
        kana_key=kana_key(data.name_kana),
        birth_date=data.birth_date,
        sex=data.sex,
        relationship=data.relationship.strip(),
        is_householder=data.is_householder,
        address=data.address.strip() or household.address,
        residence=data.residence.strip(),
        phone=data.phone.strip(),
        is_vulnerable=data.is_vulnerable,
        vulnerability_reason=data.vulnerability_reason.strip(),
        condition=data.condition,
        sort_order=order,
    )


def _refresh_head(household: VictimHousehold, members: list[VictimMember]) -> None:
    head = next((m for m in members if m.is_householder), members[0] if members else None)
    household.head_name = head.name if head else ""
    household.head_kana = head.name_kana if head else ""


def register_from_resident_household(
    session: Session, disaster: Disaster, household_no: str, user_id: int | None
) -> VictimHousehold:
    """Create a victim household from a 世帯 of the resident register in one action.

    The register values are frozen into ``basic_snapshot`` (基本情報) of the household and of
    each member; later edits change only the current values (更新情報)."""
    _check_disaster_open(disaster)
    registered: RegisteredHousehold | None = get_registered_household(session, disaster.municipality_id, household_no)
    residents = household_members(session, disaster.municipality_id, household_no)
    if registered is None and not residents:
        raise NotFound(f"世帯番号 {household_no} の世帯は住民基本台帳にありません", field="household_no")
    if not residents:
        raise DomainError(
            f"世帯番号 {household_no} には現在の住民がいません（全員が転出・死亡等）", field="household_no"
        )
    # Lock the disaster row before the duplicate check, so two instances registering the same
    # 世帯 at once cannot both pass it (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises).
    session.execute(select(Disaster.id).where(Disaster.id == disaster.id).with_for_update())
    existing = session.execute(
        select(VictimHousehold).where(
            VictimHousehold.disaster_id == disaster.id, VictimHousehold.source_household_no == household_no
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            f"世帯番号 {household_no} の世帯は、この災害でり災番号 {existing.victim_no} として登録済みです",
            field="household_no",
        )
    now = utcnow()
    address = registered.address if registered else residents[0].address
    household = VictimHousehold(
        municipality_id=disaster.municipality_id,
        disaster_id=disaster.id,
        victim_no=_allocate_victim_no(session, disaster.id),
        source_household_no=household_no,
        address=address,
        address_key=address_key(address),
        basic_snapshot={
            "source": "resident_register",
            "household_no": household_no,
            "address": address,
            "address_code": registered.address_code if registered else residents[0].address_code,
            "postal_code": registered.postal_code if registered else residents[0].postal_code,
            "members": [resident.atena_no for resident in residents],
            "dwellings": [
                dwelling_snapshot(dwelling, occupancy)
                for dwelling, occupancy in dwellings_of_household(session, disaster.municipality_id, household_no)
            ],
        },
        snapshot_taken_at=now,
        created_by_id=user_id,
        updated_by_id=user_id,
    )
    session.add(household)
    session.flush()
    members = []
    for order, resident in enumerate(residents):
        member = VictimMember(
            household_id=household.id,
            municipality_id=household.municipality_id,
            resident_id=resident.id,
            atena_no=resident.atena_no,
            name=resident.name,
            name_kana=resident.name_kana,
            name_key=resident.name_key or name_key(resident.name),
            kana_key=resident.kana_key or kana_key(resident.name_kana),
            birth_date=resident.birth_date,
            birth_date_raw=resident.birth_date_raw,
            sex=resident.sex,
            relationship=resident.relationship,
            is_householder=resident.is_householder,
            address=resident.address,
            phone=resident.phone,
            sort_order=order,
            basic_snapshot=resident_from_register_fields(resident),
        )
        session.add(member)
        members.append(member)
        if resident.phone and not household.contact_phone:
            household.contact_phone = resident.phone
    _refresh_head(household, members)
    session.add(household)
    session.flush()
    return household


def register_manual(session: Session, disaster: Disaster, data: HouseholdInput, user_id: int | None) -> VictimHousehold:
    """A household not found in the register (visitor, unregistered evacuee)."""
    _check_disaster_open(disaster)
    if not data.address.strip():
        raise DomainError("住所を入力してください", field="address")
    if not data.members:
        raise DomainError("世帯員を1人以上入力してください", field="members")
    for index, member in enumerate(data.members):
        _validate_member(member, index)
    household = VictimHousehold(
        municipality_id=disaster.municipality_id,
        disaster_id=disaster.id,
        victim_no=_allocate_victim_no(session, disaster.id),
        address=data.address.strip(),
        address_key=address_key(data.address),
        residence=data.residence.strip(),
        contact_phone=data.contact_phone.strip(),
        contact_address=data.contact_address.strip(),
        notes=data.notes,
        basic_snapshot={"source": "manual"},
        created_by_id=user_id,
        updated_by_id=user_id,
    )
    session.add(household)
    session.flush()
    members = [_member_from_input(household, m, i) for i, m in enumerate(data.members)]
    if not any(m.is_householder for m in members):
        members[0].is_householder = True
    session.add_all(members)
    _refresh_head(household, members)
    session.add(household)
    session.flush()
    return household


def _guarded_update(session: Session, model, row_id: int, expected_version: int, values: dict[str, Any]) -> None:  # noqa: ANN001
    """UPDATE … WHERE version = expected; a concurrent save makes it match nothing."""
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.version == expected_version)
        .values(**values, version=model.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise StaleEdit(STALE_MESSAGE)


def update_household(
    session: Session, household: VictimHousehold, expected_version: int, changes: dict[str, Any], user_id: int | None
) -> list[str]:
    """Apply edits to the 更新情報; returns the names of the fields that changed."""
    unknown = set(changes) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise DomainError(f"変更できない項目です: {', '.join(sorted(unknown))}")
    if "status" in changes and changes["status"] not in HOUSEHOLD_STATUSES:
        raise DomainError("世帯の状態が正しくありません", field="status")
    values = {k: (v.strip() if isinstance(v, str) and k != "notes" else v) for k, v in changes.items()}
    changed = [k for k, v in values.items() if getattr(household, k) != v]
    if "address" in values:
        if not values["address"]:
            raise DomainError("住所を入力してください", field="address")
        values["address_key"] = address_key(values["address"])
    _guarded_update(session, VictimHousehold, household.id, expected_version, {**values, "updated_by_id": user_id})
    session.refresh(household)
    return changed


def update_member(session: Session, member: VictimMember, expected_version: int, changes: dict[str, Any]) -> list[str]:
    unknown = set(changes) - set(MEMBER_FIELDS)
    if unknown:
        raise DomainError(f"変更できない項目です: {', '.join(sorted(unknown))}")
    current = MemberInput(**{k: getattr(member, k) for k in MEMBER_FIELDS})
    for key, value in changes.items():
        setattr(current, key, value.strip() if isinstance(value, str) else value)
    _validate_member(current, member.sort_order)
    values = {k: getattr(current, k) for k in changes}
    changed = [k for k, v in values.items() if getattr(member, k) != v]
    if "name" in values:
        values["name_key"] = name_key(values["name"])
    if "name_kana" in values:
        values["kana_key"] = kana_key(values["name_kana"])
    _guarded_update(session, VictimMember, member.id, expected_version, values)
    session.refresh(member)
    household = session.get(VictimHousehold, member.household_id)
    _refresh_head(household, members_of(session, household.id))
    session.add(household)
    return changed


def add_member(session: Session, household: VictimHousehold, data: MemberInput) -> VictimMember:
    order = len(members_of(session, household.id))
    _validate_member(data, order)
    member = _member_from_input(household, data, order)
    session.add(member)
    session.flush()
    return member


def members_of(session: Session, household_id: int) -> list[VictimMember]:
    return list(
        session.execute(
            select(VictimMember)
            .where(VictimMember.household_id == household_id)
            .order_by(VictimMember.sort_order, VictimMember.id)
        ).scalars()
    )


def get_household(session: Session, municipality_id: int, household_id: int) -> VictimHousehold | None:
    """A household by id, only when it belongs to the municipality (tenant scoping)."""
    return session.execute(
        select(VictimHousehold).where(
            VictimHousehold.id == household_id, VictimHousehold.municipality_id == municipality_id
        )
    ).scalar_one_or_none()


def get_by_victim_no(session: Session, disaster: Disaster, victim_no: int) -> VictimHousehold | None:
    return session.execute(
        select(VictimHousehold).where(
            VictimHousehold.disaster_id == disaster.id, VictimHousehold.victim_no == victim_no
        )
    ).scalar_one_or_none()


def get_member(session: Session, household: VictimHousehold, member_id: int) -> VictimMember | None:
    return session.execute(
        select(VictimMember).where(VictimMember.id == member_id, VictimMember.household_id == household.id)
    ).scalar_one_or_none()


def search_households(
    session: Session, disaster: Disaster, query: str, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[VictimHousehold]:
    """Households of a disaster by り災番号, 宛名番号, 世帯番号, member name / kana, or address."""
    text = query.strip()
    base = select(VictimHousehold).where(VictimHousehold.disaster_id == disaster.id)
    if status:
        base = base.where(VictimHousehold.status == status)
    if text:
        digits = text.replace("-", "")
        conditions = []
        if digits.isdigit() and text.isascii():
            if len(digits) <= 7:
                conditions.append(VictimHousehold.victim_no == int(digits))
            conditions.append(VictimHousehold.source_household_no == digits)
        member_condition = resident_search_condition(VictimMember, text)
        if member_condition is not None:
            conditions.append(
                VictimHousehold.id.in_(
                    select(VictimMember.household_id).where(
                        VictimMember.municipality_id == disaster.municipality_id, member_condition
                    )
                )
            )
        address = address_key(text)
        if address:
            conditions.append(VictimHousehold.address_key.contains(address, autoescape=True))
        base = base.where(or_(*conditions))
    rows = session.execute(base.order_by(VictimHousehold.victim_no).limit(limit).offset(offset)).scalars()
    return list(rows)


def households_per_disaster(
    session: Session, municipality_id: int, disaster_ids: list[int] | None = None
) -> dict[int, int]:
    """The number of victim households of each disaster of a municipality (or of the disasters
    given), in one query; a disaster without households is absent."""
    query = select(VictimHousehold.disaster_id, func.count()).where(VictimHousehold.municipality_id == municipality_id)
    if disaster_ids is not None:
        query = query.where(VictimHousehold.disaster_id.in_(disaster_ids))
    return dict(session.execute(query.group_by(VictimHousehold.disaster_id)).all())


def household_counts(session: Session, disaster: Disaster) -> dict[str, int]:
    counts = {s.value: 0 for s in HouseholdStatus}
    for status, count in session.execute(
        select(VictimHousehold.status, func.count())
        .where(VictimHousehold.disaster_id == disaster.id)
        .group_by(VictimHousehold.status)
    ):
        counts[status] = count
    counts["total"] = sum(counts.values())
    members = session.execute(
        select(func.count(), func.sum(case((VictimMember.is_vulnerable, 1), else_=0)))
        .select_from(VictimMember)
        .join(VictimHousehold, VictimHousehold.id == VictimMember.household_id)
        .where(VictimHousehold.disaster_id == disaster.id)
    ).one()
    counts["members"] = members[0] or 0
    counts["vulnerable"] = int(members[1] or 0)
    return counts


# ---------------------------------------------------------------- consent to provision (提供先)


def consents_of(session: Session, household_id: int) -> list[ProvisionConsent]:
    return list(
        session.execute(
            select(ProvisionConsent)
            .where(ProvisionConsent.household_id == household_id)
            .order_by(ProvisionConsent.consented_on, ProvisionConsent.id)
        ).scalars()
    )


def add_consent(
    session: Session,
    household: VictimHousehold,
    recipient: str,
    scope: str,
    consented_on: date | None,
    user_id: int | None,
    member_id: int | None = None,
) -> ProvisionConsent:
    """Record that the victim consented to their ledger information going to a recipient."""
    if not recipient.strip():
        raise DomainError("提供先を入力してください", field="recipient")
    if consented_on is None:
        raise DomainError("同意日を入力してください", field="consented_on")
    if consented_on > today_jst():
        raise DomainError("同意日が未来の日付です", field="consented_on")
    if member_id is not None and get_member(session, household, member_id) is None:
        raise DomainError("同意した世帯員がこの世帯にいません", field="member_id")
    consent = ProvisionConsent(
        household_id=household.id,
        municipality_id=household.municipality_id,
        member_id=member_id,
        recipient=recipient.strip(),
        scope=scope.strip(),
        consented_on=consented_on,
        created_by_id=user_id,
    )
    session.add(consent)
    session.flush()
    return consent


def withdraw_consent(session: Session, household: VictimHousehold, consent_id: int, on: date) -> ProvisionConsent:
    consent = session.execute(
        select(ProvisionConsent).where(ProvisionConsent.id == consent_id, ProvisionConsent.household_id == household.id)
    ).scalar_one_or_none()
    if consent is None:
        raise NotFound("指定された同意はありません")
    if consent.withdrawn_on is not None:
        raise Conflict("この同意は既に撤回されています")
    consent.withdrawn_on = on
    session.add(consent)
    return consent
