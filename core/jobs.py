"""Background jobs kept in the database (imports today; eligibility runs, spatial tagging, batch
PDFs and exports next): any app instance shows any job's state and progress, a job whose instance
died shows as interrupted and can be run again, and two instances never run the same job.

A job is a ``background_job`` row: queued → running → succeeded | failed, or interrupted when its
runner stopped answering; ``retry`` puts a failed or interrupted job back in the queue. Every app
instance runs one ``JobRunner`` (one job at a time) that claims the oldest queued job of the kinds
it knows in a transaction of its own:

* PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks a row no other claimer holds, then a
  conditional ``UPDATE … WHERE state = 'queued'``;
* SQLite: the engine begins ``IMMEDIATE`` (victim_support/db.py), so the claim holds the
  database's write lock from its first read; the same conditional update, its row count checked.

While a job runs its runner writes a heartbeat every few seconds (with the progress the handler
reported). A running job whose heartbeat is older than ``stale_after`` is marked interrupted by
whoever looks at it (a page, ``mark_interrupted``, every runner's sweep). On SQLite a long import
holds the only write lock until it commits, so neither heartbeat nor progress can be written
meanwhile: there the runner also holds an OS file lock (``flock``) beside the database file for the
job, which the kernel drops when the process dies, and a job whose lock is held is never taken for
interrupted. See docs/jobs.md.

A kind is a function registered by name: ``register("import", run_import)``. It gets a
``JobContext`` (its parameters, ``progress(done, total)``, the engine) and returns a JSON-able dict,
kept as the job's ``result``. An exception fails the job with its first line as the message.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Engine, Index, and_, func, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Field, Session, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from core.clock import utcnow
from core.errors import Conflict

try:  # POSIX; elsewhere SQLite jobs rely on the heartbeat alone
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED, INTERRUPTED = "queued", "running", "succeeded", "failed", "interrupted"
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, INTERRUPTED)
ACTIVE = (QUEUED, RUNNING)
RETRIABLE = (FAILED, INTERRUPTED)
STATE_LABELS = {QUEUED: "待機中", RUNNING: "実行中", SUCCEEDED: "完了", FAILED: "失敗", INTERRUPTED: "中断"}

DEFAULT_STALE_SECONDS = 60
HEARTBEAT_SECONDS = 5.0
POLL_SECONDS = 2.0
PROGRESS_SECONDS = 0.5
INTERRUPTED_MESSAGE = "処理していたサーバーからの応答が途絶えたため、中断しました"
STOPPED_MESSAGE = "サーバーの停止により中断しました"


class BackgroundJob(SQLModel, table=True):
    """One background job: what to do (``kind``, ``params``), for which tenant, its state and progress,
    which runner has it (``owner``, ``heartbeat_at``) and what came of it (``result``, ``message``)."""

    __tablename__ = "background_job"
    __table_args__ = (Index("ix_background_job_state_id", "state", "id"),)  # claiming: the oldest queued

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    disaster_id: int | None = None
    kind: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default=QUEUED, max_length=12)  # queued | running | succeeded | failed | interrupted
    progress_done: int = 0
    progress_total: int = 0  # 0: not known
    message: str = Field(default="")
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    owner: str = Field(default="", max_length=200)  # the runner that has it: host:pid:uuid
    heartbeat_at: datetime | None = None
    attempts: int = 0  # how many times a runner has started it
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state not in ACTIVE

    @property
    def percent(self) -> int:
        if self.state == SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return max(0, min(99, self.progress_done * 100 // self.progress_total))

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


class JobStopped(Exception):
    """Raised by ``JobContext.progress`` when the handler must stop: its runner is shutting down, or
    the job is no longer this runner's (marked interrupted and queued again elsewhere)."""


Handler = Callable[["JobContext"], "dict[str, Any] | None"]
HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    """Make ``kind`` runnable by the runners of this process (registering the same function again is fine)."""
    if not kind or len(kind) > 40:
        raise ValueError(f"a job kind is 1 to 40 characters: {kind!r}")
    known = HANDLERS.get(kind)
    if known is not None and known is not handler:
        raise ValueError(f"job kind {kind!r} is already registered to {known.__module__}.{known.__qualname__}")
    HANDLERS[kind] = handler


# ------------------------------------------------------------------------------ queue and look-ups


