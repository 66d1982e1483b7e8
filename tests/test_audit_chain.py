"""The audit log is hash-chained: verify() finds modified, deleted and truncated entries, and
concurrent appends from several app instances keep one contiguous chain."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from core import audit
from core.audit import AuditEntry, AuditHead
from victim_support.db import make_engine

ACTOR = audit.Actor(user_id=None, username="試験者", home_municipality="011002", acting_municipality="011002")


@pytest.fixture
def audit_engine(fresh_database_url):
    engine = make_engine(fresh_database_url)
    yield engine
    engine.dispose()


def _append(engine, count: int, start: int = 1) -> None:
    with Session(engine, expire_on_commit=False) as session:
        for i in range(start, start + count):
            audit.record(
                session, ACTOR, "household.read", "VictimHousehold", i, {"note": f"閲覧 {i}"}, disaster_number="2024-01"
            )
        session.commit()


def _verify(engine) -> tuple[int, list[audit.ChainProblem]]:
    with Session(engine) as session:
        return audit.verify(session)


def _exec(engine, sql: str, **params) -> int:
    with engine.begin() as conn:
        return conn.execute(text(sql), params).rowcount


def test_untouched_chain_verifies(audit_engine):
    assert _verify(audit_engine) == (0, [])
    _append(audit_engine, 3)
    _append(audit_engine, 2, start=4)
    count, problems = _verify(audit_engine)
    assert (count, problems) == (5, [])
    with Session(audit_engine) as session:
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        head = session.get(AuditHead, 1)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert all(b.prev_hash == a.entry_hash for a, b in zip(entries, entries[1:]))
    assert (head.last_seq, head.last_hash) == (5, entries[-1].entry_hash)
    assert entries[2].target_id == "3" and entries[2].disaster_number == "2024-01"


@pytest.mark.parametrize("column,value", [("action", "household.write"), ("target_id", "999")])
def test_modified_entry_is_named(audit_engine, column, value):
    _append(audit_engine, 5)
    assert _exec(audit_engine, f"UPDATE audit_entry SET {column} = :v WHERE seq = 3", v=value) == 1
    count, problems = _verify(audit_engine)
    assert count == 5
    assert problems, "a modified entry must be reported"
    assert {p.seq for p in problems} == {3}
    assert any("modified" in p.message for p in problems)


def test_modified_entry_with_recomputed_hash_breaks_the_next_link(audit_engine):
    """A forger who also rewrites entry_hash of the entry still breaks the link of the next one."""
    _append(audit_engine, 5)
    with Session(audit_engine) as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.seq == 2)).scalar_one()
        entry.target_id = "forged"
        forged_hash = audit.entry_hash(entry)
        session.rollback()
    _exec(audit_engine, "UPDATE audit_entry SET target_id = 'forged', entry_hash = :h WHERE seq = 2", h=forged_hash)
    _, problems = _verify(audit_engine)
    assert [p.seq for p in problems] == [3]
    assert "broken" in problems[0].message


def test_deleted_middle_entry_is_reported(audit_engine):
    _append(audit_engine, 6)
    assert _exec(audit_engine, "DELETE FROM audit_entry WHERE seq = 4") == 1
    count, problems = _verify(audit_engine)
    assert count == 5
    missing = [p for p in problems if "missing" in p.message]
    assert len(missing) == 1
    assert missing[0].seq == 5
    assert "4..4" in missing[0].message


def test_deleted_last_entry_is_reported(audit_engine):
    _append(audit_engine, 4)
    assert _exec(audit_engine, "DELETE FROM audit_entry WHERE seq = 4") == 1
    count, problems = _verify(audit_engine)
    assert count == 3
    assert len(problems) == 1
    assert problems[0].entry_id is None
    assert problems[0].seq == 4
    assert "deleted" in problems[0].message


def test_concurrent_appends_from_two_instances_keep_one_chain(fresh_database_url):
    engines = [make_engine(fresh_database_url), make_engine(fresh_database_url)]
    threads, per_thread = 20, 3
    barrier = threading.Barrier(threads)

    def work(i: int) -> list[int]:
        barrier.wait(timeout=30)
        seqs = []
        for j in range(per_thread):
            with Session(engines[i % 2], expire_on_commit=False) as session:
                entry = audit.record(session, ACTOR, "household.write", "VictimHousehold", f"{i}-{j}")
                session.commit()
                seqs.append(entry.seq)
        return seqs

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(work, range(threads)))
        all_seqs = sorted(s for seqs in results for s in seqs)
        assert all_seqs == list(range(1, threads * per_thread + 1))
        count, problems = _verify(engines[0])
        assert (count, problems) == (threads * per_thread, [])
        with Session(engines[1]) as session:
            targets = set(session.execute(select(AuditEntry.target_id)).scalars())
        assert targets == {f"{i}-{j}" for i in range(threads) for j in range(per_thread)}
    finally:
        for engine in engines:
            engine.dispose()


def test_long_lived_session_sees_appends_from_another_instance(fresh_database_url):
    """A session that appended before must not reuse its cached head after another instance appended."""
    engines = [make_engine(fresh_database_url), make_engine(fresh_database_url)]
    try:
        with Session(engines[0], expire_on_commit=False) as mine:
            audit.record(mine, ACTOR, "login")
            mine.commit()
            head = mine.get(AuditHead, 1)  # e.g. shown on a page; stays in the identity map
            assert head.last_seq == 1
            mine.commit()
            _append(engines[1], 2)  # another app instance
            entry = audit.record(mine, ACTOR, "logout")
            mine.commit()
            assert entry.seq == 4
            assert head.last_seq == 4
        assert _verify(engines[0]) == (4, [])
    finally:
        for engine in engines:
            engine.dispose()


# ---------------------------------------------------------------- signed checkpoints

KEY = b"k" * 32


def _rewrite_whole_chain(engine) -> None:
    """What someone with write access could do: change an entry and recompute every hash after it,
    and the head, so that verify() alone finds nothing."""
    with Session(engine) as session:
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
        previous = audit.GENESIS_HASH
        for entry in entries:
            if entry.seq == 2:
                entry.target_id = "forged"
            entry.prev_hash = previous
            entry.entry_hash = audit.entry_hash(entry)
            previous = entry.entry_hash
            session.add(entry)
        head = session.get(AuditHead, 1)
        head.last_hash = previous
        session.add(head)
        session.commit()


def _checkpoint(engine) -> audit.Checkpoint:
    with Session(engine) as session:
        return audit.make_checkpoint(session, KEY)


def _against(engine, checkpoints) -> list[audit.ChainProblem]:
    with Session(engine) as session:
        return audit.verify_checkpoints(session, checkpoints, KEY)


def test_a_rewritten_chain_is_caught_by_a_signed_checkpoint(audit_engine):
    _append(audit_engine, 5)
    checkpoint = _checkpoint(audit_engine)
    assert checkpoint.seq == 5 and _against(audit_engine, [checkpoint]) == []
    _append(audit_engine, 2, start=6)
    assert _against(audit_engine, [checkpoint]) == []  # a later append keeps the checkpointed entry
    _rewrite_whole_chain(audit_engine)
    assert _verify(audit_engine)[1] == []  # the chain alone looks intact after a full recompute …
    problems = _against(audit_engine, [checkpoint])
    assert [p.seq for p in problems] == [5] and "rewritten" in problems[0].message  # … the checkpoint does not


def test_a_chain_cut_back_with_its_head_reset_is_caught(audit_engine):
    _append(audit_engine, 5)
    checkpoint = _checkpoint(audit_engine)
    with Session(audit_engine) as session:
        third = session.execute(select(AuditEntry).where(AuditEntry.seq == 3)).scalar_one()
        third_hash = third.entry_hash
    _exec(audit_engine, "DELETE FROM audit_entry WHERE seq > 3")
    _exec(audit_engine, "UPDATE audit_head SET last_seq = 3, last_hash = :h", h=third_hash)
    assert _verify(audit_engine)[1] == []
    problems = _against(audit_engine, [checkpoint])
    assert [p.seq for p in problems] == [5] and "cut back" in problems[0].message


def test_a_forged_checkpoint_is_refused(audit_engine):
    _append(audit_engine, 3)
    real = _checkpoint(audit_engine)
    forged = audit.Checkpoint(real.seq, real.entry_hash, real.at, "0" * 64)
    other_key = audit.Checkpoint(real.seq, real.entry_hash, real.at, audit._sign(b"x" * 32, real))
    problems = _against(audit_engine, [forged, other_key])
    assert len(problems) == 2 and all("signature" in p.message for p in problems)


def test_cli_checkpoint_then_verify_detects_the_rewrite(fresh_database_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from victim_support.cli import main

    monkeypatch.setenv("VS_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("VS_AUDIT_CHECKPOINT_FILE", str(tmp_path / "checkpoints.jsonl"))
    env = {"DATABASE_URL": fresh_database_url}
    engine = make_engine(fresh_database_url)
    try:
        _append(engine, 4)
        made = CliRunner().invoke(main, ["audit", "checkpoint"], env=env)
        assert made.exit_code == 0, made.output
        assert (tmp_path / "checkpoints.jsonl").read_text().count("\n") == 1
        ok = CliRunner().invoke(main, ["audit", "verify"], env=env)
        assert ok.exit_code == 0 and "1 signed checkpoint" in ok.output, ok.output
        _rewrite_whole_chain(engine)
        broken = CliRunner().invoke(main, ["audit", "verify"], env=env)
        assert broken.exit_code == 1 and "rewritten" in broken.output, broken.output
    finally:
        engine.dispose()


def test_each_app_instance_writes_checkpoints_by_itself(fresh_database_url, tmp_path, monkeypatch):
    import time

    from core.settings import Settings
    from victim_support.jobs import CheckpointTimer

    monkeypatch.setenv("VS_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("VS_AUDIT_CHECKPOINT_FILE", str(tmp_path / "checkpoints.jsonl"))
    engine = make_engine(fresh_database_url)
    try:
        _append(engine, 3)
        timer = CheckpointTimer(engine, Settings.from_env(), minutes=0.002)  # every 0.12 s
        timer.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(audit.read_checkpoints(tmp_path / "checkpoints.jsonl")) < 2:
            time.sleep(0.05)
        timer.stop()
        written = audit.read_checkpoints(tmp_path / "checkpoints.jsonl")
        assert len(written) >= 2 and {c.seq for c in written} == {3}
        with Session(engine) as session:
            assert audit.verify_checkpoints(session, written, audit.audit_key()) == []
    finally:
        engine.dispose()
