"""Victim households and their members over JSON, scoped to the municipality and disaster in the path."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_201_CREATED
from sqlmodel import Session

from core.audit import record
from ledgers.disasters.models import Disaster
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
from victim_support.web.context import RequestContext, enter_disaster, provide_api_context


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
            ConsentOut(
                id=c.id,
                recipient=c.recipient,
                scope=c.scope,
                member_id=c.member_id,
                consented_on=c.consented_on,
                withdrawn_on=c.withdrawn_on,
            )
            for c in households.consents_of(db, household.id)
        ],
        version=household.version,
        created_at=household.created_at,
        updated_at=household.updated_at,
    )


def household_by_victim_no(db: Session, disaster: Disaster, victim_no: int) -> VictimHousehold:
    household = households.get_by_victim_no(db, disaster, victim_no)
    if household is None:
        raise NotFoundException(f"り災番号 {victim_no} の世帯はありません")
    return household


def member_input(data: MemberIn) -> households.MemberInput:
    return households.MemberInput(**{name: getattr(data, name) for name in data.__struct_fields__})


class HouseholdApi(Controller):
    path = "/api/v1/municipalities/{code:str}"
    tags = ["被災者台帳"]
    dependencies = {"ctx": Provide(provide_api_context, sync_to_thread=True)}

    @get("/disasters/{number:str}/households", sync_to_thread=True, summary="Search victim households")
    def list_households(
        self,
        db: Session,
        ctx: RequestContext,
        code: str,
        number: str,
        q: str = "",
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[HouseholdSummary]:
        disaster = enter_disaster(db, ctx, code, number, "household.read")
        items = households.search_households(
            db, disaster, q, status=status, limit=min(max(limit, 1), 500), offset=max(offset, 0)
        )
        return [
            HouseholdSummary(
                victim_no=h.victim_no,
                status=h.status,
                head_name=h.head_name,
                head_kana=h.head_kana,
                address=h.address,
                version=h.version,
            )
            for h in items
        ]

    @post(
        "/disasters/{number:str}/households",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        summary="Register a victim household",
    )
    def create_household(
        self, db: Session, ctx: RequestContext, code: str, number: str, data: HouseholdCreate
    ) -> HouseholdOut:
        disaster = enter_disaster(db, ctx, code, number, "household.write")
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
        disaster = enter_disaster(db, ctx, code, number, "household.read")
        household = household_by_victim_no(db, disaster, victim_no)
        record(db, ctx.actor, "household.view", "victim_household", household.victim_no)
        db.commit()
        return household_out(db, code, disaster, household)

    @patch(
        "/disasters/{number:str}/households/{victim_no:int}",
        sync_to_thread=True,
        summary="Update a household (optimistic lock)",
    )
    def update_household(
        self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int, data: HouseholdPatch
    ) -> HouseholdOut:
        disaster = enter_disaster(db, ctx, code, number, "household.write")
        household = household_by_victim_no(db, disaster, victim_no)
        changed = households.update_household(db, household, data.version, patch_changes(data), ctx.user.id)
        record(db, ctx.actor, "household.update", "victim_household", household.victim_no, {"fields": changed})
        db.commit()
        return household_out(db, code, disaster, household)

    @post(
        "/disasters/{number:str}/households/{victim_no:int}/members",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        summary="Add a member",
    )
    def add_member(
        self, db: Session, ctx: RequestContext, code: str, number: str, victim_no: int, data: MemberIn
    ) -> MemberOut:
        disaster = enter_disaster(db, ctx, code, number, "household.write")
        household = household_by_victim_no(db, disaster, victim_no)
        member = households.add_member(db, household, member_input(data))
        record(db, ctx.actor, "member.create", "victim_member", member.id, {"household": household.victim_no})
        db.commit()
        return member_out(member)

    @patch(
        "/disasters/{number:str}/households/{victim_no:int}/members/{member_id:int}",
        sync_to_thread=True,
        summary="Update a member (optimistic lock)",
    )
    def update_member(
        self,
        db: Session,
        ctx: RequestContext,
        code: str,
        number: str,
        victim_no: int,
        member_id: int,
        data: MemberPatch,
    ) -> MemberOut:
        disaster = enter_disaster(db, ctx, code, number, "household.write")
        household = household_by_victim_no(db, disaster, victim_no)
        member = households.get_member(db, household, member_id)
        if member is None:
            raise NotFoundException(f"世帯員 {member_id} はこの世帯にいません")
        changed = households.update_member(db, member, data.version, patch_changes(data))
        record(
            db,
            ctx.actor,
            "member.update",
            "victim_member",
            member.id,
            {"fields": changed, "household": household.victim_no},
        )
        db.commit()
        return member_out(member)
