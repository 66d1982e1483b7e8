"""Database engine and sessions for SQLite (embedded default) and PostgreSQL (production).

Numbers that must be gapless (り災番号) are allocated inside the writing transaction, so the
engine must serialise writers: PostgreSQL does it with row locks; SQLite needs ``BEGIN
IMMEDIATE`` (take the write lock at the start, not on the first write) and a busy timeout, or two
writers deadlock on the lock upgrade.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from core.settings import Settings

SUPPORTED_SCHEMES = ("sqlite", "postgresql", "postgres")


class UnsupportedDatabase(ValueError):
    """DATABASE_URL names a database the system does not run on."""


def check_url(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower() if ":" in url else ""
    if scheme not in SUPPORTED_SCHEMES:
        raise UnsupportedDatabase(
            f"DATABASE_URL の種類 {scheme or url!r} には対応していません: sqlite:///ファイル か "
            "postgresql://ユーザー@ホスト/データベース を指定してください"
        )
    return url


def normalise_url(url: str) -> str:
    """Map the user-facing URL to a driver URL (psycopg 3 for PostgreSQL)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(url: str) -> bool:
    return normalise_url(url).startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, relative paths taken from ``Settings.home`` (the checkout or
    the current folder)."""
    parsed = make_url(normalise_url(url))
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return Settings.from_env().resolve(path)


def _sqlite_url(url: str) -> str:
    path = sqlite_path(url)
    if path is None:
        return normalise_url(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    check_url(url)
    if is_sqlite(url):
        engine = create_engine(
            _sqlite_url(url),
            connect_args={"check_same_thread": False, "timeout": 60},
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
            # Let SQLAlchemy, not the driver, decide where transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn) -> None:  # noqa: ANN001
            # IMMEDIATE unless a caller that only reads asks otherwise
            # (``engine.execution_options(sqlite_begin="DEFERRED")``).
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(normalise_url(url), pool_pre_ping=True, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session for one unit of work; services commit, anything left open is rolled back."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def include_in_schema(dialect: str):  # noqa: ANN201  (an Alembic include_object hook)
    """Alembic's ``include_object`` for ``dialect``: leaves out the indexes the models build only on
    other databases (``Index.ddl_if(dialect=…)``, e.g. PostgreSQL's trigram indexes), so that
    autogenerate and the schema test compare what the migrations build there."""

    def include(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
        condition = getattr(obj, "_ddl_if", None) if type_ == "index" and not reflected else None
        if condition is None or condition.dialect is None:
            return True
        wanted = condition.dialect
        return dialect == wanted if isinstance(wanted, str) else dialect in wanted

    return include
