"""Damage surveys in the browser: the survey plan (teams, progress per team and 町丁目), the
printable survey sheet, and the tablet-sized entry page for surveyors in the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlmodel import Session

from core.clock import today_jst
from core.errors import DomainError
from core.settings import Settings
from ledgers.damage import SURVEYS
from ledgers.surveys import services as surveys
from ledgers.surveys.models import SURVEY_KIND_LABELS, Survey
from victim_support.web.common import Form, Multipart, form_bool, form_date, form_str, page
from victim_support.web.context import RequestContext, acting_disaster, provide_context, require_acting
from victim_support.web.forms import Audit, save


def photo_dir() -> Path:
    """Where survey photos are stored (var/photos unless VS_PHOTO_DIR says otherwise)."""
    return Settings.from_env().photos


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def survey_input(data: dict[str, Any]) -> surveys.SurveyInput:
    parts = {
        key[5:]: str(value).strip() for key, value in data.items() if key.startswith("part_") and str(value).strip()
    }
    return surveys.SurveyInput(
        kind=form_str(data, "kind") or "first",
        surveyed_on=form_date(data, "surveyed_on", "調査日"),
        surveyors=form_str(data, "surveyors"),
        team=form_str(data, "team"),
        ratio=form_str(data, "ratio"),
        floor_ratio=form_str(data, "floor_ratio"),
        parts=parts,
        flood_depth=form_str(data, "flood_depth"),
        external_force=form_bool(data, "external_force"),
        washed_away=form_bool(data, "washed_away"),
        manual_class=form_str(data, "manual_class"),
        manual_reason=form_str(data, "manual_reason"),
        notes=str(data.get("notes") or ""),
    )


class SurveyPages(Controller):
    include_in_schema = False
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=True)}

    @get("/surveys", sync_to_thread=True)
    def plan(
        self,
        db: Session,
        ctx: RequestContext,
        team: str | None = None,
        town: str = "",
        pending: bool = False,
        added: int | None = None,
    ) -> Template:
        disaster = acting_disaster(ctx, "household.read")
        rows = surveys.plan_rows(db, disaster, team=team, town=town or None, pending_only=pending)
        return page(
            "surveys/plan.html",
            ctx,
            disaster=disaster,
            rows=rows,
            progress=surveys.progress(db, disaster),
            team=team,
            town=town,
            pending=pending,
            added=added,
            kind_label=surveys.kind_label,
        )

    @post("/surveys/plan/build", sync_to_thread=True)
    def plan_build(self, db: Session, ctx: RequestContext) -> Redirect:
        disaster = acting_disaster(ctx, "survey.write")
        return save(
            db,
            ctx,
            lambda: surveys.build_plan(db, disaster, ctx.municipality.name),
            audit=lambda added: Audit(
                "survey.plan_build", "disaster", disaster.number, {"added": added}, disaster_number=disaster.number
            ),
            redirect=lambda added: f"/surveys?added={added}",
        )

    @post("/surveys/plan/add", sync_to_thread=True)
    def plan_add(self, db: Session, ctx: RequestContext, data: Form) -> Redirect:
        disaster = acting_disaster(ctx, "survey.write")
        house_no = form_str(data, "house_no")
        return save(
            db,
            ctx,
            lambda: surveys.add_to_plan(db, disaster, house_no, form_str(data, "team"), ctx.municipality.name),
            audit=lambda item: Audit(
                "survey.plan_add", "dwelling", house_no, {"team": item.team}, disaster_number=disaster.number
            ),
            redirect="/surveys?added=1",
        )

    @post("/surveys/plan/assign", sync_to_thread=True)
    def plan_assign(self, db: Session, ctx: RequestContext, data: Form) -> Redirect:
        disaster = acting_disaster(ctx, "survey.write")
        ids = [int(v) for v in _as_list(data.get("item")) if str(v).isdigit()]
        team = form_str(data, "team")
        return save(
            db,
            ctx,
            lambda: surveys.assign_team(db, disaster, ids, team),
            audit=lambda count: Audit(
                "survey.assign",
                "disaster",
                disaster.number,
                {"team": team, "count": count},
                disaster_number=disaster.number,
            ),
            redirect="/surveys",
        )

    @get("/surveys/sheet", sync_to_thread=True)
    def sheet(self, db: Session, ctx: RequestContext, team: str | None = None, town: str = "") -> Template:
        """Printable survey sheet (調査票) of a team: one block per dwelling, with boxes to fill in."""
        disaster = acting_disaster(ctx, "household.read")
        rows = surveys.plan_rows(db, disaster, team=team, town=town or None, pending_only=True)
        households = (
            {r.dwelling.id: surveys.households_of_dwelling(db, disaster, r.dwelling.id) for r in rows}
            if len(rows) <= 300
            else {}
        )
        ruleset = surveys.ruleset_for(disaster, "ratio")
        weights = ruleset.part_weights("wooden", "first")
        return page(
            "surveys/sheet.html",
            ctx,
            disaster=disaster,
            rows=rows,
            team=team,
            town=town,
            households=households,
            ruleset=ruleset,
            weights=weights,
        )

    @get("/surveys/dwellings/{dwelling_id:int}", sync_to_thread=True)
    def entry(self, db: Session, ctx: RequestContext, dwelling_id: int, saved: int | None = None) -> Template:
        disaster = acting_disaster(ctx, "household.read")
        return page("surveys/entry.html", ctx, **_entry_context(db, ctx, disaster, dwelling_id), form={}, saved=saved)

    @post("/surveys/dwellings/{dwelling_id:int}", sync_to_thread=True)
    def entry_save(self, db: Session, ctx: RequestContext, dwelling_id: int, data: Multipart) -> Template | Redirect:
        disaster = acting_disaster(ctx, "survey.write")
        context = _entry_context(db, ctx, disaster, dwelling_id)

        def record_survey() -> Survey:
            survey = surveys.record_survey(db, disaster, context["dwelling"], survey_input(data), ctx.user.id)
            for upload in _as_list(data.get("photos")):
                if isinstance(upload, UploadFile) and upload.filename:
                    surveys.add_photo(
                        db,
                        survey,
                        upload.filename,
                        upload.file.read(),
                        upload.content_type,
                        photo_dir(),
                        ctx.municipality.code,
                        disaster.number,
                    )
            return survey

        def form_again(error: DomainError) -> Template:
            form = {k: v for k, v in data.items() if not isinstance(v, UploadFile | list)}
            return page("surveys/entry.html", ctx, error.status_code, **context, form=form, error=error, saved=None)

        return save(
            db,
            ctx,
            record_survey,
            audit=lambda survey: Audit(
                "survey.create",
                "damage_survey",
                survey.id,
                {
                    "house_no": context["dwelling"].house_no,
                    "kind": survey.kind,
                    "class": survey.damage_class,
                    "rule_version": survey.rule_version,
                    "manual": survey.manual,
                },
                disaster_number=disaster.number,
            ),
            redirect=lambda survey: f"/surveys/dwellings/{dwelling_id}?saved={survey.id}",
            form=form_again,
        )

    @get("/surveys/photos/{photo_id:int}", sync_to_thread=True)
    def photo(self, db: Session, ctx: RequestContext, photo_id: int) -> Response:
        municipality = require_acting(ctx)
        photo = surveys.get_photo(db, municipality.id, photo_id)
        if photo is None:
            raise NotFoundException("指定された写真はありません")
        ctx.require("household.read", surveys.disaster_of_photo(db, photo))
        path = photo_dir() / photo.stored_path
        if not path.is_file():
            raise NotFoundException("写真のファイルが見つかりません")
        return Response(
            path.read_bytes(),
            media_type=photo.content_type or "application/octet-stream",
            headers={"Cache-Control": "private, max-age=3600"},
        )


def _entry_context(db: Session, ctx: RequestContext, disaster, dwelling_id: int) -> dict[str, Any]:  # noqa: ANN001
    dwelling = surveys.get_dwelling(db, disaster.municipality_id, dwelling_id)
    if dwelling is None:
        raise NotFoundException("指定された家屋はありません")
    chain = surveys.survey_chain(db, disaster.id, dwelling.id)
    ratio_rules = surveys.ruleset_for(disaster, "ratio")
    structure = surveys.structure_code(dwelling.structure)
    return {
        "disaster": disaster,
        "dwelling": dwelling,
        "chain": list(reversed(chain)),
        "photos": surveys.photos_of(db, [s.id for s in chain]),
        "households": surveys.households_of_dwelling(db, disaster, dwelling.id),
        "ratio_rules": ratio_rules,
        "weights": {s: ratio_rules.part_weights(structure, s) for s in SURVEYS},
        "kinds": [(k.value, label) for k, label in SURVEY_KIND_LABELS.items()],
        "kind_label": surveys.kind_label,
        "today": today_jst().isoformat(),
    }
