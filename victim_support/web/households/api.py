"""Disasters, households, members and residents over JSON, scoped to the municipality in the path."""

from __future__ import annotations

from litestar import Controller, get, patch, post, put
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy import func, select
from sqlmodel import Session

from ledgers.disasters import services as disasters
from ledgers.disasters.models import Disaster
from ledgers.disasters.schemas import DamageRulesIn, DisasterIn, DisasterOut, EffectiveRules
from core.errors import DomainError
from ledgers.households import services as households
from ledgers.households.models import VictimHousehold, VictimMember
from ledgers.households.schemas import (
    ConsentOut,
    HouseholdCreate,
    HouseholdOut,
    HouseholdPatch,
    HouseholdSummary,
    MemberIn,
    MemberOut,
    MemberPatch,
    patch_changes,
)
from ledgers.registry import services as registry
from ledgers.registry.models import Resident
from ledgers.registry.schemas import ResidentOut
from ledgers.surveys.services import ruleset_for
from core.audit import record
from victim_support.web.context import RequestContext, enter_municipality, provide_api_context


def disaster_out(db: Session, code: str, disaster: Disaster) -> DisasterOut:
    count = db.execute(
        select(func.count()).select_from(VictimHousehold).where(VictimHousehold.disaster_id == disaster.id)
    ).scalar_one()
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
        households=count,
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


def member_out(member: VictimMember) -> MemberOut:
    return MemberOut(
        id=member.id,
        atena_no=member.atena_no,
        name=member.name,
        name_kana=member.name_kana,
        birth_date=member.birth_date,
        birth_date_raw=member.birth_date_raw,
        sex=member.sex,
        relationship=member.relationship,
        is_householder=member.is_householder,
        address=member.address,
        residence=member.residence,
        phone=member.phone,
        is_vulnerable=member.is_vulnerable,
        vulnerability_reason=member.vulnerability_reason,
        condition=member.condition,
        registered=member.resident_id is not None,
        basic=member.basic_snapshot,
        version=member.version,
    )


def household_out(db: Session, code: str, disaster: Disaster, household: VictimHousehold) -> HouseholdOut:
    return HouseholdOut(
        municipality_code=code,
        disaster_number=disaster.number,
        victim_no=household.victim_no,
        source_household_no=household.source_household_no,
        status=household.status,
        head_name=household.head_name,
        head_kana=household.head_kana,
        address=household.address,
        residence=household.residence,
        contact_phone=household.contact_phone,
        contact_address=household.contact_address,
        notes=household.notes,
        basic=household.basic_snapshot,
        snapshot_taken_at=household.snapshot_taken_at,
        members=[member_out(m) for m in households.members_of(db, household.id)],
        consents=[
            ConsentOut(id=c.id, recipient=c.recipient, scope=c.scope, member_id=c.member_id, consented_on=c.consented_on, withdrawn_on=c.withdrawn_on)
            for c in households.consents_of(db, household.id)
        ],
        version=household.version,
        created_at=household.created_at,
        updated_at=household.updated_at,
    )


def resident_out(resident: Resident) -> ResidentOut:
    return ResidentOut(
        atena_no=resident.atena_no,
        household_no=resident.household_no,
        name=resident.name,
        name_kana=resident.name_kana,
        birth_date=resident.birth_date,
        birth_date_raw=resident.birth_date_raw,
        birth_date_unknown=resident.birth_date_unknown,
        sex=resident.sex,
        relationship=resident.relationship,
        is_householder=resident.is_householder,
        address=resident.address,
        postal_code=resident.postal_code,
        status=resident.status,
    )


def member_input(data: MemberIn) -> households.MemberInput:
    return households.MemberInput(**{name: getattr(data, name) for name in data.__struct_fields__})


