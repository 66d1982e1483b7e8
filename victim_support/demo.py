"""Load a SYNTHETIC demo municipality (見本市, 架空県) for trying the system out.

Everything loaded here is invented (see ``importers.synthetic_city``): the municipality code uses the
non-existent prefecture 99, and the demo password below is public. Never use the demo logins on a
deployment that holds real data.

``load_demo`` does the work in the caller's transaction and does not commit; the CLI (and
``make run``) commit once at the end, so a failed load leaves nothing behind.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session, SQLModel

from core.accounts import ApiToken, Grant, Role, User, UserSession
from core.addresses import address_key
from core.audit import Actor, record
from core.clock import utcnow
from core.tenancy import Municipality, add_municipality, get_by_code
from core.text import contains_gaiji, kana_key, name_key
from importers import synthetic_city as demo_data
from ledgers.disasters.models import Disaster, DisasterKind
from ledgers.disasters.services import DisasterInput, add_disaster, get_disaster
from ledgers.households import services as households
from ledgers.households.models import HouseholdStatus, MemberCondition, VictimHousehold
from ledgers.registry.models import Dwelling, Occupancy, RegisteredHousehold, Resident, ResidentStatus
from ledgers.registry.services import count_rows
from victim_support.accounts import services as accounts

DEMO_CODE = demo_data.MUNICIPALITY_CODE  # 99201x: prefecture 99 does not exist
DEMO_NAME = demo_data.CITY_NAME  # 見本市 (みほん市)
DEMO_PREFECTURE = demo_data.PREFECTURE  # 架空県
# A fixed, public password: the demo town is synthetic and meant for local trials only.
DEMO_PASSWORD = "demo-pass-2026"
DEMO_DISASTER_NUMBER = "2026-01"
DEMO_DISASTER_NAME = "令和8年みほん地震"
DEMO_DISASTER_DATE = date(2026, 11, 20)
DEFAULT_SIZE = 3000

# (username, display name, role, needs a second factor at first login)
DEMO_USERS: tuple[tuple[str, str, str, bool], ...] = (
    ("demo-admin", "見本市 管理者", Role.municipality_admin.value, True),
    ("demo-staff", "見本市 職員", Role.staff.value, False),
    ("demo-viewer", "見本市 閲覧者", Role.viewer.value, False),
)

BATCH = 1000


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    needs_totp: bool


@dataclass
class DemoResult:
    created: bool  # False when the demo municipality was already there (nothing done)
    municipality_code: str = DEMO_CODE
    municipality_name: str = DEMO_NAME
    residents: int = 0
    registered_households: int = 0
    dwellings: int = 0
    disaster_number: str = DEMO_DISASTER_NUMBER
    victim_households: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(username, DEMO_PASSWORD, role, totp) for username, _name, role, totp in DEMO_USERS]


def _actor() -> Actor:
    return Actor(username="demo", acting_municipality=DEMO_CODE)


def load_demo(session: Session, size: int = DEFAULT_SIZE, seed: int = 1, *, reset: bool = False) -> DemoResult:
    """Create the demo municipality with ``size`` residents; do nothing when it exists.

    With ``reset`` an existing demo municipality (and everything in it, users whose home it is
    included) is deleted first; the audit log keeps its entries and records the reset.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    existing = get_by_code(session, DEMO_CODE)
    if existing is not None and reset:
        reset_municipality(session, existing)
        existing = None
    if existing is not None:
        disaster = get_disaster(session, existing.id, DEMO_DISASTER_NUMBER)
        return DemoResult(
            created=False,
            residents=count_rows(session, Resident, existing.id),
            registered_households=count_rows(session, RegisteredHousehold, existing.id),
            dwellings=count_rows(session, Dwelling, existing.id),
            victim_households=count_rows(session, VictimHousehold, existing.id) if disaster else 0,
            logins=demo_logins(),
        )

    actor = _actor()
    municipality = add_municipality(session, DEMO_CODE, DEMO_NAME, DEMO_PREFECTURE)
    record(session, actor, "municipality.add", "municipality", DEMO_CODE, {"name": DEMO_NAME, "demo": True})

    # ---- users
    for username, display_name, role, _totp in DEMO_USERS:
        user = accounts.create_user(session, username, DEMO_PASSWORD, display_name, municipality)
        accounts.add_grant(session, user, role, municipality, agreement="デモ用（架空データ）")
        record(session, actor, "user.create", "user", username, {"role": role, "demo": True})

    # ---- resident register (住民基本台帳), in bulk
    city = demo_data.generate_city(size, seed=seed)
    now = utcnow()
    full_address: dict[str, str] = {}
    household_rows = []
    for hh in city.households:
        address = hh["address"] + (f"\u3000{hh['katagaki']}" if hh.get("katagaki") else "")
        full_address[hh["household_no"]] = address
        household_rows.append(
            {
                "municipality_id": municipality.id,
                "household_no": hh["household_no"],
                "householder_name": hh.get("householder_name") or "",
                "address": address,
                "address_key": address_key(address),
                "address_code": hh.get("address_code") or "",
                "postal_code": hh.get("postal_code") or "",
                "created_at": now,
                "updated_at": now,
            }
        )
    resident_rows = []
    for r in city.residents:
        address = full_address.get(r["household_no"], r["address"])
        resident_rows.append(
            {
                "municipality_id": municipality.id,
                "atena_no": r["atena_no"],
                "household_no": r["household_no"],
                "name": r["name"],
                "name_kana": r["name_kana"] or "",
                "name_key": name_key(r["name"]),
                "kana_key": kana_key(r["name_kana"] or ""),
                "birth_date": r["birth_date"],
                "birth_date_raw": r["birth_date_raw"] or "",
                "birth_date_unknown": bool(r["birth_date_unknown"]),
                "sex": r["sex"] or "",
                "relationship": r["relationship"] or "",
                "is_householder": bool(r["is_householder"]),
                "address": address,
                "address_key": address_key(address),
                "address_code": r.get("address_code") or "",
                "postal_code": r.get("postal_code") or "",
                "phone": r.get("phone") or "",
                "status": r.get("status") or ResidentStatus.resident,
                "has_gaiji": contains_gaiji(r["name"]),
                "extra": {},
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(household_rows), BATCH):
        session.execute(insert(RegisteredHousehold), household_rows[start : start + BATCH])
    for start in range(0, len(resident_rows), BATCH):
        session.execute(insert(Resident), resident_rows[start : start + BATCH])
    dwellings = _load_dwellings(session, municipality.id, city, now)
    record(
        session,
        actor,
        "registry.import",
        "municipality",
        DEMO_CODE,
        {
            "source": "synthetic demo",
            "seed": seed,
            "households": len(household_rows),
            "residents": len(resident_rows),
            "dwellings": dwellings,
        },
    )

    # ---- one active disaster, both acts applied
    disaster = add_disaster(
        session,
        municipality.id,
        DisasterInput(
            name=DEMO_DISASTER_NAME,
            kind=DisasterKind.earthquake.value,
            occurred_on=DEMO_DISASTER_DATE,
            number=DEMO_DISASTER_NUMBER,
            relief_act_applied=True,
            relief_act_applied_on=DEMO_DISASTER_DATE,
            support_act_applied=True,
            support_act_applied_on=date(2026, 11, 22),
        ),
    )
    record(
        session,
        actor,
        "disaster.add",
        "disaster",
        disaster.number,
        {"name": disaster.name},
        disaster_number=disaster.number,
    )

    victims = _register_victims(session, disaster, city, seed)
    return DemoResult(
        created=True,
        residents=len(resident_rows),
        registered_households=len(household_rows),
        dwellings=dwellings,
        victim_households=victims,
        logins=demo_logins(),
    )


def _load_dwellings(session: Session, municipality_id: int, city: demo_data.CityData, now) -> int:  # noqa: ANN001
    """The fixed-asset houses (家屋) of the synthetic city and who lives in each (Occupancy)."""
    rows = [
        {
            "municipality_id": municipality_id,
            "house_no": d["house_no"],
            "location": d["location"],
            "location_key": address_key(d["location"]),
            "lot_no": d["house_no"].split("-")[0],
            "building_name": d.get("building_name") or "",
            "owner_atena_no": d.get("owner_atena_no") or "",
            "co_owner_atena_nos": [],
            "usage": "共同住宅" if d["units"] > 1 else "専用住宅",
            "structure": d["structure"],
            "floors": d["floors"],
            "floor_area": d["floor_area"],
            "built_on": date(d["built_year"], 1, 1),
            "lon": d["lon"],
            "lat": d["lat"],
            "extra": {},
            "created_at": now,
            "updated_at": now,
        }
        for d in city.dwellings
    ]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(Dwelling), rows[start : start + BATCH])
    ids = dict(
        session.execute(select(Dwelling.house_no, Dwelling.id).where(Dwelling.municipality_id == municipality_id)).all()
    )
    units = {h["household_no"]: h.get("katagaki") or "" for h in city.households}
    links = [
        {
            "municipality_id": municipality_id,
            "household_no": household_no,
            "dwelling_id": ids[d["house_no"]],
            "unit": units.get(household_no, ""),
            "source": "demo",
            "created_at": now,
        }
        for d in city.dwellings
        for household_no in d["household_nos"]
    ]
    for start in range(0, len(links), BATCH):
        session.execute(insert(Occupancy), links[start : start + BATCH])
    return len(rows)


