"""Background jobs of one app instance (ledger imports started from the browser).

A job runs in a worker thread with its own database session; its progress lives in this
process (the page polls it). A job's durable record is its ``ImportRun`` row: an instance that
dies mid-import leaves the ledgers untouched (one transaction) and the run shown as interrupted.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger(__name__)


@dataclass
class JobProgress:
    total_rows: int
    rows: int = 0
    done: bool = False
    error: str = ""
    run_id: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def percent(self) -> int:
        if self.done:
            return 100
        return min(99, int(self.rows * 100 / self.total_rows)) if self.total_rows else 0


class JobRunner:
    def __init__(self, workers: int = 1) -> None:
        # One import at a time per instance: imports are long single transactions.
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import")
        self._jobs: dict[str, JobProgress] = {}

    def submit(self, key: str, total_rows: int, work: Callable[[JobProgress], None]) -> JobProgress:
        progress = JobProgress(total_rows=total_rows)
        self._jobs[key] = progress

        def run() -> None:
            try:
                work(progress)
            except Exception as exc:  # the run record carries the failure; keep the worker alive
                log.exception("background job %s failed", key)
                progress.error = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            finally:
                progress.done = True

        self._pool.submit(run)
        return progress

    def get(self, key: str) -> JobProgress | None:
        return self._jobs.get(key)
