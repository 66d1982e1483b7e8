"""Certificates (罹災証明書・被災証明書): applications, issuance with gapless numbers, reprint,
re-issue after a re-survey, cancellation, the status of each household, the ledger and its CSV."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from core.clock import check_day, today_jst, utcnow
from core.csvfile import csv_bytes
from core.errors import Conflict, DomainError, NotFound
from ledgers.certificates.models import (
    Certificate,
    CertificateApplication,
    CertificateKind,
    CertificateStatus,
    IssuerSetting,
)
from ledgers.certificates.pdf import (
    DAMAGE_CLASSES,
    CertificateView,
    IssuerConfig,
    TextTooLongError,
    UnrenderableTextError,
    check_printable,
    render_batch,
    render_certificate,
)
from ledgers.damage import get_ruleset
from ledgers.disasters.models import Disaster
from ledgers.households.models import VictimHousehold
from ledgers.registry.models import Dwelling
from ledgers.surveys import services as surveys
from ledgers.surveys.models import Survey

STATUSES = ("not_applied", "applied", "surveyed", "issued", "resurvey_requested", "reissued")
STATUS_LABELS = {
    "not_applied": "未申請",
    "applied": "申請済（調査待ち）",
    "surveyed": "調査済（交付待ち）",
    "issued": "交付済",
    "resurvey_requested": "再調査依頼中",
    "reissued": "再交付済（再調査後）",
}
MAX_SEAL_BYTES = 1024 * 1024


# ---------------------------------------------------------------- issuer


def get_issuer_setting(session: Session, municipality_id: int) -> IssuerSetting | None:
    return session.execute(
        select(IssuerSetting).where(IssuerSetting.municipality_id == municipality_id)
    ).scalar_one_or_none()


def issuer_config(session: Session, municipality_id: int, municipality_name: str) -> IssuerConfig:
    setting = get_issuer_setting(session, municipality_id)
    if setting is None:
        return IssuerConfig(municipality_name)
    return IssuerConfig(
        setting.issuer_name or municipality_name,
        mayor_name=setting.mayor_name,
        mayor_title=setting.mayor_title or None,
        seal_png=setting.seal_png,
    )


def save_issuer(
    session: Session,
    municipality_id: int,
    issuer_name: str,
    mayor_name: str,
    mayor_title: str = "",
    seal_png: bytes | None = None,
    remove_seal: bool = False,
) -> IssuerSetting:
    if seal_png is not None:
        if len(seal_png) > MAX_SEAL_BYTES:
            raise DomainError("公印の画像は 1 MB までにしてください", field="seal")
        if not seal_png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise DomainError("公印の画像は PNG 形式でアップロードしてください", field="seal")
    setting = get_issuer_setting(session, municipality_id) or IssuerSetting(municipality_id=municipality_id)
    setting.issuer_name = issuer_name.strip()
    setting.mayor_name = mayor_name.strip()
    setting.mayor_title = mayor_title.strip()
    if seal_png is not None:
        setting.seal_png = seal_png
    elif remove_seal:
        setting.seal_png = None
    setting.updated_at = utcnow()
    session.add(setting)
    session.flush()
    return setting


# ---------------------------------------------------------------- applications


def damage_application(session: Session, household_id: int) -> CertificateApplication | None:
    return (
        session.execute(
            select(CertificateApplication)
            .where(
                CertificateApplication.household_id == household_id,
                CertificateApplication.kind == CertificateKind.damage.value,
            )
            .order_by(CertificateApplication.id)
        )
        .scalars()
        .first()
    )


def apply(
    session: Session,
    household: VictimHousehold,
    user_id: int | None,
    *,
    channel: str = "counter",
    on: date | None = None,
    notes: str = "",
) -> CertificateApplication:
    """申請 of a 罹災証明書; a household has one (a second application returns the first)."""
    existing = damage_application(session, household.id)
    if existing is not None:
        return existing
    applied_on = _day(session.get(Disaster, household.disaster_id), on, "申請日")
    application = CertificateApplication(
        municipality_id=household.municipality_id,
        disaster_id=household.disaster_id,
        household_id=household.id,
        kind=CertificateKind.damage.value,
        channel=channel,
        applied_on=applied_on,
        notes=notes.strip(),
        created_by_id=user_id,
    )
    session.add(application)
    session.flush()
    return application


def _day(disaster: Disaster, on: date | None, what: str = "交付日") -> date:
    """The date of an application, issuance, reprint or cancellation: today unless given; never
    before the disaster nor in the future."""
    return check_day(
        on or today_jst(),
        field="on",
        what=what,
        earliest=disaster.occurred_on,
        earliest_what=f"災害の発生日（{disaster.occurred_on.isoformat()}）",
    )


def bulk_apply(session: Session, disaster: Disaster, user_id: int | None, on: date | None = None) -> int:
    """Applications for every household of the disaster whose dwelling is surveyed (一括申請)."""
    on = _day(disaster, on, "申請日")
    mapping = surveys.household_dwelling_map(session, disaster)
    surveyed = set(surveys.current_surveys(session, disaster))
    # A counter applying for one of these households meanwhile, or a second bulk application,
    # would apply twice: lock them (as a counter does) before reading who has applied.
    _lock_households(session, [h for h, dwelling_ids in mapping.items() if any(d in surveyed for d in dwelling_ids)])
    applied = set(
        session.execute(
            select(CertificateApplication.household_id).where(
                CertificateApplication.disaster_id == disaster.id,
                CertificateApplication.kind == CertificateKind.damage.value,
            )
        ).scalars()
    )
    count = 0
    for household_id, dwelling_ids in mapping.items():
        if household_id in applied or not any(d in surveyed for d in dwelling_ids):
            continue
        session.add(
            CertificateApplication(
                municipality_id=disaster.municipality_id,
                disaster_id=disaster.id,
                household_id=household_id,
                kind=CertificateKind.damage.value,
                channel="bulk",
                applied_on=on,
                created_by_id=user_id,
            )
        )
        count += 1
    session.flush()
    return count


def request_resurvey(
    session: Session, household: VictimHousehold, reason: str, user_id: int | None
) -> CertificateApplication:
    """再調査の依頼 (the victim disputes the class): recorded on the application."""
    if not reason.strip():
        raise DomainError("再調査を依頼する理由を入力してください", field="reason")
    if active_certificate(session, household.id) is None:
        raise DomainError("交付済みの罹災証明書がないため、再調査の依頼は受け付けられません", field="reason")
    application = apply(session, household, user_id)
    application.resurvey_requested_at = utcnow()
    application.resurvey_reason = reason.strip()[:400]
    session.add(application)
    session.flush()
    return application


# ---------------------------------------------------------------- issuance


def _allocate_number(session: Session, disaster_id: int, count: int = 1) -> int:
    """Next 交付番号 (the last of ``count`` consecutive ones), bumped in the issuing transaction
    (row lock on PostgreSQL, the write lock on SQLite): a rollback gives the numbers back, so the
    sequence has no gaps."""
    return session.execute(
        update(Disaster)
        .where(Disaster.id == disaster_id)
        .values(last_certificate_no=Disaster.last_certificate_no + count)
        .returning(Disaster.last_certificate_no)
    ).scalar_one()


def active_certificate(session: Session, household_id: int) -> Certificate | None:
    return (
        session.execute(
            select(Certificate)
            .where(
                Certificate.household_id == household_id,
                Certificate.kind == CertificateKind.damage.value,
                Certificate.status == CertificateStatus.issued.value,
            )
            .order_by(Certificate.id.desc())
        )
        .scalars()
        .first()
    )


def active_of(items: Iterable[Certificate]) -> Certificate | None:
    """``active_certificate`` picked from a household's certificates already loaded (any order)."""
    active = [c for c in items if c.kind == CertificateKind.damage.value and c.status == CertificateStatus.issued.value]
    return max(active, key=lambda c: c.id) if active else None