def _age(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _register_victims(session: Session, disaster: Disaster, city: demo_data.CityData, seed: int) -> int:
    """A handful of victim households in several states, some members flagged 要配慮者."""
    actor = Actor(username="demo", acting_municipality=DEMO_CODE, disaster_number=disaster.number)
    rng = random.Random(f"demo-victims-{seed}")
    # The quake hit the coast hardest: prefer households of 港町 / 東浜 / 浜通り, then any.
    coastal = [h["household_no"] for h in city.households if h["town"].startswith(("港町", "東浜", "浜通り"))]
    others = [h["household_no"] for h in city.households if h["household_no"] not in set(coastal)]
    rng.shuffle(coastal)
    rng.shuffle(others)
    chosen = (coastal + others)[: min(12, len(city.households))]
    statuses = (
        [HouseholdStatus.registered.value] * 5
        + [HouseholdStatus.in_support.value] * 4
        + [HouseholdStatus.closed.value] * 3
    )
    on = disaster.occurred_on
    count = 0
    for index, household_no in enumerate(chosen):
        household = households.register_from_resident_household(session, disaster, household_no, None)
        household.status = statuses[index % len(statuses)]
        if household.status != HouseholdStatus.registered.value:
            household.residence = "見本市立中央小学校（指定避難所）" if index % 2 else "親族宅（市内）"
        for member in households.members_of(session, household.id):
            age = _age(member.birth_date, on)
            if age is not None and age >= 75:
                member.is_vulnerable, member.vulnerability_reason = True, "高齢者（75歳以上）"
            elif age is not None and age < 3:
                member.is_vulnerable, member.vulnerability_reason = True, "乳幼児"
            if index == 2 and member.is_householder:
                member.condition = MemberCondition.injured.value
            session.add(member)
        session.add(household)
        session.flush()
        record(
            session,
            actor,
            "household.register",
            "victim_household",
            household.victim_no,
            {"source": "resident_register", "household_no": household_no, "status": household.status},
        )
        count += 1

    # One evacuee not in the register (registered by hand).
    manual = households.register_manual(
        session,
        disaster,
        households.HouseholdInput(
            address="架空県見本郡となり町本郷1番2号",
            residence="見本市立中央小学校（指定避難所）",
            contact_phone="099-055-0123",
            notes="市外からの帰省中に被災（デモ用の架空データ）",
            members=[
                households.MemberInput(
                    name="来訪\u3000花子",
                    name_kana="ライホウ\u3000ハナコ",
                    birth_date=date(1994, 5, 3),
                    sex="female",
                    relationship="世帯主",
                    is_householder=True,
                    is_vulnerable=True,
                    vulnerability_reason="妊産婦",
                ),
                households.MemberInput(
                    name="来訪\u3000陽太",
                    name_kana="ライホウ\u3000ヨウタ",
                    birth_date=date(2024, 8, 15),
                    sex="male",
                    relationship="子",
                    is_vulnerable=True,
                    vulnerability_reason="乳幼児",
                ),
            ],
        ),
        None,
    )
    record(session, actor, "household.register", "victim_household", manual.victim_no, {"source": "manual"})
    return count + 1


def reset_municipality(session: Session, municipality: Municipality) -> None:
    """Delete a municipality and every row that belongs to it (users whose home it is included).

    Meant for the synthetic demo only. Audit entries are kept (the log is append-only)."""
    mid = municipality.id
    user_ids = list(session.execute(select(User.id).where(User.home_municipality_id == mid)).scalars())
    session.execute(
        delete(UserSession).where(
            (UserSession.acting_municipality_id == mid) | UserSession.user_id.in_(user_ids or [-1])
        )
    )
    session.execute(delete(ApiToken).where(ApiToken.user_id.in_(user_ids or [-1])))
    session.execute(delete(Grant).where((Grant.municipality_id == mid) | Grant.user_id.in_(user_ids or [-1])))
    # Every table that holds the municipality's rows, dependants first.
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "municipality_id" in table.c and table.name not in {"role_grant", "user_session"}:
            session.execute(delete(table).where(table.c.municipality_id == mid))
    # Other rows that merely point at the deleted users keep their data, without the pointer.
    if user_ids:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.c:
                if column.nullable and any(fk.column.table.name == "app_user" for fk in column.foreign_keys):
                    session.execute(update(table).where(column.in_(user_ids)).values({column.name: None}))
        session.execute(delete(User).where(User.id.in_(user_ids)))
    session.execute(delete(Municipality).where(Municipality.id == mid))
    record(session, _actor(), "demo.reset", "municipality", municipality.code, {"users": len(user_ids)})
    session.flush()
    session.expunge_all()


__all__ = [
    "DEFAULT_SIZE",
    "DEMO_CODE",
    "DEMO_NAME",
    "DEMO_PASSWORD",
    "DemoLogin",
    "DemoResult",
    "demo_logins",
    "load_demo",
    "reset_municipality",
]
