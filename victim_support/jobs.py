"""The app's background jobs: the kinds it runs, and one runner per app instance, started and stopped
with the app (core/jobs.py holds the table, the claiming and the runner; docs/jobs.md)."""

from __future__ import annotations

import logging
import threading

from litestar import Litestar
from sqlalchemy import Engine
from sqlmodel import Session

from core import audit, jobs
from core.settings import Settings
from ledgers.registry import import_job

# Kinds an instance's runner claims. One runner, one job at a time: imports are long single transactions.
KINDS = (import_job.KIND,)


def register_kinds() -> None:
    jobs.register(import_job.KIND, import_job.run_import)


register_kinds()
log = logging.getLogger(__name__)


def start_background(app: Litestar) -> None:
    """``on_startup``: this instance's job runner (polls for queued jobs) and audit checkpoint timer,
    each in a thread of its own. An app started twice at once (two test clients of one app) keeps
    one of each, stopped with the last."""
    users = getattr(app.state, "background_users", 0)
    app.state.background_users = users + 1
    if users:
        return
    settings: Settings = app.state.settings
    runner = jobs.JobRunner(app.state.engine, kinds=KINDS, stale_after=settings.job_stale_seconds)
    app.state.jobs = runner
    runner.start()
    if settings.audit_checkpoint_minutes > 0:
        app.state.checkpoints = CheckpointTimer(app.state.engine, settings, settings.audit_checkpoint_minutes)
        app.state.checkpoints.start()


def stop_background(app: Litestar) -> None:
    """``on_shutdown``: stop polling (a job still running is told to stop and shows as interrupted)
    and stop the checkpoint timer."""
    app.state.background_users = max(getattr(app.state, "background_users", 1) - 1, 0)
    if app.state.background_users:
        return
    for name in ("jobs", "checkpoints"):
        worker = getattr(app.state, name, None)
        if worker is not None:
            worker.stop()


def wake_runner(app: Litestar) -> None:
    """After queueing a job: this instance's runner looks at once rather than at its next poll."""
    runner: jobs.JobRunner | None = getattr(app.state, "jobs", None)
    if runner is not None:
        runner.wake()


class CheckpointTimer:
    """Writes a signed audit checkpoint (core.audit) every ``minutes`` while the app runs, so that a
    rewritten chain is caught even if nobody runs ``victim-support audit checkpoint`` by hand."""

    def __init__(self, engine: Engine, settings: Settings, minutes: float) -> None:
        self.engine, self.settings, self.seconds = engine, settings, minutes * 60
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                with Session(self.engine.execution_options(sqlite_begin="DEFERRED")) as session:
                    audit.write_checkpoint(session, self.settings)
            except audit.MissingAuditKey:
                log.warning("no audit key: periodic checkpoints are off (victim-support keys init)")
                return
            except Exception:  # the next round tries again; the app keeps serving
                log.exception("writing an audit checkpoint failed")
