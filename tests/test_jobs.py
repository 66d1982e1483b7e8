"""Background jobs in the database (core/jobs.py), on SQLite and PostgreSQL: two instances (two engines)
never run one job twice, progress and heartbeat written by one are read by the other, a job whose
instance died shows as interrupted and runs again on retry, and a stopping runner interrupts its job.

Each test registers kinds of its own (``job_kind``) and its runners claim only those, so the jobs of
other tests in the shared database, and the app's runners, stay out of its way.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from core import jobs
from core.clock import utcnow
from core.errors import Conflict
from core.jobs import BackgroundJob
from victim_support.db import make_engine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def job_kind():
    """Register a handler under a kind no other test uses; unregistered afterwards."""
    kinds = []

    def make(handler) -> str:
        kind = f"test-{uuid.uuid4().hex[:12]}"
        jobs.register(kind, handler)
        kinds.append(kind)
        return kind

    yield make
    for kind in kinds:
        jobs.HANDLERS.pop(kind, None)


@pytest.fixture
def two_engines(database_url):
    """Two app instances' engines on one database."""
    engines = [make_engine(database_url), make_engine(database_url)]
    yield engines
    for engine in engines:
        engine.dispose()


def read(engine, job_id: int) -> BackgroundJob:
    """The job's row as another instance reads it now."""
    with Session(engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False) as session:
        return session.get(BackgroundJob, job_id)


def wait_until(predicate, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def backdate_heartbeat(db: Session, job_id: int, seconds: float = 120) -> None:
    """As if ``seconds`` had passed since the runner last wrote."""
    db.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id)
        .values(heartbeat_at=utcnow() - timedelta(seconds=seconds))
    )
    db.commit()


# ---------------------------------------------------------------- claiming


def test_two_instances_racing_for_queued_jobs_never_run_one_twice(db, municipality, job_kind, two_engines):
    n_jobs, n_runners = 30, 4
    ran: list[tuple[int, str]] = []
    owners_running: set[str] = set()
    two_at_once = threading.Event()
    lock = threading.Lock()

    def handler(ctx):
        with lock:
            ran.append((ctx.job_id, ctx.owner))
            owners_running.add(ctx.owner)
            if len(owners_running) >= 2:
                two_at_once.set()
        two_at_once.wait(10)  # the first job waits for a second runner: claims must not serialise whole jobs
        return {"n": ctx.params["n"]}

    kind = job_kind(handler)
    ids = [jobs.enqueue(db, kind, municipality.id, {"n": n}).id for n in range(n_jobs)]
    db.commit()
    barrier = threading.Barrier(n_runners)

    def runner(i: int) -> list[int]:
        instance = jobs.JobRunner(two_engines[i % 2], kinds=[kind], heartbeat_seconds=30)
        barrier.wait(timeout=30)
        claimed = []
        while (job_id := instance.run_next()) is not None:
            claimed.append(job_id)
        return claimed

    with ThreadPoolExecutor(max_workers=n_runners) as pool:
        claimed = [job_id for got in pool.map(runner, range(n_runners)) for job_id in got]

    assert two_at_once.is_set(), "two runners never ran jobs at the same time"
    duplicates = [job_id for job_id, times in Counter(job_id for job_id, _ in ran).items() if times > 1]
    assert duplicates == []
    assert sorted(job_id for job_id, _ in ran) == ids and sorted(claimed) == ids
    rows = {
        job.id: job
        for job in db.execute(
            select(BackgroundJob).where(BackgroundJob.id.in_(ids)).execution_options(populate_existing=True)
        ).scalars()
    }
    ran_by = dict(ran)
    for n, job_id in enumerate(ids):
        job = rows[job_id]
        assert (job.state, job.attempts, job.result, job.owner) == ("succeeded", 1, {"n": n}, ran_by[job_id])
        assert job.started_at <= job.finished_at
    assert jobs.run_next(two_engines[0], kinds=[kind]) is None  # nothing left


def test_the_oldest_queued_job_of_a_known_kind_is_taken_first(db, municipality, job_kind, engine):
    order: list[int] = []
    kind = job_kind(lambda ctx: order.append(ctx.job_id))
    other = job_kind(lambda ctx: order.append(-ctx.job_id))
    first, _skipped, second = (jobs.enqueue(db, k, municipality.id).id for k in (kind, other, kind))
    db.commit()
    assert jobs.run_next(engine, kinds=[kind]) == first
    assert jobs.run_next(engine, kinds=[kind]) == second
    assert jobs.run_next(engine, kinds=[kind]) is None
    assert order == [first, second]
    assert jobs.run_job(engine, first) is False  # not queued any more
    with pytest.raises(ValueError):
        jobs.enqueue(db, "test-not-registered", municipality.id)