def _issue_from_survey(
    session: Session,
    disaster: Disaster,
    household: VictimHousehold,
    dwelling: Dwelling,
    survey: Survey,
    current: Certificate | None,
    application: CertificateApplication | None,
    user_id: int | None,
    on: date,
    number: int | None = None,
    flush: bool = True,
) -> Certificate:
    if survey.damage_class == "none":
        raise DomainError("被害なしと判定されているため、罹災証明書は交付できません（被災証明書をご利用ください）")
    if current is not None and current.survey_id == survey.id:
        raise Conflict(f"この世帯には罹災証明書 第{current.number}号 が交付済みです。再交付（再印刷）を使ってください")
    certificate = Certificate(
        municipality_id=household.municipality_id,
        disaster_id=disaster.id,
        household_id=household.id,
        application_id=application.id if application else None,
        number=number if number is not None else _allocate_number(session, disaster.id),
        kind=CertificateKind.damage.value,
        dwelling_id=dwelling.id,
        survey_id=survey.id,
        damage_class=survey.damage_class,
        damage_label=survey.damage_label,
        rule_version=survey.rule_version,
        flood_class=survey.flood_class,
        head_name=household.head_name,
        head_address=household.address,
        dwelling_location=dwelling.location or household.address,
        house_no=dwelling.house_no,
        issued_on=on,
        issued_by_id=user_id,
        supersedes_id=current.id if current else None,
    )
    session.add(certificate)
    if flush or current is not None:
        session.flush()
    if current is not None:
        session.execute(
            update(Certificate)
            .where(Certificate.id == current.id)
            .values(
                status=CertificateStatus.superseded.value,
                superseded_by_id=certificate.id,
                version=Certificate.version + 1,
            )
        )
        session.expire(current)
    return certificate


