"""Disasters in the browser: the list, registering and editing one, choosing its damage rule versions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template
from sqlmodel import Session

from core.errors import DomainError
from ledgers.disasters import services as disasters
from ledgers.disasters.models import Disaster
from ledgers.households import services as households
from victim_support.web.common import Form, form_bool, form_date, form_str, page
from victim_support.web.context import RequestContext, provide_context, require_acting
from victim_support.web.forms import Audit, save


class DisasterPages(Controller):
    include_in_schema = False
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=True)}

    @get("/disasters", sync_to_thread=True)
    def disaster_list(self, db: Session, ctx: RequestContext) -> Template:
        municipality = require_acting(ctx)
        items = disasters.list_disasters(db, municipality.id, only_ids=ctx.access.disaster_scope(municipality.id))
        counts = households.households_per_disaster(db, municipality.id)
        return page("disasters/list.html", ctx, disasters=items, counts=counts)

    @get("/disasters/new", sync_to_thread=True)
    def disaster_new(self, ctx: RequestContext) -> Template:
        require_acting(ctx)
        ctx.require_municipal("disaster.manage")
        return page("disasters/form.html", ctx, form={}, disaster=None)

    @post("/disasters", sync_to_thread=True)
    def disaster_create(self, db: Session, ctx: RequestContext, data: Form) -> Template | Redirect:
        municipality = require_acting(ctx)
        ctx.require_municipal("disaster.manage")
        return save(
            db,
            ctx,
            lambda: disasters.add_disaster(db, municipality.id, _disaster_input(data)),
            audit=lambda disaster: Audit(
                "disaster.create", "disaster", disaster.number, {"name": disaster.name}, disaster_number=disaster.number
            ),
            redirect=lambda disaster: f"/disasters?created={disaster.number}",
            form=lambda error: page(
                "disasters/form.html", ctx, error.status_code, form=data, disaster=None, error=error
            ),
        )

    @get("/disasters/{number:str}/edit", sync_to_thread=True)
    def disaster_edit(self, db: Session, ctx: RequestContext, number: str) -> Template:
        municipality = require_acting(ctx)
        disaster = disasters.require_disaster(db, municipality.id, number)
        ctx.require("disaster.manage", disaster)
        return page("disasters/form.html", ctx, form=_disaster_form(disaster), disaster=disaster)

    @post("/disasters/{number:str}/edit", sync_to_thread=True)
    def disaster_update(self, db: Session, ctx: RequestContext, number: str, data: Form) -> Template | Redirect:
        municipality = require_acting(ctx)
        disaster = disasters.require_disaster(db, municipality.id, number)
        ctx.require("disaster.manage", disaster)
        return save(
            db,
            ctx,
            lambda: disasters.update_disaster(db, disaster, _disaster_input(data), int(data.get("version") or 0)),
            audit=lambda _: Audit("disaster.update", "disaster", disaster.number, disaster_number=disaster.number),
            redirect="/disasters",
            form=lambda error: page(
                "disasters/form.html", ctx, error.status_code, form=data, disaster=disaster, error=error
            ),
            refresh=[disaster],
        )

    @post("/disasters/{number:str}/damage-rules", sync_to_thread=True)
    def damage_rules(self, db: Session, ctx: RequestContext, number: str, data: Form) -> Redirect:
        municipality = require_acting(ctx)
        disaster = disasters.require_disaster(db, municipality.id, number)
        ctx.require("disaster.manage", disaster)
        before = disaster.damage_rules_override
        return save(
            db,
            ctx,
            lambda: disasters.set_damage_rules_override(
                db, disaster, form_str(data, "damage_rules_override"), int(data.get("version") or 0)
            ),
            audit=lambda _: Audit(
                "disaster.damage_rules",
                "disaster",
                disaster.number,
                {"before": before, "after": disaster.damage_rules_override},
                disaster_number=disaster.number,
            ),
            redirect=f"/disasters/{disaster.number}/edit",
        )


def _disaster_input(data: dict[str, Any]) -> disasters.DisasterInput:
    occurred_on = form_date(data, "occurred_on", "発生日")
    if occurred_on is None:
        raise DomainError("発生日を入力してください", field="occurred_on")
    relief_on = form_date(data, "relief_act_applied_on", "災害救助法の適用日")
    support_on = form_date(data, "support_act_applied_on", "被災者生活再建支援法の適用日")
    return disasters.DisasterInput(
        name=form_str(data, "name"),
        kind=form_str(data, "kind"),
        occurred_on=occurred_on,
        number=form_str(data, "number") or None,
        relief_act_applied=form_bool(data, "relief_act_applied") or relief_on is not None,
        relief_act_applied_on=relief_on,
        support_act_applied=form_bool(data, "support_act_applied") or support_on is not None,
        support_act_applied_on=support_on,
        status=form_str(data, "status") or "active",
    )


def _disaster_form(disaster: Disaster) -> dict[str, Any]:
    return {
        "number": disaster.number,
        "name": disaster.name,
        "kind": disaster.kind,
        "occurred_on": disaster.occurred_on.isoformat(),
        "relief_act_applied": disaster.relief_act_applied,
        "relief_act_applied_on": disaster.relief_act_applied_on.isoformat() if disaster.relief_act_applied_on else "",
        "support_act_applied": disaster.support_act_applied,
        "support_act_applied_on": disaster.support_act_applied_on.isoformat()
        if disaster.support_act_applied_on
        else "",
        "status": disaster.status,
        "version": disaster.version,
    }
