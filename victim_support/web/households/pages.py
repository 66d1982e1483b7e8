"""Victim households (被災者台帳) in the browser: search, registering from the resident register or by
hand, the household page, its members and consents to provision."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel import Session

from core.audit import record
from core.clock import today_jst
from core.errors import DomainError, StaleEdit
from ledgers.disasters.models import Disaster
from ledgers.households import services as households
from ledgers.households.models import VictimHousehold, VictimMember
from ledgers.registry import services as registry
from victim_support.web.common import Form, form_bool, form_date, form_str, is_htmx, page
from victim_support.web.context import RequestContext, acting_disaster, provide_context, require_acting
from victim_support.web.forms import Audit, save


class HouseholdPages(Controller):
    include_in_schema = False
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=True)}

    @get("/households", sync_to_thread=True)
    def household_search(
        self, request: Request, db: Session, ctx: RequestContext, q: str = "", status: str = ""
    ) -> Template | Redirect:
        require_acting(ctx)
        if ctx.disaster is None:
            return Redirect("/select?need=disaster")
        results = households.search_households(db, ctx.disaster, q, status=status or None, limit=200)
        members = members_by_household(db, results)
        template = "households/_results.html" if is_htmx(request) else "households/search.html"
        return page(template, ctx, q=q, status=status, results=results, members=members)

    @get("/households/register", sync_to_thread=True)
    def register_search(self, request: Request, db: Session, ctx: RequestContext, q: str = "") -> Template | Redirect:
        municipality = require_acting(ctx)
        if ctx.disaster is None:
            return Redirect("/select?need=disaster")
        groups = _resident_groups(db, municipality.id, ctx.disaster, q) if q.strip() else []
        template = "households/_register_results.html" if is_htmx(request) else "households/register.html"
        return page(template, ctx, q=q, groups=groups)

    @post("/households/register", sync_to_thread=True)
    def register_submit(self, db: Session, ctx: RequestContext, data: Form) -> Redirect:
        require_acting(ctx)
        disaster = acting_disaster(ctx, "household.write")
        return save(
            db,
            ctx,
            lambda: households.register_from_resident_household(
                db, disaster, form_str(data, "household_no"), ctx.user.id
            ),
            audit=lambda household: Audit(
                "household.create",
                "victim_household",
                household.victim_no,
                {"from": "register", "household_no": household.source_household_no},
            ),
            redirect=lambda household: f"/households/{household.id}?created=1",
        )

    @get("/households/manual", sync_to_thread=True)
    def manual_form(self, db: Session, ctx: RequestContext) -> Template:
        acting_disaster(ctx, "household.write")
        return page("households/manual.html", ctx, form={})

    @post("/households/manual", sync_to_thread=True)
    def manual_submit(self, db: Session, ctx: RequestContext, data: Form) -> Template | Redirect:
        disaster = acting_disaster(ctx, "household.write")

        def register() -> VictimHousehold:
            return households.register_manual(
                db,
                disaster,
                households.HouseholdInput(
                    address=form_str(data, "address"),
                    residence=form_str(data, "residence"),
                    contact_phone=form_str(data, "contact_phone"),
                    contact_address=form_str(data, "contact_address"),
                    notes=str(data.get("notes", "")),
                    members=[_member_input(data)],
                ),
                ctx.user.id,
            )

        return save(
            db,
            ctx,
            register,
            audit=lambda household: Audit(
                "household.create", "victim_household", household.victim_no, {"from": "manual"}
            ),
            redirect=lambda household: f"/households/{household.id}?created=1",
            form=lambda error: page("households/manual.html", ctx, error.status_code, form=data, error=error),
        )

    @get("/households/{household_id:int}", sync_to_thread=True)
    def household_view(self, db: Session, ctx: RequestContext, household_id: int, tab: str = "basic") -> Template:
        household, disaster = household_in_tenant(db, ctx, household_id)
        members = households.members_of(db, household.id)
        consents = households.consents_of(db, household.id)
        # Every view of a person's ledger page is recorded (who, for which tenant, when).
        record(
            db, ctx.actor, "household.view", "victim_household", household.victim_no, disaster_number=disaster.number
        )
        db.commit()
        return page(
            "households/detail.html",
            ctx,
            household=household,
            disaster=disaster,
            members=members,
            consents=consents,
            tab=tab,
        )

    @post("/households/{household_id:int}/consents", sync_to_thread=True)
    def consent_add(self, db: Session, ctx: RequestContext, household_id: int, data: Form) -> Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "household.write")
        member_id = form_str(data, "member_id")
        return save(
            db,
            ctx,
            lambda: households.add_consent(
                db,
                household,
                form_str(data, "recipient"),
                form_str(data, "scope"),
                form_date(data, "consented_on", "同意日"),
                ctx.user.id,
                int(member_id) if member_id.isdigit() else None,
            ),
            audit=lambda consent: Audit(
                "consent.create",
                "provision_consent",
                consent.id,
                {"household": household.victim_no, "recipient": consent.recipient},
                disaster_number=disaster.number,
            ),
            redirect=f"/households/{household.id}?tab=consents",
        )

    @post("/households/{household_id:int}/consents/{consent_id:int}/withdraw", sync_to_thread=True)
    def consent_withdraw(self, db: Session, ctx: RequestContext, household_id: int, consent_id: int) -> Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "household.write")
        return save(
            db,
            ctx,
            lambda: households.withdraw_consent(db, household, consent_id, today_jst()),
            audit=lambda consent: Audit(
                "consent.withdraw",
                "provision_consent",
                consent.id,
                {"household": household.victim_no},
                disaster_number=disaster.number,
            ),
            redirect=f"/households/{household.id}?tab=consents",
        )

    @get("/households/{household_id:int}/edit", sync_to_thread=True)
    def household_edit(self, db: Session, ctx: RequestContext, household_id: int) -> Template:
        household, disaster = household_in_tenant(db, ctx, household_id, "household.write")
        form = {name: getattr(household, name) for name in households.HOUSEHOLD_FIELDS}
        return page(
            "households/edit.html", ctx, household=household, disaster=disaster, form=form, version=household.version
        )

    @post("/households/{household_id:int}/edit", sync_to_thread=True)
    def household_update(self, db: Session, ctx: RequestContext, household_id: int, data: Form) -> Template | Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "household.write")
        changes = {name: str(data.get(name, "")) for name in households.HOUSEHOLD_FIELDS}
        return save(
            db,
            ctx,
            lambda: households.update_household(db, household, _version(data), changes, ctx.user.id),
            audit=lambda changed: Audit(
                "household.update",
                "victim_household",
                household.victim_no,
                {"fields": changed},
                disaster_number=disaster.number,
            ),
            redirect=f"/households/{household.id}?saved=1",
            # Keep what the user typed; for a stale edit show the newer saved values beside it.
            form=lambda error: page(
                "households/edit.html",
                ctx,
                error.status_code,
                household=household,
                disaster=disaster,
                form=data,
                version=data.get("version"),
                error=error,
                stale=isinstance(error, StaleEdit),
            ),
            refresh=[household],
        )

    @get("/households/{household_id:int}/members/new", sync_to_thread=True)
    def member_new(self, db: Session, ctx: RequestContext, household_id: int) -> Template:
        household, disaster = household_in_tenant(db, ctx, household_id, "household.write")
        return page(
            "households/member.html", ctx, household=household, member=None, form={"address": household.address}
        )

    @post("/households/{household_id:int}/members/new", sync_to_thread=True)
    def member_create(self, db: Session, ctx: RequestContext, household_id: int, data: Form) -> Template | Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "household.write")
        return save(
            db,
            ctx,
            lambda: households.add_member(db, household, _member_input(data)),
            audit=lambda member: Audit(
                "member.create",
                "victim_member",
                member.id,
                {"household": household.victim_no},
                disaster_number=disaster.number,
            ),
            redirect=f"/households/{household.id}?tab=members",
            form=lambda error: page(
                "households/member.html",
                ctx,
                error.status_code,
                household=household,
                member=None,
                form=data,
                error=error,
            ),
        )

    @get("/households/{household_id:int}/members/{member_id:int}/edit", sync_to_thread=True)
    def member_edit(self, db: Session, ctx: RequestContext, household_id: int, member_id: int) -> Template:
        household, disaster = household_in_tenant(db, ctx, household_id, "household.write")
        member = _member(db, household, member_id)
        form = {name: getattr(member, name) for name in households.MEMBER_FIELDS}
        return page(
            "households/member.html", ctx, household=household, member=member, form=form, version=member.version
        )

    @post("/households/{household_id:int}/members/{member_id:int}/edit", sync_to_thread=True)
    def member_update(
        self, db: Session, ctx: RequestContext, household_id: int, member_id: int, data: Form
    ) -> Template | Redirect:
        household, disaster = household_in_tenant(db, ctx, household_id, "household.write")
        member = _member(db, household, member_id)

        def update() -> list[str]:
            changes = vars(_member_input(data))
            return households.update_member(db, member, _version(data), changes)

        return save(
            db,
            ctx,
            update,
            audit=lambda changed: Audit(
                "member.update",
                "victim_member",
                member.id,
                {"fields": changed, "household": household.victim_no},
                disaster_number=disaster.number,
            ),
            redirect=f"/households/{household.id}?tab=members&saved=1",
            form=lambda error: page(
                "households/member.html",
                ctx,
                error.status_code,
                household=household,
                member=member,
                form=data,
                version=data.get("version"),
                error=error,
                stale=isinstance(error, StaleEdit),
            ),
            refresh=[member],
        )


# ---------------------------------------------------------------- helpers (household_in_tenant and
# members_by_household serve the certificate pages too)


def household_in_tenant(
    db: Session, ctx: RequestContext, household_id: int, permission: str | None = None
) -> tuple[VictimHousehold, Disaster]:
    """The household only if it belongs to the acting municipality (and a disaster the user may
    see); anything else is 404, so ids of other tenants reveal nothing. With ``permission`` the
    user must also hold it for the household's disaster (403 otherwise)."""
    municipality = require_acting(ctx)
    household = households.get_household(db, municipality.id, household_id)
    if household is None:
        raise NotFoundException("指定された世帯はありません")
    scope = ctx.access.disaster_scope(municipality.id)
    if scope is not None and household.disaster_id not in scope:
        raise NotFoundException("指定された世帯はありません")
    disaster = db.get(Disaster, household.disaster_id)
    ctx.require("household.read", disaster)
    if permission is not None:
        ctx.require(permission, disaster)
    return household, disaster