# Lock order, so that no two issuers wait for each other: households (ascending id) first, then
# the disaster's row (taken by ``_allocate_number``). A counter holds one household, a bulk
# operation all of its households; both take the disaster's row last. (SQLite serialises writers.)


def _lock_household(session: Session, household: VictimHousehold) -> None:
    session.execute(select(VictimHousehold.id).where(VictimHousehold.id == household.id).with_for_update())


def _lock_households(session: Session, household_ids: Iterable[int]) -> None:
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), 5000):
        session.execute(
            select(VictimHousehold.id)
            .where(VictimHousehold.id.in_(ids[start : start + 5000]))
            .order_by(VictimHousehold.id)
            .with_for_update()
        )


def issue_damage_certificate(
    session: Session,
    household: VictimHousehold,
    user_id: int | None,
    *,
    on: date | None = None,
    channel: str = "counter",
) -> Certificate:
    """Issue the 罹災証明書 of a household from the most severe current survey of its dwellings.

    If a certificate is in force and the dwelling was surveyed again since, this is the re-issue:
    a new number, the old certificate marked superseded (the chain stays visible)."""
    disaster = session.get(Disaster, household.disaster_id)
    on = _day(disaster, on)
    _lock_household(session, household)
    damage = surveys.household_damage(session, disaster, household)
    if not damage.dwellings:
        raise DomainError("この世帯の住家（家屋）が家屋台帳で見つからないため、罹災証明書を交付できません")
    if damage.decisive is None:
        raise DomainError("この世帯の住家は、まだ被害認定調査が済んでいません")
    application = apply(session, household, user_id, channel=channel)
    dwelling, survey = damage.decisive
    certificate = _issue_from_survey(
        session,
        disaster,
        household,
        dwelling,
        survey,
        active_certificate(session, household.id),
        application,
        user_id,
        on,
    )
    ensure_printable(session, certificate, disaster)
    return certificate


