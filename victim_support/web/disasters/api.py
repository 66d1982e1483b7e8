"""Disasters over JSON, scoped to the municipality in the path."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.di import Provide
from litestar.status_codes import HTTP_201_CREATED
from sqlmodel import Session

from core.audit import record
from core.errors import DomainError
from ledgers.disasters import services as disasters
from ledgers.disasters.models import Disaster
from ledgers.disasters.schemas import DamageRulesIn, DisasterIn, DisasterOut, EffectiveRules
from ledgers.households import services as household_services
from ledgers.surveys.services import ruleset_for
from victim_support.web.context import RequestContext, enter_disaster, enter_municipality, provide_api_context


def disaster_out(db: Session, code: str, disaster: Disaster, households: int | None = None) -> DisasterOut:
    """A disaster with its number of victim households (counted here unless given)."""
    if households is None:
        households = household_services.households_per_disaster(db, disaster.municipality_id, [disaster.id]).get(
            disaster.id, 0
        )
    return DisasterOut(
        municipality_code=code,
        number=disaster.number,
        name=disaster.name,
        kind=disaster.kind,
        occurred_on=disaster.occurred_on,
        relief_act_applied=disaster.relief_act_applied,
        relief_act_applied_on=disaster.relief_act_applied_on,
        support_act_applied=disaster.support_act_applied,
        support_act_applied_on=disaster.support_act_applied_on,
        status=disaster.status,
        households=households,
        version=disaster.version,
        damage_rules_override=disaster.damage_rules_override,
        damage_rules=effective_rules(disaster),
    )


def effective_rules(disaster: Disaster) -> EffectiveRules:
    """The damage rule version of each kind that a survey of the disaster is judged by now."""

    def version(kind: str) -> str | None:
        try:
            return ruleset_for(disaster, kind).id
        except DomainError:  # no rule set in force on the date, or a stale override
            return None

    return EffectiveRules(ratio=version("ratio"), flood=version("flood"))


class DisasterApi(Controller):
    path = "/api/v1/municipalities/{code:str}"
    tags = ["被災者台帳"]
    dependencies = {"ctx": Provide(provide_api_context, sync_to_thread=True)}

    @get("/disasters", sync_to_thread=True, summary="List disasters")
    def list_disasters(self, db: Session, ctx: RequestContext, code: str) -> list[DisasterOut]:
        municipality = enter_municipality(db, ctx, code)
        ctx.require_listing("disaster.read")
        items = disasters.list_disasters(db, municipality.id, only_ids=ctx.access.disaster_scope(municipality.id))
        counts = household_services.households_per_disaster(db, municipality.id)
        return [disaster_out(db, code, d, counts.get(d.id, 0)) for d in items]

    @post("/disasters", sync_to_thread=True, status_code=HTTP_201_CREATED, summary="Register a disaster")
    def create_disaster(self, db: Session, ctx: RequestContext, code: str, data: DisasterIn) -> DisasterOut:
        municipality = enter_municipality(db, ctx, code)
        ctx.require_municipal("disaster.manage")
        disaster = disasters.add_disaster(
            db,
            municipality.id,
            disasters.DisasterInput(
                name=data.name,
                kind=data.kind,
                occurred_on=data.occurred_on,
                number=data.number,
                relief_act_applied=data.relief_act_applied_on is not None,
                relief_act_applied_on=data.relief_act_applied_on,
                support_act_applied=data.support_act_applied_on is not None,
                support_act_applied_on=data.support_act_applied_on,
                status=data.status,
            ),
        )
        record(
            db,
            ctx.actor,
            "disaster.create",
            "disaster",
            disaster.number,
            {"name": disaster.name},
            disaster_number=disaster.number,
        )
        db.commit()
        return disaster_out(db, code, disaster)

    @get("/disasters/{number:str}", sync_to_thread=True, summary="One disaster")
    def get_disaster(self, db: Session, ctx: RequestContext, code: str, number: str) -> DisasterOut:
        return disaster_out(db, code, enter_disaster(db, ctx, code, number, "disaster.read"))

    @put("/disasters/{number:str}/damage-rules", sync_to_thread=True, summary="Choose the damage rule versions (admin)")
    def set_damage_rules(
        self, db: Session, ctx: RequestContext, code: str, number: str, data: DamageRulesIn
    ) -> DisasterOut:
        """Override the rule versions chosen by the disaster's date ("" returns to the date's).
        Surveys already judged keep the version they were judged by."""
        disaster = enter_disaster(db, ctx, code, number, "disaster.manage")
        before = disaster.damage_rules_override
        disasters.set_damage_rules_override(db, disaster, data.damage_rules_override, data.version)
        record(
            db,
            ctx.actor,
            "disaster.damage_rules",
            "disaster",
            disaster.number,
            {"before": before, "after": disaster.damage_rules_override},
            disaster_number=disaster.number,
        )
        db.commit()
        return disaster_out(db, code, disaster)