def _member(db: Session, household: VictimHousehold, member_id: int) -> VictimMember:
    member = households.get_member(db, household, member_id)
    if member is None:
        raise NotFoundException("指定された世帯員はありません")
    return member


def _version(data: dict[str, Any]) -> int:
    try:
        return int(data.get("version") or 0)
    except ValueError:
        raise DomainError("版数が正しくありません。画面を開き直してください") from None


def _member_input(data: dict[str, Any]) -> households.MemberInput:
    return households.MemberInput(
        name=form_str(data, "name"),
        name_kana=form_str(data, "name_kana"),
        birth_date=form_date(data, "birth_date", "生年月日"),
        sex=form_str(data, "sex"),
        relationship=form_str(data, "relationship"),
        is_householder=form_bool(data, "is_householder"),
        address=form_str(data, "member_address") or form_str(data, "address"),
        residence=form_str(data, "member_residence") or form_str(data, "residence"),
        phone=form_str(data, "phone"),
        is_vulnerable=form_bool(data, "is_vulnerable"),
        vulnerability_reason=form_str(data, "vulnerability_reason"),
        condition=form_str(data, "condition") or "none",
    )


def members_by_household(db: Session, items: list[VictimHousehold]) -> dict[int, list[VictimMember]]:
    if not items:
        return {}
    grouped: dict[int, list[VictimMember]] = {}
    rows = db.execute(
        select(VictimMember)
        .where(VictimMember.household_id.in_([h.id for h in items]))
        .order_by(VictimMember.sort_order)
    ).scalars()
    for member in rows:
        grouped.setdefault(member.household_id, []).append(member)
    return grouped


def _resident_groups(db: Session, municipality_id: int, disaster: Disaster, query: str) -> list[dict[str, Any]]:
    """Register search results grouped by 世帯, with whether each is already in the ledger."""
    found = registry.search_residents(db, municipality_id, query, limit=60)
    numbers = list(dict.fromkeys(r.household_no for r in found if r.household_no))
    registered = dict(
        db.execute(
            select(VictimHousehold.source_household_no, VictimHousehold.id).where(
                VictimHousehold.disaster_id == disaster.id, VictimHousehold.source_household_no.in_(numbers or [""])
            )
        ).all()
    )
    groups = []
    for number in numbers[:20]:
        groups.append(
            {
                "household_no": number,
                "members": registry.household_members(db, municipality_id, number),
                "matched": {r.atena_no for r in found if r.household_no == number},
                "ledger_id": registered.get(number),
            }
        )
    return groups
