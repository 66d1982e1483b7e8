"""Concurrent writers from two app instances (two engines on one database), for the tests of the
numbers the database hands out gapless and unique (り災番号, 交付番号)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from core.errors import Conflict
from victim_support.db import make_engine

T = TypeVar("T")
ATTEMPTS = 5  # per thread, when transient errors are retried


def is_transient(exc: BaseException) -> bool:
    """Serialization failure / deadlock (PostgreSQL) or a busy database (SQLite)."""
    if not isinstance(exc, (OperationalError, DBAPIError)):
        return False
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in {"40001", "40P01"} or "locked" in str(exc).lower() or "busy" in str(exc).lower()


def run_on_two_instances(
    database_url: str,
    threads: int,
    work: Callable[[Session, int], T],
    *,
    crash: Collection[int] = (),
    retry_transient: bool = False,
) -> list[tuple[str, T | None]]:
    """Run ``work(session, i)`` for i in 0..threads-1, all threads released at once by a barrier
    and spread over two engines, each call in a session of its own. The outcome of each call is
    ("committed", value) after its commit; ("rolled_back", value) for the threads in `crash`,
    which roll back after the work as if the instance crashed before commit; or
    ("conflict", None) when the work raised Conflict. Other errors fail the test, unless
    `retry_transient` and they are transient (then the thread tries again, as a client would)."""
    engines = [make_engine(database_url), make_engine(database_url)]
    barrier = threading.Barrier(threads)
    attempts = ATTEMPTS if retry_transient else 1

    def run(i: int) -> tuple[str, T | None]:
        barrier.wait(timeout=30)
        for attempt in range(attempts):
            with Session(engines[i % 2], expire_on_commit=False) as session:
                try:
                    value = work(session, i)
                    if i in crash:
                        session.rollback()
                        return "rolled_back", value
                    session.commit()
                    return "committed", value
                except Conflict:
                    session.rollback()
                    return "conflict", None
                except Exception as exc:
                    session.rollback()
                    if is_transient(exc) and attempt < attempts - 1:
                        time.sleep(0.01 * (attempt + 1))
                        continue
                    raise
        raise AssertionError("unreachable")

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(run, range(threads)))
    finally:
        for engine in engines:
            engine.dispose()


def values(results: list[tuple[str, T | None]], outcome: str) -> list[T | None]:
    """The values of the calls that ended with `outcome`, in thread order."""
    return [value for got, value in results if got == outcome]