def test_a_handler_that_raises_fails_its_job_with_the_message_and_can_be_retried(db, municipality, job_kind, engine):
    calls = []

    def handler(ctx):
        calls.append(ctx.attempts)
        ctx.progress(1, 4)
        if len(calls) == 1:
            raise RuntimeError("台帳ファイルが読めません\n(詳細)")
        ctx.progress(4)
        return {"ok": True}

    kind = job_kind(handler)
    job_id = jobs.enqueue(db, kind, municipality.id).id
    db.commit()
    assert jobs.run_job(engine, job_id)
    failed = read(engine, job_id)
    assert (failed.state, failed.message, failed.result, failed.attempts) == (
        "failed",
        "台帳ファイルが読めません",
        {},
        1,
    )
    with pytest.raises(Conflict):
        jobs.retry(db, -1)  # no such job
    queued = jobs.retry(db, job_id)
    db.commit()
    assert (queued.state, queued.message, queued.progress_done, queued.owner) == ("queued", "", 0, "")
    assert jobs.run_job(engine, job_id)
    done = read(engine, job_id)
    assert (done.state, done.result, done.attempts, done.percent) == ("succeeded", {"ok": True}, 2, 100)
    assert calls == [1, 2]
    with pytest.raises(Conflict):  # a succeeded job is not run again
        jobs.retry(db, job_id)
    db.rollback()


# ---------------------------------------------------------------- progress and heartbeat across instances


def test_progress_and_heartbeat_written_by_one_instance_are_read_by_another(db, municipality, job_kind, two_engines):
    reported, release = threading.Event(), threading.Event()

    def handler(ctx):
        ctx.progress(3, 10)
        reported.set()
        assert release.wait(30)
        ctx.progress(10)
        return {"rows": 10}

    kind = job_kind(handler)
    job_id = jobs.enqueue(db, kind, municipality.id, total=10).id
    db.commit()
    runner_engine, reader_engine = two_engines
    runner = jobs.JobRunner(runner_engine, kinds=[kind], heartbeat_seconds=0.05)
    thread = threading.Thread(target=runner.run_job, args=(job_id,))
    thread.start()
    try:
        assert reported.wait(30)
        seen = wait_until(lambda: (job := read(reader_engine, job_id)).progress_done == 3 and job, "progress 3/10")
        assert (seen.state, seen.progress_total, seen.percent, seen.owner, seen.attempts) == (
            "running",
            10,
            30,
            runner.owner,
            1,
        )
        wait_until(lambda: read(reader_engine, job_id).heartbeat_at > seen.heartbeat_at, "a newer heartbeat")
        with Session(reader_engine) as looker:  # the other instance looks: fresh heartbeat, not interrupted
            assert jobs.get_job(looker, job_id).state == "running"
            looker.commit()
    finally:
        release.set()
        thread.join(30)
    final = read(reader_engine, job_id)
    assert (final.state, final.result, final.progress_done, final.percent) == ("succeeded", {"rows": 10}, 10, 100)
    assert final.finished_at is not None


# ---------------------------------------------------------------- an instance that dies

DYING_INSTANCE = """
import sys, time
from core import jobs
from victim_support.db import make_engine

url, kind, job_id = sys.argv[1], sys.argv[2], int(sys.argv[3])

def handler(ctx):
    ctx.progress(1, 2)
    print("started", flush=True)
    time.sleep(600)

jobs.register(kind, handler)
jobs.run_job(make_engine(url), job_id, heartbeat_seconds=600)
"""