def enqueue(
    session: Session,
    kind: str,
    municipality_id: int,
    params: dict[str, Any] | None = None,
    *,
    disaster_id: int | None = None,
    created_by_id: int | None = None,
    total: int = 0,
) -> BackgroundJob:
    """Queue a job in the caller's transaction (it becomes visible to the runners at the caller's commit)."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r} (registered: {', '.join(sorted(HANDLERS)) or 'none'})")
    json.dumps(params or {})  # JSON-able, or fail here rather than in a runner
    job = BackgroundJob(
        municipality_id=municipality_id,
        disaster_id=disaster_id,
        kind=kind,
        params=dict(params or {}),
        created_by_id=created_by_id,
        progress_total=max(0, total),
    )
    session.add(job)
    session.flush()
    return job


def _db_now(dialect: str) -> Any:
    """Now, by one clock for every instance: PostgreSQL's (instances may run on several hosts whose
    clocks differ); on SQLite every instance is on the database file's host, so the local clock."""
    if dialect == "postgresql":
        return func.clock_timestamp(type_=UTCDateTime())
    return utcnow()


def _stale(dialect: str, stale_after: float) -> Any:
    return and_(
        BackgroundJob.state == RUNNING,
        BackgroundJob.heartbeat_at < _db_now(dialect) - timedelta(seconds=stale_after),
    )


def mark_interrupted(
    session: Session, *, stale_after: float = DEFAULT_STALE_SECONDS, job_ids: Iterable[int] | None = None
) -> list[int]:
    """Mark as interrupted the running jobs (all, or ``job_ids``) whose runner has not written a
    heartbeat for ``stale_after`` seconds and (SQLite) holds no lock on them; in the caller's
    transaction. Returns their ids."""
    bind = session.get_bind()
    dialect = bind.dialect.name
    query = select(BackgroundJob.id, BackgroundJob.owner).where(_stale(dialect, stale_after))
    if job_ids is not None:
        query = query.where(BackgroundJob.id.in_(list(job_ids)))
    marked = []
    for job_id, owner in session.execute(query).all():
        if _lock_held(bind, job_id):
            continue  # alive, only kept from writing (SQLite: an import holds the write lock)
        changed = session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id, BackgroundJob.owner == owner, _stale(dialect, stale_after))
            .values(state=INTERRUPTED, message=INTERRUPTED_MESSAGE, finished_at=_db_now(dialect))
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            log.warning("background job %s of %s stopped answering: marked interrupted", job_id, owner)
            marked.append(job_id)
    return marked


def get_job(session: Session, job_id: int, *, stale_after: float = DEFAULT_STALE_SECONDS) -> BackgroundJob | None:
    """The job as it is now (read afresh); a running job whose runner stopped answering is marked
    interrupted first, in the caller's transaction (commit it to keep the mark)."""
    mark_interrupted(session, stale_after=stale_after, job_ids=[job_id])
    return session.get(BackgroundJob, job_id, populate_existing=True)


def jobs_of(
    session: Session,
    municipality_id: int,
    kind: str | None = None,
    *,
    limit: int = 20,
    stale_after: float = DEFAULT_STALE_SECONDS,
) -> list[BackgroundJob]:
    """The latest jobs of a municipality (of one kind), newest first, stale ones marked interrupted."""
    query = select(BackgroundJob.id).where(BackgroundJob.municipality_id == municipality_id)
    if kind is not None:
        query = query.where(BackgroundJob.kind == kind)
    ids = list(session.execute(query.order_by(BackgroundJob.id.desc()).limit(limit)).scalars())
    if ids:
        mark_interrupted(session, stale_after=stale_after, job_ids=ids)
    return (
        list(
            session.execute(
                select(BackgroundJob)
                .where(BackgroundJob.id.in_(ids))
                .order_by(BackgroundJob.id.desc())
                .execution_options(populate_existing=True)
            ).scalars()
        )
        if ids
        else []
    )


