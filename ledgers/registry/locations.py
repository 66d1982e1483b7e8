"""Locations of the peacetime ledgers: geocode residents and dwellings through the imported address
registry (位置参照情報, matched by ``gis.geocoding``), and link 世帯 to the dwellings at their address."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from core.clock import utcnow
from gis.geocoding import Points, locate, lot_key, normalize_address
from ledgers.registry.bulk import bulk_insert
from ledgers.registry.models import AddressPoint, Dwelling, Occupancy, RegisteredHousehold, Resident

MAX_UNMATCHED = 1000


@dataclass
class GeocodeResult:
    counts: dict[str, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)


def _load_points(session: Session, municipality_id: int) -> Points:
    points: Points = {"block": {}, "town": {}}
    for level, key, lat, lon in session.execute(
        select(AddressPoint.level, AddressPoint.match_key, AddressPoint.lat, AddressPoint.lon).where(
            AddressPoint.municipality_id == municipality_id
        )
    ):
        points.setdefault(level, {})[key] = (lat, lon)
    return points


def geocode_municipality(session: Session, municipality_id: int, only: str | None = None) -> GeocodeResult:
    """Geocode residents and/or dwellings of a municipality (one UPDATE per distinct address)."""
    result = GeocodeResult()
    points = _load_points(session, municipality_id)
    if not points["block"] and not points["town"]:
        result.counts["geocode_skipped"] = 1  # no address registry imported yet
        return result
    targets = []
    if only in (None, "residents"):
        targets.append(("residents", Resident, Resident.address))
    if only in (None, "dwellings"):
        targets.append(("dwellings", Dwelling, Dwelling.location))
    unmatched: set[str] = set()
    for name, model, column in targets:
        table = model.__table__
        addresses = (
            session.execute(select(column).where(model.municipality_id == municipality_id).distinct()).scalars().all()
        )
        levels = {"block": 0, "town": 0, "none": 0}
        params = []
        for address in addresses:
            level, lat, lon = locate(points, address)
            levels[level] += 1
            if level == "none" and len(unmatched) < MAX_UNMATCHED:
                unmatched.add(address)
            params.append({"_m": municipality_id, "_a": address, "_lat": lat, "_lon": lon, "_level": level})
        statement = (
            update(table)
            .where(table.c.municipality_id == bindparam("_m"), table.c[column.key] == bindparam("_a"))
            .values(lat=bindparam("_lat"), lon=bindparam("_lon"), geocode_level=bindparam("_level"))
        )
        for start in range(0, len(params), 5000):
            session.connection().execute(statement, params[start : start + 5000])
        for level, count in levels.items():
            result.counts[f"{name}_addresses_{level}"] = count
    result.unmatched = sorted(unmatched)
    return result


def relink_occupancy(session: Session, municipality_id: int) -> int:
    """Link each registered 世帯 to the dwelling at its address (source ``address``).

    Links made by hand or by an import that names the dwelling are kept; address links are rebuilt."""
    by_lot: dict[str, list[int]] = {}
    for dwelling_id, location in session.execute(
        select(Dwelling.id, Dwelling.location).where(Dwelling.municipality_id == municipality_id)
    ):
        key = lot_key(location)
        if key:
            by_lot.setdefault(key, []).append(dwelling_id)
    if (
        not by_lot
        and not session.execute(
            select(Occupancy.id)
            .where(Occupancy.municipality_id == municipality_id, Occupancy.source == "address")
            .limit(1)
        ).first()
    ):
        return 0  # no dwellings with an address yet (fixed-asset ledger not imported): nothing to link
    existing = {
        (household_no, dwelling_id): source
        for household_no, dwelling_id, source in session.execute(
            select(Occupancy.household_no, Occupancy.dwelling_id, Occupancy.source).where(
                Occupancy.municipality_id == municipality_id
            )
        )
    }
    wanted: set[tuple[str, int]] = set()
    units: dict[tuple[str, int], str] = {}
    for household_no, address in session.execute(
        select(RegisteredHousehold.household_no, RegisteredHousehold.address).where(
            RegisteredHousehold.municipality_id == municipality_id
        )
    ):
        parts = normalize_address(address)
        key = lot_key(address, parts)
        for dwelling_id in by_lot.get(key, []) if key else []:
            wanted.add((household_no, dwelling_id))
            units[(household_no, dwelling_id)] = parts.rest or ""
    stale = [pair for pair, source in existing.items() if source == "address" and pair not in wanted]
    for household_no, dwelling_id in stale:
        session.execute(
            Occupancy.__table__.delete().where(
                Occupancy.municipality_id == municipality_id,
                Occupancy.household_no == household_no,
                Occupancy.dwelling_id == dwelling_id,
            )
        )
    now = utcnow()
    new = [
        {
            "municipality_id": municipality_id,
            "household_no": h,
            "dwelling_id": d,
            "unit": units[(h, d)][:100],
            "source": "address",
            "created_at": now,
        }
        for (h, d) in sorted(wanted)
        if (h, d) not in existing
    ]
    for start in range(0, len(new), 5000):
        bulk_insert(session, Occupancy.__table__, new[start : start + 5000])
    return len(wanted)
