"""り災番号 (victim numbers) are gapless and unique per disaster, even under concurrent writers
from several app instances (two engines on the same database)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core.errors import Conflict
from ledgers.disasters.models import Disaster
from ledgers.disasters.services import DisasterInput, add_disaster
from ledgers.households import services as households
from ledgers.households.models import VictimHousehold, VictimMember
from ledgers.households.services import HouseholdInput, MemberInput
from ledgers.registry.models import RegisteredHousehold, Resident
from ledgers.registry.services import with_search_keys
from tests.concurrency import run_on_two_instances, values

THREADS = 50
FAILING = {7, 19, 33, 41}  # threads that crash after the number was allocated, before commit


def _disaster(db: Session, municipality_id: int, name: str = "試験豪雨") -> Disaster:
    disaster = add_disaster(
        db,
        municipality_id,
        DisasterInput(name=name, kind="flood", occurred_on=date(2024, 7, 1), number=f"T-{uuid.uuid4().hex[:8]}"),
    )
    db.commit()
    return disaster


def _manual_input(label: str) -> HouseholdInput:
    return HouseholdInput(
        address=f"テスト県テスト市本町一丁目{label}番地",
        members=[MemberInput(name=f"試験 {label}", name_kana="シケン", is_householder=True)],
    )


def _add_register_household(db: Session, municipality_id: int, household_no: str, people: int = 2) -> None:
    address = f"テスト県テスト市緑町二丁目{household_no}番地"
    db.add(RegisteredHousehold(municipality_id=municipality_id, household_no=household_no, address=address))
    for i in range(people):
        db.add(
            with_search_keys(
                Resident(
                    municipality_id=municipality_id,
                    atena_no=f"{household_no}{i:02d}",
                    household_no=household_no,
                    name=f"台帳 {household_no}-{i}",
                    name_kana=f"ダイチョウ {i}",
                    birth_date=date(1970 + i, 4, 1),
                    is_householder=(i == 0),
                    address=address,
                    phone="099-000-0000" if i == 0 else "",
                )
            )
        )
    db.commit()


def _numbers(db: Session, disaster_id: int) -> list[int]:
    db.rollback()  # fresh snapshot
    return list(
        db.execute(
            select(VictimHousehold.victim_no)
            .where(VictimHousehold.disaster_id == disaster_id)
            .order_by(VictimHousehold.victim_no)
        ).scalars()
    )


def test_concurrent_registrations_from_two_instances_are_gapless(db, database_url, municipality):
    disaster = _disaster(db, municipality.id)
    for n in range(10):
        _add_register_household(db, municipality.id, f"9{n:05d}")

    def work(session: Session, i: int) -> int:
        own = session.get(Disaster, disaster.id)
        if i < 10:  # some from the register, the rest by hand
            return households.register_from_resident_household(session, own, f"9{i:05d}", None).victim_no
        return households.register_manual(session, own, _manual_input(str(i)), None).victim_no

    results = run_on_two_instances(database_url, THREADS, work, crash=FAILING, retry_transient=True)

    committed = sorted(values(results, "committed"))
    rolled_back = values(results, "rolled_back")
    expected = THREADS - len(FAILING)
    assert len(rolled_back) == len(FAILING)
    assert all(isinstance(n, int) and n >= 1 for n in rolled_back)
    # Every committed household has its own number, and together they are exactly 1..N.
    assert committed == list(range(1, expected + 1))
    assert _numbers(db, disaster.id) == list(range(1, expected + 1))
    refreshed = db.get(Disaster, disaster.id, populate_existing=True)
    assert refreshed.last_victim_no == expected
    # Register-based households got their members from the register.
    from_register = (
        db.execute(
            select(VictimHousehold).where(
                VictimHousehold.disaster_id == disaster.id, VictimHousehold.source_household_no != ""
            )
        )
        .scalars()
        .all()
    )
    assert len(from_register) == 10 - len(FAILING & set(range(10)))
    for household in from_register:
        members = households.members_of(db, household.id)
        assert len(members) == 2 and members[0].is_householder
    # The next registration continues the sequence with no gap.
    nxt = households.register_manual(db, disaster, _manual_input("next"), None)
    db.commit()
    assert nxt.victim_no == expected + 1


def test_each_disaster_has_its_own_sequence(db, municipality):
    first = _disaster(db, municipality.id, "一つ目")
    for label in "abc":
        households.register_manual(db, first, _manual_input(label), None)
    db.commit()
    second = _disaster(db, municipality.id, "二つ目")
    a = households.register_manual(db, second, _manual_input("x"), None)
    b = households.register_manual(db, second, _manual_input("y"), None)
    db.commit()
    assert (a.victim_no, b.victim_no) == (1, 2)
    assert _numbers(db, first.id) == [1, 2, 3]
    assert _numbers(db, second.id) == [1, 2]


def test_duplicate_register_household_is_refused_without_consuming_a_number(db, municipality):
    disaster = _disaster(db, municipality.id)
    _add_register_household(db, municipality.id, "100001")
    _add_register_household(db, municipality.id, "100002")
    first = households.register_from_resident_household(db, disaster, "100001", None)
    db.commit()
    assert first.victim_no == 1
    members_before = db.execute(select(VictimMember).where(VictimMember.household_id == first.id)).scalars().all()

    with pytest.raises(Conflict) as refused:
        households.register_from_resident_household(db, disaster, "100001", None)
    assert "り災番号 1" in refused.value.message
    db.commit()  # even when the caller carries on and commits, nothing was consumed

    second = households.register_from_resident_household(db, disaster, "100002", None)
    db.commit()
    assert second.victim_no == 2
    assert _numbers(db, disaster.id) == [1, 2]
    assert len(db.execute(select(VictimMember).where(VictimMember.household_id == first.id)).scalars().all()) == len(
        members_before
    )
    # The same 世帯番号 may be registered again in another disaster (numbers are per disaster).
    other = _disaster(db, municipality.id, "別の災害")
    again = households.register_from_resident_household(db, other, "100001", None)
    db.commit()
    assert again.victim_no == 1


def test_concurrent_registration_of_the_same_household_registers_it_once(db, database_url, municipality):
    """Two instances clicking 登録 for the same 世帯 at the same time: one wins, the other is told."""
    disaster = _disaster(db, municipality.id)
    _add_register_household(db, municipality.id, "200001")

    def work(session: Session, i: int) -> None:
        households.register_from_resident_household(session, session.get(Disaster, disaster.id), "200001", None)

    threads = 8
    outcomes = [outcome for outcome, _ in run_on_two_instances(database_url, threads, work)]
    assert outcomes.count("committed") == 1
    assert outcomes.count("conflict") == threads - 1
    assert _numbers(db, disaster.id) == [1]