def retry(session: Session, job_id: int, *, stale_after: float = DEFAULT_STALE_SECONDS) -> BackgroundJob:
    """Queue a failed or interrupted job again, in the caller's transaction (``Conflict`` otherwise).
    Its progress, result and message are cleared; ``attempts`` grows when a runner starts it."""
    mark_interrupted(session, stale_after=stale_after, job_ids=[job_id])
    changed = session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id, BackgroundJob.state.in_(RETRIABLE))
        .values(
            state=QUEUED,
            owner="",
            heartbeat_at=None,
            started_at=None,
            finished_at=None,
            message="",
            progress_done=0,
            result={},
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    job = session.get(BackgroundJob, job_id, populate_existing=True)
    if job is None:
        raise Conflict("処理が見つかりません")
    if not changed:
        raise Conflict(f"この処理は再実行できません（状態: {job.state_label}）")
    return job


# ------------------------------------------------------------------------------ SQLite owner locks


def _lock_folder(bind: Any) -> Path | None:
    """Beside a SQLite database file: ``<file>-jobs/``; None for PostgreSQL and in-memory databases."""
    url = bind.engine.url if hasattr(bind, "engine") else bind.url
    if fcntl is None or url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return path.with_name(path.name + "-jobs")


def _lock_held(bind: Any, job_id: int) -> bool:
    """Whether a live process holds the owner lock of a job (SQLite only; always False elsewhere)."""
    folder = _lock_folder(bind)
    if folder is None:
        return False
    try:
        fd = os.open(folder / f"{job_id}.lock", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # a probe: conflicts only with the owner's exclusive lock
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


class _OwnerLock:
    """The exclusive ``flock`` a runner holds on its job while it runs it (SQLite). The kernel drops it
    when the process dies, however it dies."""

    def __init__(self, engine: Engine, job_id: int) -> None:
        self.path: Path | None = None
        self.fd: int | None = None
        folder = _lock_folder(engine)
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{job_id}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + 5
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:  # a looker's probe, for a moment; or another process still has the job
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise JobStopped("ほかのプロセスがこの処理を実行しています") from None
                time.sleep(0.01)
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)  # closing drops the lock
            self.fd = None


# ------------------------------------------------------------------------------ short transactions


def _busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)


@contextmanager
def _bookkeeping(engine: Engine, wait: float | None = None, *, read_first: bool = False) -> Iterator[Session]:
    """A session of its own on the job table, for one short transaction (the caller commits).

    On SQLite ``wait`` bounds how long it waits for the write lock (None: the engine's busy timeout),
    so that a runner neither stalls behind another instance's import nor waits for the lock its own
    import holds; ``OperationalError`` (database is locked) then tells the caller to try later.
    ``read_first``: begin DEFERRED (only a write, if any, takes the lock)."""
    if read_first:
        engine = engine.execution_options(sqlite_begin="DEFERRED")
    with engine.connect() as connection:
        raw = before = None
        if wait is not None and connection.dialect.name == "sqlite":
            raw = connection.connection.driver_connection  # outside any transaction: the pragma applies now
            before = raw.execute("PRAGMA busy_timeout").fetchone()[0]
            raw.execute(f"PRAGMA busy_timeout={max(0, int(wait * 1000))}")
        try:
            with Session(bind=connection, expire_on_commit=False) as session:
                yield session
        finally:
            if raw is not None:
                connection.rollback()
                raw.execute(f"PRAGMA busy_timeout={int(before)}")


# ------------------------------------------------------------------------------ running


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


