"""Certificates (罹災証明書・被災証明書) over JSON, scoped to the municipality and disaster in the path."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy import select
from sqlmodel import Session

from core.audit import record
from core.clock import today_jst
from core.errors import DomainError
from ledgers.certificates import services as certificates
from ledgers.certificates.models import Certificate
from ledgers.certificates.schemas import (
    BulkApplyIn,
    BulkApplyOut,
    BulkIssued,
    BulkIssueIn,
    BulkIssueOut,
    CancelIn,
    CertificateIssue,
    CertificateOut,
    HouseholdCertificates,
)
from ledgers.disasters.models import Disaster
from ledgers.households.models import VictimHousehold
from ledgers.surveys import services as surveys
from victim_support.web.context import RequestContext, enter_disaster, provide_api_context
from victim_support.web.households.api import household_by_victim_no


def certificates_out(db: Session, items: list[tuple[Certificate, int]]) -> list[CertificateOut]:
    """(certificate, り災番号) pairs as CertificateOut; the numbers of the certificates they
    supersede or are superseded by are read in one query."""
    linked = sorted({i for c, _ in items for i in (c.supersedes_id, c.superseded_by_id) if i is not None})
    numbers = (
        dict(db.execute(select(Certificate.id, Certificate.number).where(Certificate.id.in_(linked))).all())
        if linked
        else {}
    )
    return [
        certificate_out(c, victim_no, numbers.get(c.supersedes_id), numbers.get(c.superseded_by_id))
        for c, victim_no in items
    ]


def certificate_out(
    c: Certificate, victim_no: int, supersedes: int | None, superseded_by: int | None
) -> CertificateOut:
    return CertificateOut(
        number=c.number,
        kind=c.kind,
        status=c.status,
        victim_no=victim_no,
        issued_on=c.issued_on,
        issued_at=c.issued_at,
        head_name=c.head_name,
        head_address=c.head_address,
        dwelling_location=c.dwelling_location,
        house_no=c.house_no,
        damage_class=c.damage_class,
        damage_label=c.damage_label,
        rule_version=c.rule_version,
        flood_class=c.flood_class,
        victim_text=c.victim_text,
        supersedes=supersedes,
        superseded_by=superseded_by,
        cancelled_on=c.cancelled_on,
        cancel_reason=c.cancel_reason,
        reprint_count=c.reprint_count,
        last_reprinted_on=c.last_reprinted_on,
    )


def check_date(disaster: Disaster, value: date | None, field: str, label: str) -> None:
    """A date of a bulk operation: not before the disaster, not in the future."""
    if value is None:
        return
    if value < disaster.occurred_on:
        raise DomainError(
            f"{label}（{field}）が災害の発生日 {disaster.occurred_on.isoformat()} より前です", field=field
        )
    if value > today_jst():
        raise DomainError(f"{label}（{field}）に未来の日付は指定できません", field=field)


MAX_BULK_ISSUE = 50_000


class CertificateApi(Controller):
    path = "/api/v1/municipalities/{code:str}/disasters/{number:str}"
    tags = ["被害認定調査・罹災証明"]
    dependencies = {"ctx": Provide(provide_api_context, sync_to_thread=True)}

    def _certificate(self, db: Session, disaster: Disaster, certificate_no: int) -> tuple[Certificate, VictimHousehold]:
        certificate = certificates.get_by_number(db, disaster, certificate_no)
        if certificate is None:
            raise NotFoundException(f"交付番号 {certificate_no} の証明書はありません")
        return certificate, db.get(VictimHousehold, certificate.household_id)

    @get(
        "/households/{victim_no:int}/certificates",
        sync_to_thread=True,
        summary="A household's damage class, status and certificates",
    )
    def household_certificates(
        self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int
    ) -> HouseholdCertificates:
        disaster = enter_disaster(db, ctx, code, number, "household.read")
        household = household_by_victim_no(db, disaster, victim_no)
        damage = surveys.household_damage(db, disaster, household)
        status = certificates.household_status(db, household, damage)
        decisive = damage.decisive
        return HouseholdCertificates(
            victim_no=victim_no,
            status=status,
            status_label=certificates.STATUS_LABELS[status],
            damage_class=decisive[1].damage_class if decisive else None,
            damage_label=decisive[1].damage_label if decisive else None,
            decisive_house_no=decisive[0].house_no if decisive else None,
            dwellings=[d.house_no for d, _ in damage.dwellings],
            pending_dwellings=[d.house_no for d in damage.pending],
            certificates=certificates_out(db, [(c, victim_no) for c in certificates.certificates_of(db, household.id)]),
        )

    @post(
        "/households/{victim_no:int}/certificates",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        summary="Issue a certificate (罹災証明書 from the survey, or 被災証明書 with free text)",
    )
    def issue(
        self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int, data: CertificateIssue
    ) -> CertificateOut:
        disaster = enter_disaster(db, ctx, code, number, "certificate.issue")
        household = household_by_victim_no(db, disaster, victim_no)
        if data.kind == "victim":
            certificate = certificates.issue_victim_certificate(
                db,
                household,
                data.victim_text,
                data.location,
                ctx.user.id,
                notes=data.notes,
                on=data.issued_on,
            )
        else:
            certificate = certificates.issue_damage_certificate(
                db, household, ctx.user.id, on=data.issued_on, channel="api"
            )
        action = "certificate.reissue" if certificate.supersedes_id else "certificate.issue"
        record(
            db,
            ctx.actor,
            action,
            "certificate",
            certificate.number,
            {"household": victim_no, "kind": certificate.kind, "class": certificate.damage_class},
            disaster_number=disaster.number,
        )
        db.commit()
        return certificates_out(db, [(certificate, victim_no)])[0]

    @get("/certificates", sync_to_thread=True, summary="The certificate ledger (り災証明発行台帳)")
    def ledger(
        self,
        db: Session,
        ctx: RequestContext,
        code: str,
        number: str,
        status: str | None = None,
        limit: int = 500,
        offset: int = 0,
    ) -> list[CertificateOut]:
        disaster = enter_disaster(db, ctx, code, number, "household.read")
        rows = certificates.ledger_rows(
            db, disaster, status=status, limit=min(max(limit, 1), 5000), offset=max(offset, 0)
        )
        return [certificate_out(r.certificate, r.victim_no, r.supersedes_number, r.superseded_by_number) for r in rows]

    @post(
        "/certificates/bulk-apply",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        summary="一括申請: apply for every household of a surveyed dwelling that has no application",
    )
    def bulk_apply(
        self, db: Session, ctx: RequestContext, code: str, number: str, data: BulkApplyIn | None = None
    ) -> BulkApplyOut:
        disaster = enter_disaster(db, ctx, code, number, "certificate.issue")
        data = data or BulkApplyIn()
        check_date(disaster, data.applied_on, "applied_on", "申請日")
        count = certificates.bulk_apply(db, disaster, ctx.user.id, on=data.applied_on)
        record(
            db,
            ctx.actor,
            "certificate.bulk_apply",
            "disaster",
            disaster.number,
            {"count": count, "channel": "api"},
            disaster_number=disaster.number,
        )
        db.commit()
        return BulkApplyOut(applied=count)

    @post(
        "/certificates/bulk-issue",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        summary="一括交付: issue to every applied household whose dwelling is surveyed (re-issue after a re-survey)",
    )
    def bulk_issue(
        self, db: Session, ctx: RequestContext, code: str, number: str, data: BulkIssueIn | None = None
    ) -> BulkIssueOut:
        disaster = enter_disaster(db, ctx, code, number, "certificate.issue")
        data = data or BulkIssueIn()
        check_date(disaster, data.issued_on, "issued_on", "交付日")
        if data.limit is not None and not 1 <= data.limit <= MAX_BULK_ISSUE:
            raise DomainError(
                f"一度に交付する件数（limit）は 1 から {MAX_BULK_ISSUE} までで指定してください", field="limit"
            )
        issued = certificates.bulk_issue(db, disaster, ctx.user.id, on=data.issued_on, limit=data.limit)
        record(
            db,
            ctx.actor,
            "certificate.bulk_issue",
            "disaster",
            disaster.number,
            {
                "count": len(issued),
                "numbers": f"{issued[0].number}-{issued[-1].number}" if issued else "",
                "channel": "api",
            },
            disaster_number=disaster.number,
        )
        db.commit()
        victim_nos = (
            dict(
                db.execute(
                    select(VictimHousehold.id, VictimHousehold.victim_no).where(
                        VictimHousehold.disaster_id == disaster.id
                    )
                ).all()
            )
            if issued
            else {}
        )
        return BulkIssueOut(
            issued=len(issued),
            first_number=issued[0].number if issued else None,
            last_number=issued[-1].number if issued else None,
            certificates=[
                BulkIssued(
                    number=c.number,
                    victim_no=victim_nos[c.household_id],
                    house_no=c.house_no,
                    damage_class=c.damage_class,
                    damage_label=c.damage_label,
                    reissue=c.supersedes_id is not None,
                )
                for c in issued
            ],
        )

    @get("/certificates/{certificate_no:int}/pdf", sync_to_thread=True, summary="The certificate as PDF")
    def pdf(self, db: Session, ctx: RequestContext, code: str, number: str, certificate_no: int) -> Response:
        disaster = enter_disaster(db, ctx, code, number, "household.read")
        certificate, household = self._certificate(db, disaster, certificate_no)
        content = certificates.render(
            db, certificate, disaster, certificates.issuer_config(db, ctx.municipality.id, ctx.municipality.name)
        )
        record(
            db,
            ctx.actor,
            "certificate.print",
            "certificate",
            certificate.number,
            {"household": household.victim_no},
            disaster_number=disaster.number,
        )
        db.commit()
        return Response(content, media_type="application/pdf")

    @post(
        "/certificates/{certificate_no:int}/reprint",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        summary="Record a reprint (再交付)",
    )
    def reprint(self, db: Session, ctx: RequestContext, code: str, number: str, certificate_no: int) -> CertificateOut:
        disaster = enter_disaster(db, ctx, code, number, "certificate.issue")
        certificate, household = self._certificate(db, disaster, certificate_no)
        certificates.reprint(db, certificate)
        record(
            db,
            ctx.actor,
            "certificate.reprint",
            "certificate",
            certificate.number,
            {"household": household.victim_no, "reprint_count": certificate.reprint_count},
            disaster_number=disaster.number,
        )
        db.commit()
        return certificates_out(db, [(certificate, household.victim_no)])[0]

    @post(
        "/certificates/{certificate_no:int}/cancel",
        sync_to_thread=True,
        status_code=200,
        summary="Cancel a certificate with a reason",
    )
    def cancel(
        self, db: Session, ctx: RequestContext, code: str, number: str, certificate_no: int, data: CancelIn
    ) -> CertificateOut:
        disaster = enter_disaster(db, ctx, code, number, "certificate.issue")
        certificate, household = self._certificate(db, disaster, certificate_no)
        certificates.cancel(db, certificate, data.reason)
        record(
            db,
            ctx.actor,
            "certificate.cancel",
            "certificate",
            certificate.number,
            {"household": household.victim_no, "reason": certificate.cancel_reason},
            disaster_number=disaster.number,
        )
        db.commit()
        return certificates_out(db, [(certificate, household.victim_no)])[0]