def bulk_issue(
    session: Session, disaster: Disaster, user_id: int | None, *, on: date | None = None, limit: int | None = None
) -> list[Certificate]:
    """Issue to every applied household whose dwelling is surveyed and who holds no certificate
    (or holds one from an older survey: re-issue). Preloads everything, for 10,000s at once."""
    on = _day(disaster, on)
    applications = {
        a.household_id: a
        for a in session.execute(
            select(CertificateApplication)
            .where(
                CertificateApplication.disaster_id == disaster.id,
                CertificateApplication.kind == CertificateKind.damage.value,
            )
            .order_by(CertificateApplication.id.desc())
        ).scalars()
    }
    # A counter issuing to one of these households meanwhile, or a second bulk issuance, would
    # otherwise give it a second certificate in force: lock them before reading which are in force.
    _lock_households(session, applications)
    mapping = surveys.household_dwelling_map(session, disaster, list(applications))
    current_surveys = surveys.current_surveys(session, disaster)
    active = {
        c.household_id: c
        for c in session.execute(
            select(Certificate).where(
                Certificate.disaster_id == disaster.id,
                Certificate.kind == CertificateKind.damage.value,
                Certificate.status == CertificateStatus.issued.value,
            )
        ).scalars()
    }
    households = {
        h.id: h
        for h in session.execute(
            select(VictimHousehold)
            .where(VictimHousehold.id.in_(list(applications) or [-1]))
            .order_by(VictimHousehold.victim_no)
        ).scalars()
    }
    dwelling_ids = {d for ids in mapping.values() for d in ids}
    dwellings = {
        d.id: d for d in session.execute(select(Dwelling).where(Dwelling.id.in_(list(dwelling_ids) or [-1]))).scalars()
    }
    todo = []
    for household in households.values():
        pairs = [(dwellings[d], current_surveys.get(d)) for d in mapping.get(household.id, []) if d in dwellings]
        decisive = surveys.decisive_of(pairs)
        if decisive is None:
            continue
        dwelling, survey = decisive
        current = active.get(household.id)
        if survey.damage_class == "none" or (current is not None and current.survey_id == survey.id):
            continue
        todo.append((household, dwelling, survey, current))
        if limit is not None and len(todo) >= limit:
            break
    if not todo:
        return []
    # One UPDATE takes the whole block of numbers: consecutive, and gapless since it commits or
    # rolls back with the certificates.
    first = _allocate_number(session, disaster.id, len(todo)) - len(todo) + 1
    issued = [
        _issue_from_survey(
            session,
            disaster,
            household,
            dwelling,
            survey,
            current,
            applications[household.id],
            user_id,
            on,
            number=first + i,
            flush=False,
        )
        for i, (household, dwelling, survey, current) in enumerate(todo)
    ]
    session.flush()
    return issued


def issue_victim_certificate(
    session: Session,
    household: VictimHousehold,
    victim_text: str,
    location: str,
    user_id: int | None,
    *,
    notes: str = "",
    on: date | None = None,
) -> Certificate:
    """被災証明書: damage other than the dwelling (家財, 車, 事業所), as free text."""
    if not victim_text.strip():
        raise DomainError("被害の状況を入力してください", field="victim_text")
    disaster = session.get(Disaster, household.disaster_id)
    on = _day(disaster, on)
    _lock_household(session, household)
    application = CertificateApplication(
        municipality_id=household.municipality_id,
        disaster_id=disaster.id,
        household_id=household.id,
        kind=CertificateKind.victim.value,
        channel="counter",
        applied_on=on,
        created_by_id=user_id,
    )
    session.add(application)
    session.flush()
    certificate = Certificate(
        municipality_id=household.municipality_id,
        disaster_id=disaster.id,
        household_id=household.id,
        application_id=application.id,
        number=_allocate_number(session, disaster.id),
        kind=CertificateKind.victim.value,
        head_name=household.head_name,
        head_address=household.address,
        dwelling_location=location.strip() or household.address,
        victim_text=victim_text.strip(),
        notes=notes.strip(),
        issued_on=on,
        issued_by_id=user_id,
    )
    session.add(certificate)
    session.flush()
    ensure_printable(session, certificate, disaster)
    return certificate


