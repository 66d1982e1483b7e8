"""The app's background jobs: the kinds it runs, and one runner per app instance, started and stopped
with the app (core/jobs.py holds the table, the claiming and the runner; docs/jobs.md)."""

from __future__ import annotations

from litestar import Litestar

from core import jobs
from core.settings import Settings
from ledgers.registry import import_job

# Kinds an instance's runner claims. One runner, one job at a time: imports are long single transactions.
KINDS = (import_job.KIND,)


def register_kinds() -> None:
    jobs.register(import_job.KIND, import_job.run_import)


register_kinds()


def start_runner(app: Litestar) -> None:
    """``on_startup``: this instance's runner polls for queued jobs in a thread of its own."""
    settings: Settings = app.state.settings
    runner = jobs.JobRunner(app.state.engine, kinds=KINDS, stale_after=settings.job_stale_seconds)
    app.state.jobs = runner
    runner.start()


def stop_runner(app: Litestar) -> None:
    """``on_shutdown``: stop polling; a job still running is told to stop and shows as interrupted."""
    runner: jobs.JobRunner | None = getattr(app.state, "jobs", None)
    if runner is not None:
        runner.stop()


def wake_runner(app: Litestar) -> None:
    """After queueing a job: this instance's runner looks at once rather than at its next poll."""
    runner: jobs.JobRunner | None = getattr(app.state, "jobs", None)
    if runner is not None:
        runner.wake()