class LedgerApi(Controller):
    path = "/api/v1/municipalities/{code:str}"
    tags = ["被災者台帳"]
    dependencies = {"ctx": Provide(provide_api_context, sync_to_thread=True)}

    def _disaster(self, db: Session, ctx: RequestContext, code: str, number: str, permission: str) -> Disaster:
        municipality = enter_municipality(db, ctx, code)
        disaster = disasters.require_disaster(db, municipality.id, number)
        scope = ctx.access.disaster_scope(municipality.id)
        if scope is not None and disaster.id not in scope:
            raise NotFoundException(f"災害番号 {number} の災害はありません")
        ctx.disaster = disaster
        ctx.require(permission, disaster)
        return disaster

    def _household(self, db: Session, disaster: Disaster, victim_no: int) -> VictimHousehold:
        household = households.get_by_victim_no(db, disaster, victim_no)
        if household is None:
            raise NotFoundException(f"り災番号 {victim_no} の世帯はありません")
        return household

    @get("/disasters", sync_to_thread=True, summary="List disasters")
    def list_disasters(self, db: Session, ctx: RequestContext, code: str) -> list[DisasterOut]:
        municipality = enter_municipality(db, ctx, code)
        ctx.require("disaster.read")
        items = disasters.list_disasters(db, municipality.id, only_ids=ctx.access.disaster_scope(municipality.id))
        return [disaster_out(db, code, d) for d in items]

    @post("/disasters", sync_to_thread=True, status_code=HTTP_201_CREATED, summary="Register a disaster")
    def create_disaster(self, db: Session, ctx: RequestContext, code: str, data: DisasterIn) -> DisasterOut:
        municipality = enter_municipality(db, ctx, code)
        ctx.require("disaster.manage")
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
        record(db, ctx.actor, "disaster.create", "disaster", disaster.number, {"name": disaster.name}, disaster_number=disaster.number)
        db.commit()
        return disaster_out(db, code, disaster)

    @get("/disasters/{number:str}", sync_to_thread=True, summary="One disaster")
    def get_disaster(self, db: Session, ctx: RequestContext, code: str, number: str) -> DisasterOut:
        return disaster_out(db, code, self._disaster(db, ctx, code, number, "disaster.read"))

    @put("/disasters/{number:str}/damage-rules", sync_to_thread=True, summary="Choose the damage rule versions (admin)")
    def set_damage_rules(self, db: Session, ctx: RequestContext, code: str, number: str, data: DamageRulesIn) -> DisasterOut:
        """Override the rule versions chosen by the disaster's date ("" returns to the date's).
        Surveys already judged keep the version they were judged by."""
        disaster = self._disaster(db, ctx, code, number, "disaster.manage")
        before = disaster.damage_rules_override
        disasters.set_damage_rules_override(db, disaster, data.damage_rules_override, data.version)
        record(db, ctx.actor, "disaster.damage_rules", "disaster", disaster.number,
               {"before": before, "after": disaster.damage_rules_override}, disaster_number=disaster.number)
        db.commit()
        return disaster_out(db, code, disaster)

    @get("/disasters/{number:str}/households", sync_to_thread=True, summary="Search victim households")
    def list_households(
        self, db: Session, ctx: RequestContext, code: str, number: str, q: str = "", status: str | None = None,
        limit: int = 100, offset: int = 0,
    ) -> list[HouseholdSummary]:
        disaster = self._disaster(db, ctx, code, number, "household.read")
        items = households.search_households(db, disaster, q, status=status, limit=min(max(limit, 1), 500), offset=max(offset, 0))
        return [
            HouseholdSummary(victim_no=h.victim_no, status=h.status, head_name=h.head_name, head_kana=h.head_kana, address=h.address, version=h.version)
            for h in items
        ]

    @post("/disasters/{number:str}/households", sync_to_thread=True, status_code=HTTP_201_CREATED, summary="Register a victim household")
    def create_household(self, db: Session, ctx: RequestContext, code: str, number: str, data: HouseholdCreate) -> HouseholdOut:
        disaster = self._disaster(db, ctx, code, number, "household.write")
        if data.household_no:
            household = households.register_from_resident_household(db, disaster, data.household_no, ctx.user.id)
            source = "register"
        else:
            household = households.register_manual(
                db,
                disaster,
                households.HouseholdInput(
                    address=data.address,
                    residence=data.residence,
                    contact_phone=data.contact_phone,
                    contact_address=data.contact_address,
                    notes=data.notes,
                    members=[member_input(m) for m in data.members],
                ),
                ctx.user.id,
            )
            source = "manual"
        record(db, ctx.actor, "household.create", "victim_household", household.victim_no, {"from": source})
        db.commit()
        return household_out(db, code, disaster, household)

    @get("/disasters/{number:str}/households/{victim_no:int}", sync_to_thread=True, summary="One household's ledger")
    def get_household(self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int) -> HouseholdOut:
        disaster = self._disaster(db, ctx, code, number, "household.read")
        household = self._household(db, disaster, victim_no)
        record(db, ctx.actor, "household.view", "victim_household", household.victim_no)
        db.commit()
        return household_out(db, code, disaster, household)

    @patch("/disasters/{number:str}/households/{victim_no:int}", sync_to_thread=True, summary="Update a household (optimistic lock)")
    def update_household(
        self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int, data: HouseholdPatch
    ) -> HouseholdOut:
        disaster = self._disaster(db, ctx, code, number, "household.write")
        household = self._household(db, disaster, victim_no)
        changed = households.update_household(db, household, data.version, patch_changes(data), ctx.user.id)
        record(db, ctx.actor, "household.update", "victim_household", household.victim_no, {"fields": changed})
        db.commit()
        return household_out(db, code, disaster, household)

    @post("/disasters/{number:str}/households/{victim_no:int}/members", sync_to_thread=True, status_code=HTTP_201_CREATED, summary="Add a member")
    def add_member(self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int, data: MemberIn) -> MemberOut:
        disaster = self._disaster(db, ctx, code, number, "household.write")
        household = self._household(db, disaster, victim_no)
        member = households.add_member(db, household, member_input(data))
        record(db, ctx.actor, "member.create", "victim_member", member.id, {"household": household.victim_no})
        db.commit()
        return member_out(member)

    @patch("/disasters/{number:str}/households/{victim_no:int}/members/{member_id:int}", sync_to_thread=True, summary="Update a member (optimistic lock)")
    def update_member(
        self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int, member_id: int, data: MemberPatch
    ) -> MemberOut:
        disaster = self._disaster(db, ctx, code, number, "household.write")
        household = self._household(db, disaster, victim_no)
        member = households.get_member(db, household, member_id)
        if member is None:
            raise NotFoundException(f"世帯員 {member_id} はこの世帯にいません")
        changed = households.update_member(db, member, data.version, patch_changes(data))
        record(db, ctx.actor, "member.update", "victim_member", member.id, {"fields": changed, "household": household.victim_no})
        db.commit()
        return member_out(member)

    @get("/residents", sync_to_thread=True, summary="Search the resident register")
    def search_residents(self, db: Session, ctx: RequestContext, code: str, q: str, limit: int = 50) -> list[ResidentOut]:
        municipality = enter_municipality(db, ctx, code)
        ctx.require("resident.read")
        return [resident_out(r) for r in registry.search_residents(db, municipality.id, q, limit=min(max(limit, 1), 200))]

    @get("/residents/{atena_no:str}", sync_to_thread=True, summary="One resident by 宛名番号")
    def get_resident(self, db: Session, ctx: RequestContext, code: str, atena_no: str) -> ResidentOut:
        municipality = enter_municipality(db, ctx, code)
        ctx.require("resident.read")
        resident = registry.get_resident(db, municipality.id, atena_no)
        if resident is None:
            raise NotFoundException(f"宛名番号 {atena_no} の住民はいません")
        record(db, ctx.actor, "resident.view", "resident", atena_no)
        db.commit()
        return resident_out(resident)