def reprint(session: Session, certificate: Certificate, on: date | None = None) -> Certificate:
    """再交付 of the same certificate (lost, damaged): same number, counted and dated."""
    if certificate.status == CertificateStatus.cancelled.value:
        raise DomainError(f"第{certificate.number}号 は取り消されているため、再交付できません")
    if certificate.status == CertificateStatus.superseded.value:
        raise DomainError(
            f"第{certificate.number}号 は第{_number_of(session, certificate.superseded_by_id)}号 に更新されています。"
            "新しい証明書を再交付してください"
        )
    certificate.last_reprinted_on = _day(session.get(Disaster, certificate.disaster_id), on, "再交付日")
    certificate.reprint_count += 1
    certificate.version += 1
    session.add(certificate)
    session.flush()
    return certificate


def cancel(session: Session, certificate: Certificate, reason: str, on: date | None = None) -> Certificate:
    if not reason.strip():
        raise DomainError("取消の理由を入力してください", field="reason")
    if certificate.status != CertificateStatus.issued.value:
        raise Conflict(
            f"第{certificate.number}号 は既に{'取消' if certificate.status == 'cancelled' else '更新'}されています"
        )
    cancelled_on = _day(session.get(Disaster, certificate.disaster_id), on, "取消日")
    certificate.status = CertificateStatus.cancelled.value
    certificate.cancelled_on = cancelled_on
    certificate.cancel_reason = reason.strip()[:400]
    certificate.version += 1
    session.add(certificate)
    session.flush()
    return certificate


def _number_of(session: Session, certificate_id: int | None) -> int | None:
    if certificate_id is None:
        return None
    return session.execute(select(Certificate.number).where(Certificate.id == certificate_id)).scalar_one_or_none()


# ---------------------------------------------------------------- lookups


def get_certificate(session: Session, municipality_id: int, certificate_id: int) -> Certificate | None:
    return session.execute(
        select(Certificate).where(Certificate.id == certificate_id, Certificate.municipality_id == municipality_id)
    ).scalar_one_or_none()


def get_by_number(session: Session, disaster: Disaster, number: int) -> Certificate | None:
    return session.execute(
        select(Certificate).where(Certificate.disaster_id == disaster.id, Certificate.number == number)
    ).scalar_one_or_none()


def certificates_of(session: Session, household_id: int) -> list[Certificate]:
    return list(
        session.execute(
            select(Certificate).where(Certificate.household_id == household_id).order_by(Certificate.id)
        ).scalars()
    )


def chain_of(session: Session, certificate: Certificate) -> list[Certificate]:
    """The re-issue chain the certificate belongs to, oldest first."""
    first = certificate
    seen = {first.id}
    while first.supersedes_id is not None and first.supersedes_id not in seen:
        first = session.get(Certificate, first.supersedes_id)
        seen.add(first.id)
    chain = [first]
    while chain[-1].superseded_by_id is not None and len(chain) < 100:
        chain.append(session.get(Certificate, chain[-1].superseded_by_id))
    return chain


# ---------------------------------------------------------------- status


def status_of(application: CertificateApplication | None, active: Certificate | None, surveyed: bool) -> str:
    if active is not None:
        if (
            application
            and application.resurvey_requested_at
            and _after(application.resurvey_requested_at, active.issued_at)
        ):
            return "resurvey_requested"
        return "reissued" if active.supersedes_id else "issued"
    if application is None:
        return "not_applied"
    return "surveyed" if surveyed else "applied"


def _after(a, b) -> bool:  # noqa: ANN001
    from datetime import UTC

    a = a if a.tzinfo else a.replace(tzinfo=UTC)
    b = b if b.tzinfo else b.replace(tzinfo=UTC)
    return a > b


def household_status(
    session: Session, household: VictimHousehold, damage: surveys.HouseholdDamage | None = None
) -> str:
    if damage is None:
        damage = surveys.household_damage(session, session.get(Disaster, household.disaster_id), household)
    return status_of(
        damage_application(session, household.id), active_certificate(session, household.id), damage.surveyed
    )