def test_a_job_whose_instance_died_shows_as_interrupted_and_succeeds_when_retried(
    database_url, db, municipality, job_kind, engine
):
    kind = job_kind(lambda ctx: (ctx.progress(2, 2), {"second": ctx.attempts})[1])
    job_id = jobs.enqueue(db, kind, municipality.id, total=2).id
    db.commit()
    instance = subprocess.Popen(
        [sys.executable, "-c", DYING_INSTANCE, database_url, kind, str(job_id)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert instance.stdout.readline().strip() == "started"
        running = jobs.get_job(db, job_id)
        assert (running.state, running.progress_done, running.attempts) == ("running", 1, 1)
        assert running.owner.split(":")[1] == str(instance.pid)
        if db.get_bind().dialect.name == "sqlite":
            # alive but silent (as while its import holds SQLite's write lock): its file lock keeps it running
            backdate_heartbeat(db, job_id)
            assert jobs.get_job(db, job_id).state == "running"
            db.commit()
        instance.send_signal(signal.SIGKILL)
    finally:
        instance.wait(30)
        instance.stdout.close()
    db.rollback()
    with pytest.raises(Conflict):  # running as far as anyone can tell: not retried
        db.execute(update(BackgroundJob).where(BackgroundJob.id == job_id).values(heartbeat_at=utcnow()))
        jobs.retry(db, job_id)
    db.rollback()
    backdate_heartbeat(db, job_id, seconds=59)
    assert jobs.get_job(db, job_id).state == "running"  # within the timeout
    db.rollback()
    backdate_heartbeat(db, job_id, seconds=61)
    interrupted = jobs.get_job(db, job_id)
    db.commit()
    assert (interrupted.state, interrupted.message) == ("interrupted", jobs.INTERRUPTED_MESSAGE)
    assert read(engine, job_id).state == "interrupted"  # marked for every instance

    jobs.retry(db, job_id)
    db.commit()
    assert jobs.run_job(engine, job_id)
    done = read(engine, job_id)
    assert (done.state, done.result, done.attempts, done.progress_done) == ("succeeded", {"second": 2}, 2, 2)
    if db.get_bind().dialect.name == "sqlite":
        assert not (Path(db.get_bind().url.database + "-jobs") / f"{job_id}.lock").exists()


def test_a_live_runner_whose_heartbeat_stalled_keeps_its_job_or_gives_it_up(db, municipality, job_kind, engine):
    """SQLite: its file lock proves it alive, nobody takes the job. PostgreSQL: after the timeout the
    job is interrupted and may be queued again; the old runner stops at its next progress and does not
    write over the job, so the two never both finish it."""
    started, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def handler(ctx):
        ctx.progress(1, 3)
        started.set()
        assert release.wait(30)
        try:
            ctx.progress(2, 3)
        except jobs.JobStopped:
            outcome.append("stopped")
            raise
        outcome.append("went on")
        return {"by": "first"}

    kind = job_kind(handler)
    job_id = jobs.enqueue(db, kind, municipality.id).id
    db.commit()
    first = jobs.JobRunner(engine, kinds=[kind], heartbeat_seconds=600, progress_seconds=0)
    thread = threading.Thread(target=first.run_job, args=(job_id,))
    thread.start()
    try:
        assert started.wait(30)
        backdate_heartbeat(db, job_id)
        looked = jobs.get_job(db, job_id)
        db.commit()
        if db.get_bind().dialect.name == "sqlite":
            assert looked.state == "running"
            with pytest.raises(Conflict):
                jobs.retry(db, job_id)
            db.rollback()
        else:
            assert looked.state == "interrupted"
            jobs.retry(db, job_id)
            db.commit()
    finally:
        release.set()
        thread.join(30)
    final = read(engine, job_id)
    if db.get_bind().dialect.name == "sqlite":
        assert outcome == ["went on"] and (final.state, final.result) == ("succeeded", {"by": "first"})
    else:
        assert outcome == ["stopped"]
        assert (final.state, final.owner, final.result) == ("queued", "", {})  # untouched by the old runner


# ---------------------------------------------------------------- the worker thread


def test_the_worker_thread_runs_queued_jobs_and_a_stop_interrupts_the_running_one(db, municipality, job_kind, engine):
    started = threading.Event()

    def long_handler(ctx):
        started.set()
        while True:  # until told to stop
            ctx.progress(1, 2)
            time.sleep(0.01)

    quick = job_kind(lambda ctx: {"quick": True})
    slow = job_kind(long_handler)
    runner = jobs.JobRunner(engine, kinds=[quick, slow], poll_seconds=30, heartbeat_seconds=0.2)
    runner.start()
    try:
        first = jobs.enqueue(db, quick, municipality.id).id
        db.commit()
        runner.wake()  # as a page does after queueing: no wait for the next poll
        wait_until(lambda: read(engine, first).state == "succeeded", "the quick job")
        second = jobs.enqueue(db, slow, municipality.id).id
        db.commit()
        runner.wake()
        assert started.wait(30)
    finally:
        runner.stop(timeout=30)
    stopped = read(engine, second)
    assert (stopped.state, stopped.message, stopped.progress_done) == ("interrupted", jobs.STOPPED_MESSAGE, 1)
    assert jobs.retry(db, second).state == "queued"
    db.rollback()
