"""The dashboard: register counts, the disasters the user may see, the acting disaster's counts."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import Provide
from litestar.response import Redirect, Template
from sqlmodel import Session

from ledgers.disasters import services as disasters
from ledgers.households import services as households
from ledgers.registry import services as registry
from victim_support.web.common import page
from victim_support.web.context import RequestContext, provide_context


class DashboardPages(Controller):
    include_in_schema = False
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def dashboard(self, db: Session, ctx: RequestContext) -> Template | Redirect:
        if ctx.municipality is None:
            return Redirect("/select")
        municipality = ctx.municipality
        register = registry.register_counts(db, municipality.id)
        scope = ctx.access.disaster_scope(municipality.id)
        disaster_list = disasters.list_disasters(db, municipality.id, only_ids=scope)
        counts = households.household_counts(db, ctx.disaster) if ctx.disaster else None
        return page("dashboard.html", ctx, register=register, disasters=disaster_list, counts=counts)