def status_map(session: Session, disaster: Disaster, household_ids: list[int] | None = None) -> dict[int, str]:
    """The certificate status of every household of the disaster (or of those given), in a few queries."""
    mapping = surveys.household_dwelling_map(session, disaster, household_ids)
    wanted = None if household_ids is None else [d for ids in mapping.values() for d in ids]
    surveyed = set(surveys.current_surveys(session, disaster, wanted))
    applications: dict[int, CertificateApplication] = {}
    query = select(CertificateApplication).where(
        CertificateApplication.disaster_id == disaster.id, CertificateApplication.kind == CertificateKind.damage.value
    )
    if household_ids is not None:
        query = query.where(CertificateApplication.household_id.in_(household_ids or [-1]))
    for a in session.execute(query.order_by(CertificateApplication.id.desc())).scalars():
        applications[a.household_id] = a
    query = select(Certificate).where(
        Certificate.disaster_id == disaster.id,
        Certificate.kind == CertificateKind.damage.value,
        Certificate.status == CertificateStatus.issued.value,
    )
    if household_ids is not None:
        query = query.where(Certificate.household_id.in_(household_ids or [-1]))
    active = {c.household_id: c for c in session.execute(query.order_by(Certificate.id)).scalars()}
    return {
        household_id: status_of(
            applications.get(household_id), active.get(household_id), any(d in surveyed for d in ids)
        )
        for household_id, ids in mapping.items()
    }


def status_counts(session: Session, disaster: Disaster) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for status in status_map(session, disaster).values():
        counts[status] += 1
    return counts


# ---------------------------------------------------------------- PDF


def _classes_for(rule_version: str) -> tuple[tuple[str, str], ...]:
    if not rule_version:
        return DAMAGE_CLASSES
    try:
        ruleset = get_ruleset(rule_version)
    except NotFound:
        return DAMAGE_CLASSES
    return tuple((c.code, c.label) for c in ruleset.classes if c.code != "none")


def certificate_view(
    session: Session, certificate: Certificate, disaster: Disaster, *, reprint_on: date | None = None
) -> CertificateView:
    reissue_of = None
    if certificate.supersedes_id:
        old = session.get(Certificate, certificate.supersedes_id)
        reissue_of = (old.number, old.issued_on)
    common: dict[str, Any] = dict(
        number=certificate.number,
        issued_on=certificate.issued_on,
        head_name=certificate.head_name or "（氏名なし）",
        head_address=certificate.head_address or certificate.dwelling_location,
        dwelling_location=certificate.dwelling_location,
        disaster_name=disaster.name,
        disaster_date=disaster.occurred_on,
        notes=certificate.notes,
        reprint_on=reprint_on,
    )
    if certificate.kind == CertificateKind.victim.value:
        return CertificateView(**common, certificate_type="victim", victim_text=certificate.victim_text)
    return CertificateView(
        **common,
        damage_class=certificate.damage_class,
        damage_class_label=certificate.damage_label,
        flood_class=certificate.flood_class or None,
        reissue_of=reissue_of,
        damage_classes=_classes_for(certificate.rule_version),
    )


_PRINTED_FIELDS = {
    "head_name": "世帯主氏名",
    "head_address": "住所",
    "dwelling_location": "所在地",
    "disaster_name": "災害名",
    "notes": "備考",
    "victim_text": "被害の状況",
    "number": "交付番号",
}


def ensure_printable(session: Session, certificate: Certificate, disaster: Disaster) -> None:
    """Refuse (DomainError, the caller rolls back: no number used) a certificate whose PDF could not
    be made: a character the form's font lacks (emoji, control characters, an unmapped 外字) or
    free text longer than the page."""
    try:
        check_printable(certificate_view(session, certificate, disaster))
    except UnrenderableTextError as exc:
        label = _PRINTED_FIELDS.get(exc.field_name, exc.field_name)
        shown = "、".join(f"U+{ord(c):04X}" for c in exc.chars[:5])
        raise DomainError(
            f"{label}に証明書に印字できない文字があります（{shown}）。文字を直してから交付してください",
            field=exc.field_name,
        ) from None
    except TextTooLongError:
        raise DomainError(
            "被害の状況・備考が長すぎて証明書の1ページに収まりません。短くしてから交付してください",
            field="victim_text" if certificate.kind == CertificateKind.victim.value else "notes",
        ) from None


