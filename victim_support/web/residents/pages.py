"""The resident register (住民基本台帳) in the browser: search, and one resident's record with the
household, dwellings, resident tax and change history."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Template
from sqlmodel import Session

from core.audit import record
from ledgers.registry import services as registry
from victim_support.web.common import is_htmx, page
from victim_support.web.context import RequestContext, provide_context, require_acting


class ResidentPages(Controller):
    include_in_schema = False
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=True)}

    @get("/residents", sync_to_thread=True)
    def resident_search(self, request: Request, db: Session, ctx: RequestContext, q: str = "") -> Template:
        municipality = require_acting(ctx)
        ctx.require_here("resident.read")
        results = registry.search_residents(db, municipality.id, q, limit=100) if q.strip() else []
        template = "residents/_results.html" if is_htmx(request) else "residents/search.html"
        return page(template, ctx, q=q, results=results)

    @get("/residents/{atena_no:str}", sync_to_thread=True)
    def resident_detail(self, db: Session, ctx: RequestContext, atena_no: str) -> Template:
        municipality = require_acting(ctx)
        ctx.require_here("resident.read")
        resident = registry.get_resident(db, municipality.id, atena_no)
        if resident is None:
            raise NotFoundException("該当する住民が見つかりません")
        record(db, ctx.actor, "resident.view", "resident", resident.atena_no)
        db.commit()
        taxes = registry.tax_records_of(db, municipality.id, atena_no)
        incomes = {
            t.fiscal_year: registry.household_income(db, municipality.id, resident.household_no, t.fiscal_year)
            for t in taxes
        }
        return page(
            "residents/detail.html",
            ctx,
            resident=resident,
            members=registry.household_members(db, municipality.id, resident.household_no)
            if resident.household_no
            else [],
            dwellings=registry.dwellings_of_household(db, municipality.id, resident.household_no),
            taxes=taxes,
            incomes=incomes,
            changes=registry.changes_of(db, municipality.id, "resident", atena_no),
        )
