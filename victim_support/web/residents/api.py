"""The resident register (住民基本台帳) over JSON, scoped to the municipality in the path."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from sqlmodel import Session

from core.audit import record
from ledgers.registry import services as registry
from ledgers.registry.models import Resident
from ledgers.registry.schemas import ResidentOut
from victim_support.web.context import RequestContext, enter_municipality, provide_api_context


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


class ResidentApi(Controller):
    path = "/api/v1/municipalities/{code:str}"
    tags = ["被災者台帳"]
    dependencies = {"ctx": Provide(provide_api_context, sync_to_thread=True)}

    @get("/residents", sync_to_thread=True, summary="Search the resident register")
    def search_residents(
        self, db: Session, ctx: RequestContext, code: str, q: str, limit: int = 50
    ) -> list[ResidentOut]:
        municipality = enter_municipality(db, ctx, code)
        ctx.require_municipal("resident.read")
        return [
            resident_out(r) for r in registry.search_residents(db, municipality.id, q, limit=min(max(limit, 1), 200))
        ]

    @get("/residents/{atena_no:str}", sync_to_thread=True, summary="One resident by 宛名番号")
    def get_resident(self, db: Session, ctx: RequestContext, code: str, atena_no: str) -> ResidentOut:
        municipality = enter_municipality(db, ctx, code)
        ctx.require_municipal("resident.read")
        resident = registry.get_resident(db, municipality.id, atena_no)
        if resident is None:
            raise NotFoundException(f"宛名番号 {atena_no} の住民はいません")
        record(db, ctx.actor, "resident.view", "resident", atena_no)
        db.commit()
        return resident_out(resident)