class JobContext:
    """What a handler gets: the job's identity and parameters, the engine, and ``progress``."""

    def __init__(self, runner: JobRunner, job: BackgroundJob) -> None:
        self.job_id: int = job.id
        self.kind = job.kind
        self.params: dict[str, Any] = dict(job.params)
        self.municipality_id = job.municipality_id
        self.disaster_id = job.disaster_id
        self.created_by_id = job.created_by_id
        self.attempts = job.attempts
        self.engine = runner.engine
        self.owner = runner.owner
        self._runner = runner
        self._lock = threading.Lock()
        self._done, self._total, self._message = job.progress_done, job.progress_total, None
        self._written = float("-inf")
        self.lost = False  # the job was taken from this runner (marked interrupted, maybe queued again)

    @property
    def stopping(self) -> bool:
        return self.lost or self._runner.stopping

    def check(self) -> None:
        """Raise ``JobStopped`` when the handler must stop (long handlers call it between steps)."""
        if self.lost:
            raise JobStopped(INTERRUPTED_MESSAGE)  # taken from this runner after it went silent
        if self._runner.stopping:
            raise JobStopped(STOPPED_MESSAGE)

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Report progress; written to the job's row in a transaction of its own at most every
        ``progress_seconds`` (and with every heartbeat). Raises ``JobStopped`` when the handler must stop."""
        self.check()
        with self._lock:
            self._done = max(0, int(done))
            if total is not None:
                self._total = max(0, int(total))
            if message is not None:
                self._message = message
        if time.monotonic() - self._written >= self._runner.progress_seconds:
            self.write(wait=0)  # never wait: on SQLite the handler itself may hold the write lock
            self.check()  # the write may have found the job taken from this runner

    def write(self, wait: float | None) -> bool:
        """Write the heartbeat and the latest progress; False when the database was busy."""
        with self._lock:
            values: dict[str, Any] = {"progress_done": self._done, "progress_total": self._total}
            if self._message is not None:
                values["message"] = self._message
        try:
            with _bookkeeping(self.engine, wait) as session:
                values["heartbeat_at"] = _db_now(session.get_bind().dialect.name)
                changed = session.execute(
                    update(BackgroundJob)
                    .where(
                        BackgroundJob.id == self.job_id,
                        BackgroundJob.owner == self._runner.owner,
                        BackgroundJob.state == RUNNING,
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                ).rowcount
                session.commit()
        except OperationalError as exc:
            if not _busy(exc):
                log.warning("background job %s: progress not written: %s", self.job_id, _first_line(exc))
            return False
        self._written = time.monotonic()
        if not changed:
            log.warning("background job %s is no longer run by %s", self.job_id, self._runner.owner)
            self.lost = True
        return True


class JobRunner:
    """Claims and runs jobs, one at a time, as one owner (host:pid:uuid). ``start()`` runs a worker
    thread that polls for queued jobs (``wake()`` after queueing one in this process skips the wait);
    ``run_next()`` / ``run_job()`` run one in the calling thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        kinds: Iterable[str] | None = None,
        stale_after: float = DEFAULT_STALE_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        progress_seconds: float = PROGRESS_SECONDS,
    ) -> None:
        # Handlers write: on SQLite their transactions take the write lock at their first statement
        # (victim_support/db.py), whatever the engine given was set to; a DEFERRED writer would fail
        # at its first write once a heartbeat had committed meanwhile.
        self.engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        self.kinds = tuple(kinds) if kinds is not None else None
        self.stale_after = stale_after
        self.heartbeat_seconds = heartbeat_seconds
        self.poll_seconds = poll_seconds
        self.progress_seconds = progress_seconds
        self.owner = f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex}"
        self.stopping = False
        self.current: int | None = None  # the job being run
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------------- worker thread

    def start(self) -> None:
        if self._thread is not None:
            return
        self.stopping = False
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Stop polling; a running handler is told to stop at its next ``progress`` (its job is then
        marked interrupted). Waits up to ``timeout`` seconds for it."""
        self.stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        sweep_every = max(self.poll_seconds, self.stale_after / 4)
        next_sweep = 0.0
        while not self.stopping:
            self._wake.clear()
            ran = None
            try:
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + sweep_every
                    self.sweep(wait=0.2)
                if self._queued():
                    ran = self.run_next(wait=0.2)
            except Exception:
                log.exception("background job runner %s", self.owner)
            if ran is None and not self.stopping:
                self._wake.wait(self.poll_seconds)

    def _queued(self) -> bool:
        """A cheap look (no write lock on SQLite) before claiming."""
        with _bookkeeping(self.engine, read_first=True) as session:
            return (
                session.execute(
                    select(BackgroundJob.id)
                    .where(BackgroundJob.state == QUEUED, BackgroundJob.kind.in_(self._kinds()))
                    .limit(1)
                ).first()
                is not None
            )

    def sweep(self, wait: float | None = None) -> list[int]:
        """Mark the stale running jobs interrupted; returns their ids."""
        try:
            with _bookkeeping(self.engine, wait, read_first=True) as session:
                marked = mark_interrupted(session, stale_after=self.stale_after)
                session.commit()
                return marked
        except OperationalError as exc:
            if _busy(exc):
                return []
            raise

    # -------------------------------------------------------------------------- claiming

    def _kinds(self) -> list[str]:
        return [kind for kind in (self.kinds if self.kinds is not None else HANDLERS) if kind in HANDLERS]

    def claim(self, job_id: int | None = None, *, wait: float | None = None) -> BackgroundJob | None:
        """Take the oldest queued job of this runner's kinds (or job ``job_id`` if it is queued) and
        mark it running by this owner, in one transaction; None when there is none (or, with ``wait``
        on SQLite, when the database stayed busy that long)."""
        kinds = self._kinds()
        if not kinds:
            return None
        try:
            with _bookkeeping(self.engine, wait) as session:
                dialect = session.get_bind().dialect.name
                query = (
                    select(BackgroundJob.id)
                    .where(BackgroundJob.state == QUEUED, BackgroundJob.kind.in_(kinds))
                    .order_by(BackgroundJob.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)  # PostgreSQL; SQLite: BEGIN IMMEDIATE holds the lock already
                )
                if job_id is not None:
                    query = query.where(BackgroundJob.id == job_id)
                found = session.execute(query).scalar_one_or_none()
                if found is None:
                    return None
                now = _db_now(dialect)
                claimed = session.execute(
                    update(BackgroundJob)
                    .where(BackgroundJob.id == found, BackgroundJob.state == QUEUED)
                    .values(
                        state=RUNNING,
                        owner=self.owner,
                        attempts=BackgroundJob.attempts + 1,
                        started_at=now,
                        heartbeat_at=now,
                        finished_at=None,
                        message="",
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount
                if claimed != 1:  # someone else's: cannot happen under the lock, checked all the same
                    session.rollback()
                    return None
                job = session.get(BackgroundJob, found, populate_existing=True)
                session.commit()
                return job
        except OperationalError as exc:
            if wait is not None and _busy(exc):
                return None
            raise

    def run_next(self, *, wait: float | None = None) -> int | None:
        """Claim the oldest queued job and run it here; its id, or None when nothing was queued."""
        job = self.claim(wait=wait)
        if job is None:
            return None
        self._execute(job)
        return job.id

    def run_job(self, job_id: int) -> bool:
        """Run job ``job_id`` here if it is queued (and of a registered kind); False otherwise."""
        job = self.claim(job_id)
        if job is None:
            return False
        self._execute(job)
        return True

    # -------------------------------------------------------------------------- running

    def _execute(self, job: BackgroundJob) -> None:
        self.current = job.id
        ctx = JobContext(self, job)
        handler = HANDLERS[job.kind]
        state, message, result = FAILED, "", {}
        try:
            lock = _OwnerLock(self.engine, job.id)
        except JobStopped as exc:
            self._finish(ctx, FAILED, str(exc), {})
            self.current = None
            return
        beating = threading.Event()
        heart = threading.Thread(target=self._beat, args=(ctx, beating), name=f"job-{job.id}-heartbeat", daemon=True)
        heart.start()
        try:
            try:
                log.info("background job %s (%s) started by %s, attempt %s", job.id, job.kind, self.owner, job.attempts)
                result = handler(ctx) or {}
                json.dumps(result)
                state = SUCCEEDED
            except JobStopped:
                state, message = INTERRUPTED, (STOPPED_MESSAGE if self.stopping else INTERRUPTED_MESSAGE)
            except Exception as exc:
                log.exception("background job %s (%s) failed", job.id, job.kind)
                state, message, result = FAILED, _first_line(exc), {}
            self._finish(ctx, state, message, result)
        finally:
            beating.set()
            heart.join()
            lock.release()  # after the final state is written: a looker never sees running without a lock
            self.current = None

    def _beat(self, ctx: JobContext, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_seconds):
            ctx.write(wait=min(1.0, self.heartbeat_seconds / 2))

    def _finish(self, ctx: JobContext, state: str, message: str, result: dict[str, Any]) -> None:
        """Write the outcome, if the job is still this owner's (running, or marked interrupted while
        it could not beat). On SQLite another instance's import may hold the lock for long: wait."""
        with ctx._lock:
            done, total = ctx._done, ctx._total
        if state == SUCCEEDED and total:
            done = max(done, total)
        values: dict[str, Any] = {
            "state": state,
            "message": message or (ctx._message or ""),
            "result": result,
            "progress_done": done,
            "progress_total": total,
        }
        while True:
            try:
                with _bookkeeping(self.engine, wait=5) as session:
                    now = _db_now(session.get_bind().dialect.name)
                    changed = session.execute(
                        update(BackgroundJob)
                        .where(
                            BackgroundJob.id == ctx.job_id,
                            BackgroundJob.owner == self.owner,
                            BackgroundJob.state.in_((RUNNING, INTERRUPTED)),
                        )
                        .values(**values, finished_at=now, heartbeat_at=now)
                        .execution_options(synchronize_session=False)
                    ).rowcount
                    session.commit()
                break
            except OperationalError as exc:
                if not _busy(exc):
                    raise
                log.info("background job %s: database busy, outcome not written yet", ctx.job_id)
        if not changed:
            log.warning("background job %s ended (%s) after it was taken from %s", ctx.job_id, state, self.owner)
        else:
            log.info("background job %s (%s): %s", ctx.job_id, ctx.kind, state)


def run_next(engine: Engine, *, kinds: Iterable[str] | None = None, **options: Any) -> int | None:
    """Claim and run the oldest queued job in the calling thread, as a runner of its own; its id or None."""
    return JobRunner(engine, kinds=kinds, **options).run_next()


def run_job(engine: Engine, job_id: int, **options: Any) -> bool:
    """Run job ``job_id`` in the calling thread if it is queued; False otherwise."""
    return JobRunner(engine, **options).run_job(job_id)
