"""Damage surveys and the survey plan over JSON, scoped to the municipality and disaster in the path."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy import func, select
from sqlmodel import Session

from core.audit import record
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
from victim_support.web.context import RequestContext, enter_disaster, provide_api_context


def photo_counts(db: Session, survey_ids: list[int]) -> dict[int, int]:
    """The number of photos of each survey, in one query; a survey without photos is absent."""
    if not survey_ids:
        return {}
    return dict(
        db.execute(
            select(SurveyPhoto.survey_id, func.count())
            .where(SurveyPhoto.survey_id.in_(survey_ids))
            .group_by(SurveyPhoto.survey_id)
        ).all()
    )


def surveys_out(db: Session, rows: list[tuple[Survey, str]]) -> list[SurveyOut]:
    """(survey, 家屋番号) pairs as SurveyOut, their photos counted in one query."""
    photos = photo_counts(db, [survey.id for survey, _ in rows])
    return [survey_out(survey, house_no, photos.get(survey.id, 0)) for survey, house_no in rows]


def survey_out(survey: Survey, house_no: str, photos: int) -> SurveyOut:
    return SurveyOut(
        id=survey.id,
        house_no=house_no,
        kind=survey.kind,
        surveyed_on=survey.surveyed_on,
        surveyors=survey.surveyors,
        team=survey.team,
        basis=survey.basis,
        inputs=survey.inputs,
        damage_class=survey.damage_class,
        damage_label=survey.damage_label,
        rule_version=survey.rule_version,
        flood_class=survey.flood_class,
        manual=survey.manual,
        manual_reason=survey.manual_reason,
        judgement=survey.judgement,
        superseded_by=survey.superseded_by_id,
        photos=photos,
        created_at=survey.created_at,
    )


def plan_item_out(item: SurveyPlanItem, dwelling: Dwelling, survey: Survey | None) -> PlanItemOut:
    return PlanItemOut(
        id=item.id,
        house_no=dwelling.house_no,
        location=dwelling.location,
        structure=dwelling.structure,
        town=item.town,
        team=item.team,
        source=item.source,
        surveyed=survey is not None,
        survey_id=survey.id if survey else None,
        survey_kind=survey.kind if survey else None,
        surveyed_on=survey.surveyed_on if survey else None,
        damage_class=survey.damage_class if survey else None,
        damage_label=survey.damage_label if survey else None,
    )


def progress_rows(rows: list[dict]) -> list[ProgressRow]:
    return [
        ProgressRow(name=r["name"] or "", total=r["total"], surveyed=r["surveyed"], pending=r["total"] - r["surveyed"])
        for r in rows
    ]


class SurveyApi(Controller):
    path = "/api/v1/municipalities/{code:str}/disasters/{number:str}"
    tags = ["被害認定調査・罹災証明"]
    dependencies = {"ctx": Provide(provide_api_context, sync_to_thread=True)}

    @post("/surveys", sync_to_thread=True, status_code=HTTP_201_CREATED, summary="Record a damage survey of a dwelling")
    def create_survey(self, db: Session, ctx: RequestContext, code: str, number: str, data: SurveyIn) -> SurveyOut:
        disaster = enter_disaster(db, ctx, code, number, "survey.write")
        dwelling = surveys.dwelling_by_house_no(db, disaster.municipality_id, data.house_no)
        if dwelling is None:
            raise NotFoundException(f"家屋番号 {data.house_no} の家屋はありません")
        values = {name: getattr(data, name) for name in data.__struct_fields__ if name != "house_no"}
        survey = surveys.record_survey(db, disaster, dwelling, surveys.SurveyInput(**values), ctx.user.id)
        record(
            db,
            ctx.actor,
            "survey.create",
            "damage_survey",
            survey.id,
            {
                "house_no": dwelling.house_no,
                "kind": survey.kind,
                "class": survey.damage_class,
                "rule_version": survey.rule_version,
            },
            disaster_number=disaster.number,
        )
        db.commit()
        return surveys_out(db, [(survey, dwelling.house_no)])[0]

    @get("/surveys", sync_to_thread=True, summary="Current surveys of the disaster (one per dwelling)")
    def list_surveys(
        self, db: Session, ctx: RequestContext, code: str, number: str, limit: int = 500, offset: int = 0
    ) -> list[SurveyOut]:
        disaster = enter_disaster(db, ctx, code, number, "household.read")
        rows = db.execute(
            select(Survey, Dwelling.house_no)
            .join(Dwelling, Dwelling.id == Survey.dwelling_id)
            .where(Survey.disaster_id == disaster.id, Survey.superseded_by_id.is_(None))
            .order_by(Dwelling.house_no)
            .limit(min(max(limit, 1), 5000))
            .offset(max(offset, 0))
        ).all()
        return surveys_out(db, [(s, house_no) for s, house_no in rows])

    @get(
        "/dwellings/{house_no:str}/surveys",
        sync_to_thread=True,
        summary="The survey chain of one dwelling, oldest first",
    )
    def dwelling_surveys(
        self, db: Session, ctx: RequestContext, code: str, number: str, house_no: str
    ) -> list[SurveyOut]:
        disaster = enter_disaster(db, ctx, code, number, "household.read")
        dwelling = surveys.dwelling_by_house_no(db, disaster.municipality_id, house_no)
        if dwelling is None:
            raise NotFoundException(f"家屋番号 {house_no} の家屋はありません")
        return surveys_out(db, [(s, house_no) for s in surveys.survey_chain(db, disaster.id, dwelling.id)])

    # ------------------------------------------------------------ survey plan (調査計画)

    @get(
        "/survey-plan",
        sync_to_thread=True,
        summary="The survey plan: dwellings to survey, their team and current survey",
    )
    def survey_plan(
        self,
        db: Session,
        ctx: RequestContext,
        code: str,
        number: str,
        team: str | None = None,
        town: str | None = None,
        pending: bool = False,
        limit: int = 500,
        offset: int = 0,
    ) -> list[PlanItemOut]:
        """``team=`` (empty) lists the dwellings not assigned to a team; ``pending=true`` those
        without a current survey. Ordered by 町丁目, location, 家屋番号."""
        disaster = enter_disaster(db, ctx, code, number, "household.read")
        rows = surveys.plan_rows(
            db,
            disaster,
            team=None if team is None else team.strip(),
            town=(town or "").strip() or None,
            pending_only=pending,
            limit=min(max(limit, 1), 5000),
            offset=max(offset, 0),
        )
        return [plan_item_out(r.item, r.dwelling, r.survey) for r in rows]

    @get(
        "/survey-plan/progress",
        sync_to_thread=True,
        summary="Survey progress: planned and surveyed dwellings per team and per 町丁目",
    )
    def survey_progress(self, db: Session, ctx: RequestContext, code: str, number: str) -> SurveyProgressOut:
        disaster = enter_disaster(db, ctx, code, number, "household.read")
        progress = surveys.progress(db, disaster)
        teams = progress_rows(progress["teams"])
        planned, surveyed = sum(r.total for r in teams), sum(r.surveyed for r in teams)
        return SurveyProgressOut(
            planned=planned,
            surveyed=surveyed,
            pending=planned - surveyed,
            teams=teams,
            towns=progress_rows(progress["towns"]),
        )

    @post(
        "/survey-plan/build",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        summary="Add the dwellings of every victim household to the survey plan (idempotent)",
    )
    def survey_plan_build(self, db: Session, ctx: RequestContext, code: str, number: str) -> PlanBuildOut:
        disaster = enter_disaster(db, ctx, code, number, "survey.write")
        added = surveys.build_plan(db, disaster, ctx.municipality.name)
        record(
            db,
            ctx.actor,
            "survey.plan_build",
            "disaster",
            disaster.number,
            {"added": added},
            disaster_number=disaster.number,
        )
        db.commit()
        planned = db.execute(
            select(func.count()).select_from(SurveyPlanItem).where(SurveyPlanItem.disaster_id == disaster.id)
        ).scalar_one()
        return PlanBuildOut(added=added, planned=planned)

    @post(
        "/survey-plan/items",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        summary="Add a dwelling (by 家屋番号) to the survey plan; an already planned one is returned as is",
    )
    def survey_plan_add(
        self, db: Session, ctx: RequestContext, code: str, number: str, data: PlanItemIn
    ) -> PlanItemOut:
        disaster = enter_disaster(db, ctx, code, number, "survey.write")
        item = surveys.add_to_plan(db, disaster, data.house_no, data.team, ctx.municipality.name)
        dwelling = db.get(Dwelling, item.dwelling_id)
        record(
            db,
            ctx.actor,
            "survey.plan_add",
            "dwelling",
            dwelling.house_no,
            {"team": item.team},
            disaster_number=disaster.number,
        )
        db.commit()
        return plan_item_out(item, dwelling, surveys.current_survey(db, disaster.id, dwelling.id))

    @post(
        "/survey-plan/assign",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        summary="Assign planned dwellings (by 家屋番号) to a survey team; all or nothing",
    )
    def survey_plan_assign(
        self, db: Session, ctx: RequestContext, code: str, number: str, data: PlanAssignIn
    ) -> PlanAssignOut:
        disaster = enter_disaster(db, ctx, code, number, "survey.write")
        items = surveys.assign_team_by_house_no(db, disaster, data.house_nos, data.team)
        team = items[0].team
        dwellings = {
            d.id: d
            for d in db.execute(select(Dwelling).where(Dwelling.id.in_([i.dwelling_id for i in items]))).scalars()
        }
        record(
            db,
            ctx.actor,
            "survey.assign",
            "disaster",
            disaster.number,
            {"team": team, "count": len(items), "house_nos": [dwellings[i.dwelling_id].house_no for i in items[:100]]},
            disaster_number=disaster.number,
        )
        db.commit()
        current = surveys.current_surveys(db, disaster, list(dwellings))
        return PlanAssignOut(
            team=team,
            assigned=len(items),
            items=[plan_item_out(i, dwellings[i.dwelling_id], current.get(i.dwelling_id)) for i in items],
        )
