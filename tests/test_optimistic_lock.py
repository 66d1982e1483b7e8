"""Edits of the 被災者台帳 use optimistic locking (version column); 基本情報 is never touched."""

from __future__ import annotations

import copy
import uuid
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core.errors import StaleEdit
from ledgers.disasters.services import DisasterInput, add_disaster
from ledgers.households import services as households
from ledgers.households.models import VictimHousehold, VictimMember
from ledgers.registry.models import RegisteredHousehold, Resident
from ledgers.registry.services import with_search_keys


@pytest.fixture
def registered(db, municipality):
    """A household registered from the resident register (so it has a real 基本情報)."""
    disaster = add_disaster(
        db,
        municipality.id,
        DisasterInput(
            name="試験地震", kind="earthquake", occurred_on=date(2024, 1, 1), number=f"Q-{uuid.uuid4().hex[:8]}"
        ),
    )
    household_no = f"{uuid.uuid4().int % 10**8:08d}"
    address = "テスト県テスト市港町三丁目5番地"
    db.add(RegisteredHousehold(municipality_id=municipality.id, household_no=household_no, address=address))
    for i, (name, kana) in enumerate([("山田 太郎", "ヤマダ タロウ"), ("山田 花子", "ヤマダ ハナコ")]):
        db.add(
            with_search_keys(
                Resident(
                    municipality_id=municipality.id,
                    atena_no=f"{household_no}{i}",
                    household_no=household_no,
                    name=name,
                    name_kana=kana,
                    birth_date=date(1960 + i, 5, 5),
                    is_householder=(i == 0),
                    relationship="世帯主" if i == 0 else "妻",
                    address=address,
                )
            )
        )
    db.commit()
    household = households.register_from_resident_household(db, disaster, household_no, None)
    db.commit()
    return household


def _fresh(engine, model, row_id):
    with Session(engine) as other:
        return other.get(model, row_id)


def test_stale_household_version_is_refused_and_row_unchanged(db, engine, registered):
    assert registered.version == 1
    changed = households.update_household(
        db, registered, 1, {"residence": "避難所A", "contact_phone": "090-1111-2222"}, None
    )
    db.commit()
    assert sorted(changed) == ["contact_phone", "residence"]
    assert registered.version == 2

    with pytest.raises(StaleEdit):
        households.update_household(db, registered, 1, {"residence": "親戚宅"}, None)
    db.rollback()
    row = _fresh(engine, VictimHousehold, registered.id)
    assert row.residence == "避難所A"
    assert row.version == 2


def test_second_of_two_concurrent_household_edits_is_refused(engine, registered):
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        # Each opens the edit form (on SQLite every transaction holds the write lock, so the
        # read transaction ends before the other session reads).
        mine = first.get(VictimHousehold, registered.id)
        first.commit()  # ends the read; objects stay loaded (expire_on_commit=False)
        theirs = second.get(VictimHousehold, registered.id)
        second.commit()
        assert mine.version == theirs.version
        opened_at = theirs.version

        households.update_household(first, mine, mine.version, {"notes": "一人目の保存"}, None)
        first.commit()

        with pytest.raises(StaleEdit):
            households.update_household(second, theirs, opened_at, {"notes": "二人目の保存"}, None)
        second.rollback()

    row = _fresh(engine, VictimHousehold, registered.id)
    assert row.notes == "一人目の保存"
    assert row.version == opened_at + 1


def test_second_of_two_concurrent_member_edits_is_refused(db, engine, registered):
    member = households.members_of(db, registered.id)[1]
    db.commit()
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        # Each opens the edit form (on SQLite every transaction holds the write lock, so the
        # read transaction ends before the other session reads).
        mine = first.get(VictimMember, member.id)
        first.commit()  # ends the read; objects stay loaded (expire_on_commit=False)
        theirs = second.get(VictimMember, member.id)
        second.commit()
        opened_at = theirs.version

        changed = households.update_member(
            first, mine, mine.version, {"is_vulnerable": True, "vulnerability_reason": "要介護3"}
        )
        first.commit()
        assert sorted(changed) == ["is_vulnerable", "vulnerability_reason"]

        with pytest.raises(StaleEdit):
            households.update_member(second, theirs, opened_at, {"condition": "injured"})
        second.rollback()

    row = _fresh(engine, VictimMember, member.id)
    assert row.is_vulnerable is True
    assert row.vulnerability_reason == "要介護3"
    assert row.condition == "none"
    assert row.version == opened_at + 1


def test_stale_member_version_leaves_row_unchanged(db, engine, registered):
    member = households.members_of(db, registered.id)[0]
    households.update_member(db, member, member.version, {"phone": "080-3333-4444"})
    db.commit()
    assert member.version == 2
    with pytest.raises(StaleEdit):
        households.update_member(db, member, 1, {"phone": "000-0000-0000"})
    db.rollback()
    row = _fresh(engine, VictimMember, member.id)
    assert (row.phone, row.version) == ("080-3333-4444", 2)


def test_edits_never_touch_the_basic_snapshot(db, engine, registered):
    household_snapshot = copy.deepcopy(registered.basic_snapshot)
    members = households.members_of(db, registered.id)
    member_snapshots = {m.id: copy.deepcopy(m.basic_snapshot) for m in members}
    assert household_snapshot["source"] == "resident_register"
    assert member_snapshots[members[0].id]["name"] == "山田 太郎"

    households.update_household(
        db, registered, registered.version, {"address": "テスト県テスト市山手町1番地", "status": "in_support"}, None
    )
    households.update_member(db, members[0], members[0].version, {"name": "山田 太朗", "address": "仮設住宅12号"})
    db.commit()

    with Session(engine) as other:
        household = other.get(VictimHousehold, registered.id)
        assert household.address == "テスト県テスト市山手町1番地"  # 更新情報 changed
        assert household.basic_snapshot == household_snapshot  # 基本情報 did not
        assert household.basic_snapshot["address"] == "テスト県テスト市港町三丁目5番地"
        assert household.head_name == "山田 太朗"
        rows = other.execute(select(VictimMember).where(VictimMember.household_id == registered.id)).scalars().all()
        for row in rows:
            assert row.basic_snapshot == member_snapshots[row.id]
        renamed = next(r for r in rows if r.id == members[0].id)
        assert renamed.name == "山田 太朗"
        assert renamed.basic_snapshot["name"] == "山田 太郎"


def test_snapshot_and_keys_are_not_editable(db, registered):
    from core.errors import DomainError

    for field in ("basic_snapshot", "victim_no", "version", "disaster_id", "municipality_id"):
        with pytest.raises(DomainError):
            households.update_household(db, registered, registered.version, {field: "x"}, None)
    member = households.members_of(db, registered.id)[0]
    for field in ("basic_snapshot", "atena_no", "household_id", "version"):
        with pytest.raises(DomainError):
            households.update_member(db, member, member.version, {field: "x"})
    db.rollback()