def render(
    session: Session,
    certificate: Certificate,
    disaster: Disaster,
    issuer: IssuerConfig,
    *,
    reprint_on: date | None = None,
) -> bytes:
    return render_certificate(certificate_view(session, certificate, disaster, reprint_on=reprint_on), issuer)


def render_many(
    session: Session, certificates: Iterable[Certificate], disaster: Disaster, issuer: IssuerConfig
) -> bytes:
    return render_batch([certificate_view(session, c, disaster) for c in certificates], issuer)


# ---------------------------------------------------------------- ledger and CSV


@dataclass
class LedgerRow:
    certificate: Certificate
    victim_no: int
    supersedes_number: int | None
    superseded_by_number: int | None


def ledger_rows(
    session: Session, disaster: Disaster, *, status: str | None = None, limit: int | None = None, offset: int = 0
) -> list[LedgerRow]:
    earlier, later = aliased(Certificate), aliased(Certificate)  # the certificate it supersedes / is superseded by
    query = (
        select(Certificate, VictimHousehold.victim_no, earlier.number, later.number)
        .join(VictimHousehold, VictimHousehold.id == Certificate.household_id)
        .outerjoin(
            earlier, and_(earlier.id == Certificate.supersedes_id, earlier.disaster_id == Certificate.disaster_id)
        )
        .outerjoin(later, and_(later.id == Certificate.superseded_by_id, later.disaster_id == Certificate.disaster_id))
        .where(Certificate.disaster_id == disaster.id)
    )
    if status:
        query = query.where(Certificate.status == status)
    query = query.order_by(Certificate.number).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [
        LedgerRow(c, victim_no, supersedes, superseded_by)
        for c, victim_no, supersedes, superseded_by in session.execute(query)
    ]


CSV_HEADER = (
    "交付番号",
    "種別",
    "交付日",
    "り災番号",
    "世帯主氏名",
    "世帯主住所",
    "被災住家の所在地",
    "家屋番号",
    "被害の程度",
    "浸水区分",
    "規則バージョン",
    "被害の状況",
    "状態",
    "再交付回数",
    "最終再交付日",
    "更新前の交付番号",
    "更新後の交付番号",
    "取消日",
    "取消理由",
)


def ledger_csv(rows: list[LedgerRow]) -> bytes:
    """り災証明発行台帳 as CSV, UTF-8 with BOM (opens in Excel without mojibake)."""
    from ledgers.certificates.models import CERTIFICATE_KIND_LABELS, CERTIFICATE_STATUS_LABELS

    kinds = {k.value: v for k, v in CERTIFICATE_KIND_LABELS.items()}
    states = {k.value: v for k, v in CERTIFICATE_STATUS_LABELS.items()}
    flood = {"above_floor": "床上浸水", "below_floor": "床下浸水", "": ""}
    return csv_bytes(
        CSV_HEADER,
        (
            (
                c.number,
                kinds.get(c.kind, c.kind),
                c.issued_on.isoformat(),
                row.victim_no,
                c.head_name,
                c.head_address,
                c.dwelling_location,
                c.house_no,
                c.damage_label,
                flood.get(c.flood_class, c.flood_class),
                c.rule_version,
                c.victim_text,
                states.get(c.status, c.status),
                c.reprint_count,
                c.last_reprinted_on.isoformat() if c.last_reprinted_on else "",
                row.supersedes_number or "",
                row.superseded_by_number or "",
                c.cancelled_on.isoformat() if c.cancelled_on else "",
                c.cancel_reason,
            )
            for row in rows
            for c in (row.certificate,)
        ),
    )
