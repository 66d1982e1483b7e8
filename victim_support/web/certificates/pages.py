"""Certificates in the browser: the counter flow (窓口), the certificate ledger, its CSV, batch
print, bulk application/issuance, the household's 罹災証明 tab and the issuer settings."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlmodel import Session

from core.audit import record
from core.clock import today_jst
from core.errors import DomainError
from ledgers.certificates import services as certificates
from ledgers.certificates.models import Certificate
from ledgers.disasters.models import Disaster
from ledgers.households import services as households
from ledgers.households.models import VictimHousehold
from ledgers.surveys import services as surveys
from victim_support.web.common import Form, Multipart, form_str, is_htmx, page
from victim_support.web.context import RequestContext, acting_disaster, provide_context, require_acting
from victim_support.web.forms import Audit, save
from victim_support.web.households.pages import household_in_tenant, members_by_household

MAX_BATCH = 2000


def pdf_response(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"},
    )


def parse_numbers(text: str) -> list[int]:
    """ "1-20, 25 27" → [1..20, 25, 27] (certificate numbers for a batch print)."""
    numbers: list[int] = []
    for token in re.split(r"[,\s、，]+", text.strip()):
        if not token:
            continue
        match = re.fullmatch(r"(\d+)(?:[-〜~－](\d+))?", token)
        if not match:
            raise DomainError(f"交付番号の指定が正しくありません: {token}（例: 1-20, 25）", field="numbers")
        start, end = int(match.group(1)), int(match.group(2) or match.group(1))
        if end < start or end - start >= MAX_BATCH:
            raise DomainError(f"交付番号の範囲が正しくありません: {token}", field="numbers")
        numbers.extend(range(start, end + 1))
    if not numbers:
        raise DomainError("印刷する交付番号を入力してください", field="numbers")
    if len(numbers) > MAX_BATCH:
        raise DomainError(f"一度に印刷できるのは {MAX_BATCH} 件までです", field="numbers")
    return list(dict.fromkeys(numbers))


class CertificatePages(Controller):
    include_in_schema = False
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=True)}

    # ------------------------------------------------------------ counter (窓口)

    @get("/counter", sync_to_thread=True)
    def counter(self, request: Request, db: Session, ctx: RequestContext, q: str = "") -> Template | Redirect:
        require_acting(ctx)
        if ctx.disaster is None:
            return Redirect("/select?need=disaster")
        ctx.require("household.read", ctx.disaster)
        results = households.search_households(db, ctx.disaster, q, limit=30) if q.strip() else []
        statuses = certificates.status_map(db, ctx.disaster, [h.id for h in results]) if results else {}
        template = "certificates/_counter_results.html" if is_htmx(request) else "certificates/counter.html"
        return page(
            template,
            ctx,
            q=q,
            results=results,
            members=members_by_household(db, results),
            statuses=statuses,
            STATUS_LABELS=certificates.STATUS_LABELS,
        )

    @get("/counter/{household_id:int}", sync_to_thread=True)
    def counter_household(
        self, db: Session, ctx: RequestContext, household_id: int, issued: int | None = None
    ) -> Template:
        household, disaster = household_in_tenant(db, ctx, household_id)
        context = _certificate_context(db, household, disaster)
        just_issued = None
        if issued:
            just_issued = next(
                (c for c in context["certificates"] if c.id == issued), None
            ) or certificates.get_certificate(db, household.municipality_id, issued)
        record(
            db,
            ctx.actor,
            "household.view",
            "victim_household",
            household.victim_no,
            {"page": "counter"},
            disaster_number=disaster.number,
        )
        db.commit()
        return page(
            "certificates/counter_household.html",
            ctx,
            household=household,
            disaster=disaster,
            just_issued=just_issued,
            **context,
        )

    @post("/counter/{household_id:int}/issue", sync_to_thread=True)
    def counter_issue(self, db: Session, ctx: RequestContext, household_id: int) -> Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "certificate.issue")
        return save(
            db,
            ctx,
            lambda: certificates.issue_damage_certificate(db, household, ctx.user.id),
            audit=lambda certificate: _issue_audit(certificate, household, disaster),
            redirect=lambda certificate: f"/counter/{household.id}?issued={certificate.id}",
        )

    # ------------------------------------------------------------ household tab (罹災証明)

    @get("/households/{household_id:int}/certificates", sync_to_thread=True)
    def household_tab(self, db: Session, ctx: RequestContext, household_id: int) -> Template:
        household, disaster = household_in_tenant(db, ctx, household_id)
        return page(
            "certificates/_household_tab.html",
            ctx,
            household=household,
            disaster=disaster,
            **_certificate_context(db, household, disaster),
        )

    @post("/households/{household_id:int}/certificates/apply", sync_to_thread=True)
    def household_apply(self, db: Session, ctx: RequestContext, household_id: int) -> Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "certificate.issue")
        return save(
            db,
            ctx,
            lambda: certificates.apply(db, household, ctx.user.id),
            audit=lambda application: Audit(
                "certificate.apply",
                "certificate_application",
                application.id,
                {"household": household.victim_no},
                disaster_number=disaster.number,
            ),
            redirect=f"/households/{household.id}?tab=certificates",
        )

    @post("/households/{household_id:int}/certificates/issue", sync_to_thread=True)
    def household_issue(self, db: Session, ctx: RequestContext, household_id: int) -> Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "certificate.issue")
        return save(
            db,
            ctx,
            lambda: certificates.issue_damage_certificate(db, household, ctx.user.id),
            audit=lambda certificate: _issue_audit(certificate, household, disaster),
            redirect=f"/households/{household.id}?tab=certificates",
        )

    @post("/households/{household_id:int}/certificates/resurvey", sync_to_thread=True)
    def household_resurvey(self, db: Session, ctx: RequestContext, household_id: int, data: Form) -> Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "certificate.issue")
        return save(
            db,
            ctx,
            lambda: certificates.request_resurvey(db, household, form_str(data, "reason"), ctx.user.id),
            audit=lambda application: Audit(
                "certificate.resurvey_request",
                "certificate_application",
                application.id,
                {"household": household.victim_no, "reason": application.resurvey_reason},
                disaster_number=disaster.number,
            ),
            redirect=f"/households/{household.id}?tab=certificates",
        )

    @post("/households/{household_id:int}/certificates/victim", sync_to_thread=True)
    def household_victim(self, db: Session, ctx: RequestContext, household_id: int, data: Form) -> Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "certificate.issue")
        return save(
            db,
            ctx,
            lambda: certificates.issue_victim_certificate(
                db,
                household,
                str(data.get("victim_text", "")),
                form_str(data, "location"),
                ctx.user.id,
                notes=form_str(data, "notes"),
            ),
            audit=lambda certificate: _issue_audit(certificate, household, disaster),
            redirect=f"/households/{household.id}?tab=certificates",
        )

    # ------------------------------------------------------------ one certificate

    @get("/certificates/{certificate_id:int}/pdf", sync_to_thread=True)
    def certificate_pdf(self, db: Session, ctx: RequestContext, certificate_id: int) -> Response:
        certificate, household, disaster = _certificate_in_tenant(db, ctx, certificate_id)
        pdf = certificates.render(db, certificate, disaster, _issuer(db, ctx))
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
        return pdf_response(pdf, f"certificate-{disaster.number}-{certificate.number}.pdf")

    @post("/certificates/{certificate_id:int}/reprint", sync_to_thread=True)
    def certificate_reprint(self, db: Session, ctx: RequestContext, certificate_id: int) -> Response:
        certificate, household, disaster = _certificate_in_tenant(db, ctx, certificate_id, "certificate.issue")
        certificates.reprint(db, certificate)
        pdf = certificates.render(db, certificate, disaster, _issuer(db, ctx), reprint_on=certificate.last_reprinted_on)
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
        return pdf_response(pdf, f"certificate-{disaster.number}-{certificate.number}-reprint.pdf")

    @post("/certificates/{certificate_id:int}/cancel", sync_to_thread=True)
    def certificate_cancel(self, db: Session, ctx: RequestContext, certificate_id: int, data: Form) -> Redirect:
        certificate, household, disaster = _certificate_in_tenant(db, ctx, certificate_id, "certificate.issue")
        return save(
            db,
            ctx,
            lambda: certificates.cancel(db, certificate, form_str(data, "reason")),
            audit=lambda _: Audit(
                "certificate.cancel",
                "certificate",
                certificate.number,
                {"household": household.victim_no, "reason": certificate.cancel_reason},
                disaster_number=disaster.number,
            ),
            redirect=f"/households/{household.id}?tab=certificates",
        )

    # ------------------------------------------------------------ ledger (り災証明発行台帳)

    @get("/certificates", sync_to_thread=True)
    def ledger(self, db: Session, ctx: RequestContext, status: str = "", created: int | None = None) -> Template:
        disaster = acting_disaster(ctx, "household.read")
        rows = certificates.ledger_rows(db, disaster, status=status or None, limit=500)
        counts = certificates.status_counts(db, disaster)
        return page(
            "certificates/ledger.html",
            ctx,
            rows=rows,
            status=status,
            counts=counts,
            created=created,
            STATUS_LABELS=certificates.STATUS_LABELS,
        )

    @get("/certificates.csv", sync_to_thread=True)
    def ledger_csv(self, db: Session, ctx: RequestContext) -> Response:
        disaster = acting_disaster(ctx, "household.read")
        rows = certificates.ledger_rows(db, disaster)
        record(
            db,
            ctx.actor,
            "certificate.export",
            "disaster",
            disaster.number,
            {"rows": len(rows), "format": "csv"},
            disaster_number=disaster.number,
        )
        db.commit()
        return Response(
            certificates.ledger_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="certificates-{disaster.number}.csv"'},
        )

    @post("/certificates/batch", sync_to_thread=True)
    def batch_print(self, db: Session, ctx: RequestContext, data: Form) -> Response:
        disaster = acting_disaster(ctx, "certificate.issue")
        numbers = parse_numbers(form_str(data, "numbers"))
        found = {c.number: c for c in _by_numbers(db, disaster, numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise DomainError(f"交付番号 {', '.join(map(str, missing[:10]))} の証明書はありません", field="numbers")
        items = [found[n] for n in numbers]
        pdf = certificates.render_many(db, items, disaster, _issuer(db, ctx))
        record(
            db,
            ctx.actor,
            "certificate.print_batch",
            "disaster",
            disaster.number,
            {"numbers": form_str(data, "numbers"), "count": len(items)},
            disaster_number=disaster.number,
        )
        db.commit()
        return pdf_response(pdf, f"certificates-{disaster.number}-batch.pdf")

    @post("/certificates/bulk-apply", sync_to_thread=True)
    def bulk_apply(self, db: Session, ctx: RequestContext) -> Redirect:
        disaster = acting_disaster(ctx, "certificate.issue")
        return save(
            db,
            ctx,
            lambda: certificates.bulk_apply(db, disaster, ctx.user.id),
            audit=lambda count: Audit(
                "certificate.bulk_apply", "disaster", disaster.number, {"count": count}, disaster_number=disaster.number
            ),
            redirect=lambda count: f"/certificates?created={count}",
        )

    @post("/certificates/bulk-issue", sync_to_thread=True)
    def bulk_issue(self, db: Session, ctx: RequestContext) -> Redirect:
        disaster = acting_disaster(ctx, "certificate.issue")
        return save(
            db,
            ctx,
            lambda: certificates.bulk_issue(db, disaster, ctx.user.id),
            audit=lambda issued: Audit(
                "certificate.bulk_issue",
                "disaster",
                disaster.number,
                {"count": len(issued), "numbers": f"{issued[0].number}-{issued[-1].number}" if issued else ""},
                disaster_number=disaster.number,
            ),
            redirect=lambda issued: f"/certificates?created={len(issued)}",
        )

    @get("/certificates/summary", sync_to_thread=True)
    def summary(self, db: Session, ctx: RequestContext) -> Template:
        """Dashboard cards (loaded by HTMX): certificate status counts and survey progress."""
        disaster = acting_disaster(ctx, "household.read")
        return page(
            "certificates/_summary.html",
            ctx,
            counts=certificates.status_counts(db, disaster),
            survey=surveys.survey_counts(db, disaster),
            STATUS_LABELS=certificates.STATUS_LABELS,
        )

    # ------------------------------------------------------------ settings

    @get("/admin/issuer", sync_to_thread=True)
    def issuer_form(self, db: Session, ctx: RequestContext, saved: bool = False) -> Template:
        municipality = require_acting(ctx)
        ctx.require_municipal("certificate.configure")
        setting = certificates.get_issuer_setting(db, municipality.id)
        return page("certificates/issuer.html", ctx, setting=setting, saved=saved)

    @post("/admin/issuer", sync_to_thread=True)
    def issuer_save(self, db: Session, ctx: RequestContext, data: Multipart) -> Redirect:
        municipality = require_acting(ctx)
        ctx.require_municipal("certificate.configure")
        upload = data.get("seal")
        seal = upload.file.read() if isinstance(upload, UploadFile) and upload.filename else None
        return save(
            db,
            ctx,
            lambda: certificates.save_issuer(
                db,
                municipality.id,
                form_str(data, "issuer_name"),
                form_str(data, "mayor_name"),
                form_str(data, "mayor_title"),
                seal_png=seal or None,
                remove_seal=form_str(data, "remove_seal") == "1",
            ),
            audit=lambda _: Audit(
                "certificate.issuer_update", "municipality", municipality.code, {"seal_uploaded": bool(seal)}
            ),
            redirect="/admin/issuer?saved=true",
        )

    @get("/admin/issuer/sample.pdf", sync_to_thread=True)
    def issuer_sample(self, db: Session, ctx: RequestContext) -> Response:
        from ledgers.certificates import CertificateView, render_certificate

        municipality = require_acting(ctx)
        ctx.require_municipal("certificate.configure")
        view = CertificateView(
            number="見本",
            issued_on=today_jst(),
            head_name="見本　花子",
            head_address=f"{municipality.name}見本町一丁目1番1号",
            dwelling_location=f"{municipality.name}見本町一丁目1番1号",
            disaster_name="見本地震",
            disaster_date=today_jst(),
            damage_class="half",
        )
        return pdf_response(render_certificate(view, _issuer(db, ctx)), "sample.pdf")


# ---------------------------------------------------------------- helpers


def _issuer(db: Session, ctx: RequestContext):  # noqa: ANN202
    municipality = require_acting(ctx)
    return certificates.issuer_config(db, municipality.id, municipality.name)


def _issue_audit(certificate: Certificate, household: VictimHousehold, disaster: Disaster) -> Audit:
    action = "certificate.reissue" if certificate.supersedes_id else "certificate.issue"
    return Audit(
        action,
        "certificate",
        certificate.number,
        {
            "household": household.victim_no,
            "kind": certificate.kind,
            "class": certificate.damage_class,
            "rule_version": certificate.rule_version,
        },
        disaster_number=disaster.number,
    )


def _certificate_in_tenant(
    db: Session, ctx: RequestContext, certificate_id: int, permission: str | None = None
) -> tuple[Certificate, VictimHousehold, Disaster]:
    municipality = require_acting(ctx)
    certificate = certificates.get_certificate(db, municipality.id, certificate_id)
    if certificate is None:
        raise NotFoundException("指定された証明書はありません")
    household, disaster = household_in_tenant(db, ctx, certificate.household_id, permission)
    return certificate, household, disaster


def _by_numbers(db: Session, disaster: Disaster, numbers: list[int]) -> list[Certificate]:
    from sqlalchemy import select

    return list(
        db.execute(
            select(Certificate).where(Certificate.disaster_id == disaster.id, Certificate.number.in_(numbers))
        ).scalars()
    )


def _certificate_context(db: Session, household: VictimHousehold, disaster: Disaster) -> dict[str, Any]:
    damage = surveys.household_damage(db, disaster, household)
    items = certificates.certificates_of(db, household.id)
    numbers = {c.id: c.number for c in items}
    application = certificates.damage_application(db, household.id)
    active = certificates.active_of(items)
    status = certificates.status_of(application, active, damage.surveyed)
    return {
        "damage": damage,
        "certificates": items,
        "numbers": numbers,
        "application": application,
        "active": active,
        "status": status,
        "status_label": certificates.STATUS_LABELS[status],
        "can_issue": damage.surveyed
        and damage.decisive[1].damage_class != "none"
        and (active is None or active.survey_id != damage.decisive[1].id),
        "kind_label": surveys.kind_label,
    }
