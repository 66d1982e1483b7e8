"""Shared fixtures: a migrated database per backend (SQLite file, throw-away PostgreSQL)."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from core.codes import municipality_check_digit
from core.tenancy import Municipality
from victim_support.accounts import services as accounts
from victim_support.db import make_engine
from victim_support.migrate import upgrade

# Tests (and the servers and CLIs they start) may make the 個人番号 key file when it is missing;
# a production server never does (ledgers.registry.mynumber).
os.environ.setdefault("VS_GENERATE_MY_NUMBER_KEY", "1")

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
TEST_PASSWORD = "correct-horse-42"


def _pg_admin_engine():
    return create_engine(
        POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )


def create_postgres_database() -> str:
    """A new empty database; fails (never skips) when REQUIRE_POSTGRES=1 and none can be made."""
    name = f"vs_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but not usable: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def new_database(backend: str, tmp_dir: Path, revision: str = "head") -> str:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir / f'vs-{uuid.uuid4().hex[:8]}.db'}"
    else:
        url = create_postgres_database()
    upgrade(url, revision)
    return url


def discard_database(backend: str, url: str) -> None:
    if backend == "postgres":
        drop_postgres_database(url)


BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """One migrated database per backend for the whole run; tests make their own tenants."""
    url = new_database(request.param, tmp_path_factory.mktemp(request.param))
    yield url
    discard_database(request.param, url)


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request, tmp_path) -> Iterator[str]:
    """A database of its own, for tests that damage it on purpose (audit tampering)."""
    url = new_database(request.param, tmp_path)
    yield url
    discard_database(request.param, url)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path) -> Iterator[str]:
    """A database of its own with no schema at all (for migration tests)."""
    url = new_database(request.param, tmp_path, revision="base")
    yield url
    discard_database(request.param, url)


@pytest.fixture(scope="session")
def engine_cache():
    engines = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def engine(database_url, engine_cache):
    if database_url not in engine_cache:
        engine_cache[database_url] = make_engine(database_url)
    return engine_cache[database_url]


@pytest.fixture
def db(engine) -> Iterator[Session]:
    """The test's own session. On SQLite it begins DEFERRED, so a test reading between requests
    does not hold the write lock the app needs (the app itself begins IMMEDIATE)."""
    session = Session(engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False)
    yield session
    session.rollback()
    session.close()


def random_municipality_code() -> str:
    first5 = f"{random.randint(1, 47):02d}{random.randint(100, 999)}"
    return first5 + municipality_check_digit(first5)


def make_municipality(session: Session, name: str = "テスト市") -> Municipality:
    from core.tenancy import add_municipality, get_by_code

    while True:
        code = random_municipality_code()
        if get_by_code(session, code) is None:
            break
    municipality = add_municipality(session, code, name, "テスト県")
    session.commit()
    return municipality


def make_user(
    session: Session, municipality: Municipality | None, role: str, *, password: str = TEST_PASSWORD, **grant
):
    user = accounts.create_user(session, f"u{uuid.uuid4().hex[:10]}", password, "試験 利用者", municipality)
    accounts.add_grant(session, user, role, municipality, **grant)
    session.commit()
    return user


@pytest.fixture
def municipality(db) -> Municipality:
    return make_municipality(db)


@pytest.fixture
def app(database_url, engine):
    """The web application on the test database (shared by the HTTP tests)."""
    from core.settings import Settings
    from victim_support.app import create_app

    # Every test client logs in from the one address "testclient": no address throttling here
    # (tests/test_web.py tests it on an app of its own).
    return create_app(Settings(database_url=database_url, address_failure_threshold=1_000_000), engine)


@pytest.fixture
def client(app):
    from litestar.testing import TestClient

    with TestClient(app) as test_client:
        yield test_client
