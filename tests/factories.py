"""Synthetic data for tests: a small register, disasters, households."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from importers.synthetic_city import generate_city
from ledgers.disasters.services import DisasterInput, add_disaster
from ledgers.households import services as households
from ledgers.registry.models import Dwelling, Occupancy, RegisteredHousehold, Resident
from ledgers.registry.services import with_search_keys

RESIDENT_FIELDS = (
    "atena_no",
    "household_no",
    "name",
    "name_kana",
    "birth_date",
    "birth_date_raw",
    "birth_date_unknown",
    "sex",
    "relationship",
    "is_householder",
    "address",
    "address_code",
    "postal_code",
    "status",
)


def load_register(session: Session, municipality_id: int, n_residents: int = 60, seed: int = 7):
    """Fill the resident register of a municipality with a synthetic city; returns the CityData."""
    city = generate_city(n_residents, seed=seed)
    for household in city.households:
        session.add(
            RegisteredHousehold(
                municipality_id=municipality_id,
                household_no=household["household_no"],
                address=household["address"],
                postal_code=household.get("postal_code", ""),
            )
        )
    for resident in city.residents:
        session.add(
            with_search_keys(Resident(municipality_id=municipality_id, **{k: resident[k] for k in RESIDENT_FIELDS}))
        )
    units = {household["household_no"]: household.get("katagaki") or "" for household in city.households}
    for d in city.dwellings:
        dwelling = Dwelling(
            municipality_id=municipality_id,
            house_no=d["house_no"],
            location=d["location"],
            structure=d["structure"],
            floors=d["floors"],
            floor_area=d["floor_area"],
            built_on=date(d["built_year"], 1, 1),
            owner_atena_no=d["owner_atena_no"] or "",
        )
        session.add(dwelling)
        session.flush()
        for household_no in d["household_nos"]:
            session.add(
                Occupancy(
                    municipality_id=municipality_id,
                    household_no=household_no,
                    dwelling_id=dwelling.id,
                    unit=units[household_no],
                    source="test",
                )
            )
    session.commit()
    return city


def register_town(session: Session, municipality_id: int, disaster, n_residents: int = 60, seed: int = 7):
    """A register (``load_register``) whose every 世帯 is registered as a victim household of
    ``disaster``. Returns (city, victim households by 世帯番号, dwellings by 家屋番号)."""
    city = load_register(session, municipality_id, n_residents, seed=seed)
    registered = {
        h["household_no"]: households.register_from_resident_household(session, disaster, h["household_no"], None)
        for h in city.households
    }
    session.commit()
    dwellings = {
        d.house_no: d
        for d in session.execute(select(Dwelling).where(Dwelling.municipality_id == municipality_id)).scalars()
    }
    return city, registered, dwellings


def make_disaster(session: Session, municipality_id: int, number: str = "2026-01", name: str = "試験地震"):
    disaster = add_disaster(
        session,
        municipality_id,
        DisasterInput(name=name, kind="earthquake", occurred_on=date(2026, 11, 1), number=number),
    )
    session.commit()
    return disaster


def make_household(session: Session, disaster, name: str = "被災 太郎", kana: str = "ヒサイ タロウ"):
    household = households.register_manual(
        session,
        disaster,
        households.HouseholdInput(
            address="見本市桜町二丁目3番4号",
            members=[households.MemberInput(name=name, name_kana=kana, is_householder=True, relationship="世帯主")],
        ),
        None,
    )
    session.commit()
    return household
