"""Look-ups in the peacetime resident register (住民基本台帳)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session

from core.addresses import address_key
from core.text import kana_key, looks_like_kana, name_key
from ledgers.registry.models import (
    Dwelling,
    Occupancy,
    RegisterChange,
    RegisteredHousehold,
    Resident,
    ResidentStatus,
    TaxRecord,
)


def resident_search_condition(model, query: str):  # noqa: ANN001, ANN201
    """One WHERE clause for a free-text query over name, kana, address or 宛名番号.

    Works for ``Resident`` and ``VictimMember`` (same column names)."""
    text = query.strip()
    digits = text.replace("-", "")
    if digits.isdigit() and len(digits) >= 4 and text.isascii():
        return model.atena_no == digits
    conditions = []
    if looks_like_kana(text):
        conditions.append(model.kana_key.contains(kana_key(text), autoescape=True))
    key = name_key(text)
    if key:
        conditions.append(model.name_key.contains(key, autoescape=True))
    address = address_key(text)
    if address and hasattr(model, "address_key"):
        conditions.append(model.address_key.contains(address, autoescape=True))
    return or_(*conditions) if conditions else None


def search_residents(session: Session, municipality_id: int, query: str, limit: int = 50) -> list[Resident]:
    condition = resident_search_condition(Resident, query)
    if condition is None:
        return []
    rows = session.execute(
        select(Resident)
        .where(Resident.municipality_id == municipality_id, condition)
        .order_by(Resident.kana_key, Resident.atena_no)
        .limit(limit)
    ).scalars()
    return list(rows)


def get_resident(session: Session, municipality_id: int, atena_no: str) -> Resident | None:
    return session.execute(
        select(Resident).where(Resident.municipality_id == municipality_id, Resident.atena_no == atena_no)
    ).scalar_one_or_none()


def get_registered_household(session: Session, municipality_id: int, household_no: str) -> RegisteredHousehold | None:
    return session.execute(
        select(RegisteredHousehold).where(
            RegisteredHousehold.municipality_id == municipality_id,
            RegisteredHousehold.household_no == household_no,
        )
    ).scalar_one_or_none()


def household_members(
    session: Session, municipality_id: int, household_no: str, *, current_only: bool = True
) -> list[Resident]:
    query = select(Resident).where(Resident.municipality_id == municipality_id, Resident.household_no == household_no)
    if current_only:
        query = query.where(Resident.status == ResidentStatus.resident)
    rows = session.execute(query.order_by(Resident.is_householder.desc(), Resident.birth_date, Resident.atena_no))
    return list(rows.scalars())


def resident_from_register_fields(resident: Resident) -> dict:
    """The resident's register values, frozen into a ledger's 基本情報 snapshot."""
    return {
        "atena_no": resident.atena_no,
        "household_no": resident.household_no,
        "name": resident.name,
        "name_kana": resident.name_kana,
        "birth_date": resident.birth_date.isoformat() if resident.birth_date else None,
        "birth_date_raw": resident.birth_date_raw,
        "birth_date_unknown": resident.birth_date_unknown,
        "sex": resident.sex,
        "relationship": resident.relationship,
        "is_householder": resident.is_householder,
        "address": resident.address,
        "address_code": resident.address_code,
        "postal_code": resident.postal_code,
        "phone": resident.phone,
        "status": resident.status,
    }


def with_search_keys(resident: Resident) -> Resident:
    resident.name_key = name_key(resident.name)
    resident.kana_key = kana_key(resident.name_kana)
    resident.address_key = address_key(resident.address)
    return resident


def dwellings_of_household(
    session: Session, municipality_id: int, household_no: str
) -> list[tuple[Dwelling, Occupancy]]:
    """The dwellings (家屋) a registered 世帯 lives in, with the occupancy link (方書)."""
    rows = session.execute(
        select(Dwelling, Occupancy)
        .join(Occupancy, Occupancy.dwelling_id == Dwelling.id)
        .where(
            Occupancy.municipality_id == municipality_id,
            Dwelling.municipality_id == municipality_id,
            Occupancy.household_no == household_no,
        )
        .order_by(Dwelling.house_no)
    ).all()
    return [(dwelling, occupancy) for dwelling, occupancy in rows]


def dwelling_snapshot(dwelling: Dwelling, occupancy: Occupancy) -> dict:
    """The dwelling's ledger values, frozen into a victim household's 基本情報."""
    return {
        "house_no": dwelling.house_no,
        "location": dwelling.location,
        "unit": occupancy.unit,
        "building_name": dwelling.building_name,
        "usage": dwelling.usage,
        "structure": dwelling.structure,
        "floors": dwelling.floors,
        "floor_area": dwelling.floor_area,
        "built_on": dwelling.built_on.isoformat() if dwelling.built_on else None,
        "owner_atena_no": dwelling.owner_atena_no,
    }


def count_rows(session: Session, table: Any, municipality_id: int, *where: Any) -> int:
    """The rows of one municipality in a table (a model or a ``Table``), with further conditions."""
    columns = getattr(table, "__table__", table).c
    return session.execute(
        select(func.count()).select_from(table).where(columns.municipality_id == municipality_id, *where)
    ).scalar_one()


def register_counts(session: Session, municipality_id: int) -> dict[str, int]:
    """Sizes of the peacetime ledgers: current residents, registered 世帯, dwellings (家屋)."""
    return {
        "residents": count_rows(session, Resident, municipality_id, Resident.status == ResidentStatus.resident),
        "registered_households": count_rows(session, RegisteredHousehold, municipality_id),
        "dwellings": count_rows(session, Dwelling, municipality_id),
    }


def tax_records_of(session: Session, municipality_id: int, atena_no: str) -> list[TaxRecord]:
    return list(
        session.execute(
            select(TaxRecord)
            .where(TaxRecord.municipality_id == municipality_id, TaxRecord.atena_no == atena_no)
            .order_by(TaxRecord.fiscal_year.desc())
        ).scalars()
    )


def household_income(session: Session, municipality_id: int, household_no: str, fiscal_year: int) -> int | None:
    """世帯の所得: the sum of the 総所得金額等 of the current members of a 世帯 for one fiscal year
    (None when no member has a tax record for that year)."""
    members = select(Resident.atena_no).where(
        Resident.municipality_id == municipality_id,
        Resident.household_no == household_no,
        Resident.status == ResidentStatus.resident,
    )
    total, found = session.execute(
        select(func.sum(TaxRecord.total_income), func.count()).where(
            TaxRecord.municipality_id == municipality_id,
            TaxRecord.fiscal_year == fiscal_year,
            TaxRecord.atena_no.in_(members),
        )
    ).one()
    return int(total or 0) if found else None


def changes_of(session: Session, municipality_id: int, entity: str, key: str, limit: int = 100) -> list[RegisterChange]:
    """The 異動 history of one ledger row, newest first."""
    return list(
        session.execute(
            select(RegisterChange)
            .where(
                RegisterChange.municipality_id == municipality_id,
                RegisterChange.entity == entity,
                RegisterChange.key == key,
            )
            .order_by(RegisterChange.id.desc())
            .limit(limit)
        ).scalars()
    )
