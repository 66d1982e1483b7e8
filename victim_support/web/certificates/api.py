"""Damage surveys and certificates over JSON, scoped to the municipality and disaster in the path."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy import func, select
from sqlmodel import Session

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
from core.clock import today_jst
from ledgers.disasters.models import Disaster
from core.errors import DomainError
from ledgers.households.models import VictimHousehold
from ledgers.registry.models import Dwelling
from ledgers.surveys import services as surveys
from ledgers.surveys.models import Survey, SurveyPhoto, SurveyPlanItem
from ledgers.surveys.schemas import (
    PlanAssignIn,
    PlanAssignOut,
    PlanBuildOut,
    PlanItemIn,
    PlanItemOut,
    ProgressRow,
    SurveyIn,
    SurveyOut,
    SurveyProgressOut,
)
from core.audit import record
from victim_support.web.households.api import LedgerApi
from victim_support.web.context import RequestContext, provide_api_context


def survey_out(db: Session, survey: Survey, house_no: str) -> SurveyOut:
    photos = len(db.execute(select(SurveyPhoto.id).where(SurveyPhoto.survey_id == survey.id)).all())
    return SurveyOut(
        id=survey.id, house_no=house_no, kind=survey.kind, surveyed_on=survey.surveyed_on, surveyors=survey.surveyors,
        team=survey.team, basis=survey.basis, inputs=survey.inputs, damage_class=survey.damage_class,
        damage_label=survey.damage_label, rule_version=survey.rule_version, flood_class=survey.flood_class,
        manual=survey.manual, manual_reason=survey.manual_reason, judgement=survey.judgement,
        superseded_by=survey.superseded_by_id, photos=photos, created_at=survey.created_at,
    )


def certificate_out(db: Session, c: Certificate, victim_no: int) -> CertificateOut:
    def number(certificate_id: int | None) -> int | None:
        return None if certificate_id is None else db.execute(select(Certificate.number).where(Certificate.id == certificate_id)).scalar_one()

    return CertificateOut(
        number=c.number, kind=c.kind, status=c.status, victim_no=victim_no, issued_on=c.issued_on, issued_at=c.issued_at,
        head_name=c.head_name, head_address=c.head_address, dwelling_location=c.dwelling_location, house_no=c.house_no,
        damage_class=c.damage_class, damage_label=c.damage_label, rule_version=c.rule_version, flood_class=c.flood_class,
        victim_text=c.victim_text, supersedes=number(c.supersedes_id), superseded_by=number(c.superseded_by_id),
        cancelled_on=c.cancelled_on, cancel_reason=c.cancel_reason, reprint_count=c.reprint_count,
        last_reprinted_on=c.last_reprinted_on,
    )


def plan_item_out(item: SurveyPlanItem, dwelling: Dwelling, survey: Survey | None) -> PlanItemOut:
    return PlanItemOut(
        id=item.id, house_no=dwelling.house_no, location=dwelling.location, structure=dwelling.structure, town=item.town,
        team=item.team, source=item.source, surveyed=survey is not None, survey_id=survey.id if survey else None,
        survey_kind=survey.kind if survey else None, surveyed_on=survey.surveyed_on if survey else None,
        damage_class=survey.damage_class if survey else None, damage_label=survey.damage_label if survey else None,
    )


def progress_rows(rows: list[dict]) -> list[ProgressRow]:
    return [ProgressRow(name=r["name"] or "", total=r["total"], surveyed=r["surveyed"], pending=r["total"] - r["surveyed"]) for r in rows]


def check_date(disaster: Disaster, value: date | None, field: str, label: str) -> None:
    """A date of a bulk operation: not before the disaster, not in the future."""
    if value is None:
        return
    if value < disaster.occurred_on:
        raise DomainError(f"{label}（{field}）が災害の発生日 {disaster.occurred_on.isoformat()} より前です", field=field)
    if value > today_jst():
        raise DomainError(f"{label}（{field}）に未来の日付は指定できません", field=field)


MAX_BULK_ISSUE = 50_000


class SurveyCertificateApi(Controller):
    path = "/api/v1/municipalities/{code:str}/disasters/{number:str}"
    tags = ["被害認定調査・罹災証明"]
    dependencies = {"ctx": Provide(provide_api_context, sync_to_thread=True)}

    _disaster = LedgerApi._disaster
    _household = LedgerApi._household

    def _certificate(self, db: Session, disaster: Disaster, certificate_no: int) -> tuple[Certificate, VictimHousehold]:
        certificate = certificates.get_by_number(db, disaster, certificate_no)
        if certificate is None:
            raise NotFoundException(f"交付番号 {certificate_no} の証明書はありません")
        return certificate, db.get(VictimHousehold, certificate.household_id)

    @post("/surveys", sync_to_thread=True, status_code=HTTP_201_CREATED, summary="Record a damage survey of a dwelling")
    def create_survey(self, db: Session, ctx: RequestContext, code: str, number: str, data: SurveyIn) -> SurveyOut:
        disaster = self._disaster(db, ctx, code, number, "survey.write")
        dwelling = surveys.dwelling_by_house_no(db, disaster.municipality_id, data.house_no)
        if dwelling is None:
            raise NotFoundException(f"家屋番号 {data.house_no} の家屋はありません")
        values = {name: getattr(data, name) for name in data.__struct_fields__ if name != "house_no"}
        survey = surveys.record_survey(db, disaster, dwelling, surveys.SurveyInput(**values), ctx.user.id)
        record(db, ctx.actor, "survey.create", "damage_survey", survey.id,
               {"house_no": dwelling.house_no, "kind": survey.kind, "class": survey.damage_class, "rule_version": survey.rule_version},
               disaster_number=disaster.number)
        db.commit()
        return survey_out(db, survey, dwelling.house_no)

    @get("/surveys", sync_to_thread=True, summary="Current surveys of the disaster (one per dwelling)")
    def list_surveys(self, db: Session, ctx: RequestContext, code: str, number: str, limit: int = 500, offset: int = 0) -> list[SurveyOut]:
        disaster = self._disaster(db, ctx, code, number, "household.read")
        from ledgers.registry.models import Dwelling

        rows = db.execute(
            select(Survey, Dwelling.house_no).join(Dwelling, Dwelling.id == Survey.dwelling_id)
            .where(Survey.disaster_id == disaster.id, Survey.superseded_by_id.is_(None))
            .order_by(Dwelling.house_no).limit(min(max(limit, 1), 5000)).offset(max(offset, 0))
        ).all()
        return [survey_out(db, s, house_no) for s, house_no in rows]

    @get("/dwellings/{house_no:str}/surveys", sync_to_thread=True, summary="The survey chain of one dwelling, oldest first")
    def dwelling_surveys(self, db: Session, ctx: RequestContext, code: str, number: str, house_no: str) -> list[SurveyOut]:
        disaster = self._disaster(db, ctx, code, number, "household.read")
        dwelling = surveys.dwelling_by_house_no(db, disaster.municipality_id, house_no)
        if dwelling is None:
            raise NotFoundException(f"家屋番号 {house_no} の家屋はありません")
        return [survey_out(db, s, house_no) for s in surveys.survey_chain(db, disaster.id, dwelling.id)]

    # ------------------------------------------------------------ survey plan (調査計画)

    @get("/survey-plan", sync_to_thread=True, summary="The survey plan: dwellings to survey, their team and current survey")
    def survey_plan(self, db: Session, ctx: RequestContext, code: str, number: str, team: str | None = None,
                    town: str | None = None, pending: bool = False, limit: int = 500, offset: int = 0) -> list[PlanItemOut]:
        """``team=`` (empty) lists the dwellings not assigned to a team; ``pending=true`` those
        without a current survey. Ordered by 町丁目, location, 家屋番号."""
        disaster = self._disaster(db, ctx, code, number, "household.read")
        rows = surveys.plan_rows(db, disaster, team=None if team is None else team.strip(), town=(town or "").strip() or None,
                                 pending_only=pending, limit=min(max(limit, 1), 5000), offset=max(offset, 0))
        return [plan_item_out(r.item, r.dwelling, r.survey) for r in rows]

    @get("/survey-plan/progress", sync_to_thread=True, summary="Survey progress: planned and surveyed dwellings per team and per 町丁目")
    def survey_progress(self, db: Session, ctx: RequestContext, code: str, number: str) -> SurveyProgressOut:
        disaster = self._disaster(db, ctx, code, number, "household.read")
        progress = surveys.progress(db, disaster)
        teams = progress_rows(progress["teams"])
        planned, surveyed = sum(r.total for r in teams), sum(r.surveyed for r in teams)
        return SurveyProgressOut(planned=planned, surveyed=surveyed, pending=planned - surveyed, teams=teams,
                                 towns=progress_rows(progress["towns"]))

    @post("/survey-plan/build", sync_to_thread=True, status_code=HTTP_200_OK,
          summary="Add the dwellings of every victim household to the survey plan (idempotent)")
    def survey_plan_build(self, db: Session, ctx: RequestContext, code: str, number: str) -> PlanBuildOut:
        disaster = self._disaster(db, ctx, code, number, "survey.write")
        added = surveys.build_plan(db, disaster, ctx.municipality.name)
        record(db, ctx.actor, "survey.plan_build", "disaster", disaster.number, {"added": added}, disaster_number=disaster.number)
        db.commit()
        planned = db.execute(
            select(func.count()).select_from(SurveyPlanItem).where(SurveyPlanItem.disaster_id == disaster.id)
        ).scalar_one()
        return PlanBuildOut(added=added, planned=planned)

    @post("/survey-plan/items", sync_to_thread=True, status_code=HTTP_201_CREATED,
          summary="Add a dwelling (by 家屋番号) to the survey plan; an already planned one is returned as is")
    def survey_plan_add(self, db: Session, ctx: RequestContext, code: str, number: str, data: PlanItemIn) -> PlanItemOut:
        disaster = self._disaster(db, ctx, code, number, "survey.write")
        item = surveys.add_to_plan(db, disaster, data.house_no, data.team, ctx.municipality.name)
        dwelling = db.get(Dwelling, item.dwelling_id)
        record(db, ctx.actor, "survey.plan_add", "dwelling", dwelling.house_no, {"team": item.team}, disaster_number=disaster.number)
        db.commit()
        return plan_item_out(item, dwelling, surveys.current_survey(db, disaster.id, dwelling.id))

    @post("/survey-plan/assign", sync_to_thread=True, status_code=HTTP_200_OK,
          summary="Assign planned dwellings (by 家屋番号) to a survey team; all or nothing")
    def survey_plan_assign(self, db: Session, ctx: RequestContext, code: str, number: str, data: PlanAssignIn) -> PlanAssignOut:
        disaster = self._disaster(db, ctx, code, number, "survey.write")
        items = surveys.assign_team_by_house_no(db, disaster, data.house_nos, data.team)
        team = items[0].team
        dwellings = {d.id: d for d in db.execute(select(Dwelling).where(Dwelling.id.in_([i.dwelling_id for i in items]))).scalars()}
        record(db, ctx.actor, "survey.assign", "disaster", disaster.number,
               {"team": team, "count": len(items), "house_nos": [dwellings[i.dwelling_id].house_no for i in items[:100]]},
               disaster_number=disaster.number)
        db.commit()
        current = surveys.current_surveys(db, disaster, list(dwellings))
        return PlanAssignOut(team=team, assigned=len(items),
                             items=[plan_item_out(i, dwellings[i.dwelling_id], current.get(i.dwelling_id)) for i in items])

    # ------------------------------------------------------------ certificates

    @get("/households/{victim_no:int}/certificates", sync_to_thread=True, summary="A household's damage class, status and certificates")
    def household_certificates(self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int) -> HouseholdCertificates:
        disaster = self._disaster(db, ctx, code, number, "household.read")
        household = self._household(db, disaster, victim_no)
        damage = surveys.household_damage(db, disaster, household)
        status = certificates.household_status(db, household, damage)
        decisive = damage.decisive
        return HouseholdCertificates(
            victim_no=victim_no, status=status, status_label=certificates.STATUS_LABELS[status],
            damage_class=decisive[1].damage_class if decisive else None, damage_label=decisive[1].damage_label if decisive else None,
            decisive_house_no=decisive[0].house_no if decisive else None,
            dwellings=[d.house_no for d, _ in damage.dwellings], pending_dwellings=[d.house_no for d in damage.pending],
            certificates=[certificate_out(db, c, victim_no) for c in certificates.certificates_of(db, household.id)],
        )

    @post("/households/{victim_no:int}/certificates", sync_to_thread=True, status_code=HTTP_201_CREATED,
          summary="Issue a certificate (罹災証明書 from the survey, or 被災証明書 with free text)")
    def issue(self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int, data: CertificateIssue) -> CertificateOut:
        disaster = self._disaster(db, ctx, code, number, "certificate.issue")
        household = self._household(db, disaster, victim_no)
        if data.kind == "victim":
            certificate = certificates.issue_victim_certificate(
                db, household, data.victim_text, data.location, ctx.user.id, notes=data.notes, on=data.issued_on,
            )
        else:
            certificate = certificates.issue_damage_certificate(db, household, ctx.user.id, on=data.issued_on, channel="api")
        action = "certificate.reissue" if certificate.supersedes_id else "certificate.issue"
        record(db, ctx.actor, action, "certificate", certificate.number,
               {"household": victim_no, "kind": certificate.kind, "class": certificate.damage_class}, disaster_number=disaster.number)
        db.commit()
        return certificate_out(db, certificate, victim_no)

    @get("/certificates", sync_to_thread=True, summary="The certificate ledger (り災証明発行台帳)")
    def ledger(self, db: Session, ctx: RequestContext, code: str, number: str, status: str | None = None,
               limit: int = 500, offset: int = 0) -> list[CertificateOut]:
        disaster = self._disaster(db, ctx, code, number, "household.read")
        rows = certificates.ledger_rows(db, disaster, status=status, limit=min(max(limit, 1), 5000), offset=max(offset, 0))
        return [certificate_out(db, r.certificate, r.victim_no) for r in rows]

    @post("/certificates/bulk-apply", sync_to_thread=True, status_code=HTTP_200_OK,
          summary="一括申請: apply for every household of a surveyed dwelling that has no application")
    def bulk_apply(self, db: Session, ctx: RequestContext, code: str, number: str, data: BulkApplyIn | None = None) -> BulkApplyOut:
        disaster = self._disaster(db, ctx, code, number, "certificate.issue")
        data = data or BulkApplyIn()
        check_date(disaster, data.applied_on, "applied_on", "申請日")
        count = certificates.bulk_apply(db, disaster, ctx.user.id, on=data.applied_on)
        record(db, ctx.actor, "certificate.bulk_apply", "disaster", disaster.number, {"count": count, "channel": "api"},
               disaster_number=disaster.number)
        db.commit()
        return BulkApplyOut(applied=count)

    @post("/certificates/bulk-issue", sync_to_thread=True, status_code=HTTP_200_OK,
          summary="一括交付: issue to every applied household whose dwelling is surveyed (re-issue after a re-survey)")
    def bulk_issue(self, db: Session, ctx: RequestContext, code: str, number: str, data: BulkIssueIn | None = None) -> BulkIssueOut:
        disaster = self._disaster(db, ctx, code, number, "certificate.issue")
        data = data or BulkIssueIn()
        check_date(disaster, data.issued_on, "issued_on", "交付日")
        if data.limit is not None and not 1 <= data.limit <= MAX_BULK_ISSUE:
            raise DomainError(f"一度に交付する件数（limit）は 1 から {MAX_BULK_ISSUE} までで指定してください", field="limit")
        issued = certificates.bulk_issue(db, disaster, ctx.user.id, on=data.issued_on, limit=data.limit)
        record(db, ctx.actor, "certificate.bulk_issue", "disaster", disaster.number,
               {"count": len(issued), "numbers": f"{issued[0].number}-{issued[-1].number}" if issued else "", "channel": "api"},
               disaster_number=disaster.number)
        db.commit()
        victim_nos = dict(db.execute(
            select(VictimHousehold.id, VictimHousehold.victim_no).where(VictimHousehold.disaster_id == disaster.id)
        ).all()) if issued else {}
        return BulkIssueOut(
            issued=len(issued), first_number=issued[0].number if issued else None, last_number=issued[-1].number if issued else None,
            certificates=[
                BulkIssued(number=c.number, victim_no=victim_nos[c.household_id], house_no=c.house_no, damage_class=c.damage_class,
                           damage_label=c.damage_label, reissue=c.supersedes_id is not None)
                for c in issued
            ],
        )

    @get("/certificates/{certificate_no:int}/pdf", sync_to_thread=True, summary="The certificate as PDF")
    def pdf(self, db: Session, ctx: RequestContext, code: str, number: str, certificate_no: int) -> Response:
        disaster = self._disaster(db, ctx, code, number, "household.read")
        certificate, household = self._certificate(db, disaster, certificate_no)
        content = certificates.render(db, certificate, disaster, certificates.issuer_config(db, ctx.municipality.id, ctx.municipality.name))
        record(db, ctx.actor, "certificate.print", "certificate", certificate.number, {"household": household.victim_no}, disaster_number=disaster.number)
        db.commit()
        return Response(content, media_type="application/pdf")

    @post("/certificates/{certificate_no:int}/reprint", sync_to_thread=True, status_code=HTTP_201_CREATED, summary="Record a reprint (再交付)")
    def reprint(self, db: Session, ctx: RequestContext, code: str, number: str, certificate_no: int) -> CertificateOut:
        disaster = self._disaster(db, ctx, code, number, "certificate.issue")
        certificate, household = self._certificate(db, disaster, certificate_no)
        certificates.reprint(db, certificate)
        record(db, ctx.actor, "certificate.reprint", "certificate", certificate.number,
               {"household": household.victim_no, "reprint_count": certificate.reprint_count}, disaster_number=disaster.number)
        db.commit()
        return certificate_out(db, certificate, household.victim_no)

    @post("/certificates/{certificate_no:int}/cancel", sync_to_thread=True, status_code=200, summary="Cancel a certificate with a reason")
    def cancel(self, db: Session, ctx: RequestContext, code: str, number: str, certificate_no: int, data: CancelIn) -> CertificateOut:
        disaster = self._disaster(db, ctx, code, number, "certificate.issue")
        certificate, household = self._certificate(db, disaster, certificate_no)
        certificates.cancel(db, certificate, data.reason)
        record(db, ctx.actor, "certificate.cancel", "certificate", certificate.number,
               {"household": household.victim_no, "reason": certificate.cancel_reason}, disaster_number=disaster.number)
        db.commit()
        return certificate_out(db, certificate, household.victim_no)
