"""Alembic environment: one set of migrations for SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import victim_support.models  # noqa: F401  (registers every table)
from victim_support.db import include_in_schema, is_sqlite, make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable, url)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        if is_sqlite(url):
            # Batch migrations rebuild tables (copy, drop, rename); with foreign keys enforced the
            # drop fails for any referenced table. Turn enforcement off outside any transaction
            # (the pragma is ignored inside one), then check every reference afterwards.
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                _run(connection, url)
                broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
            finally:
                raw.execute("PRAGMA foreign_keys=ON")
        else:
            _run(connection, url)
    engine.dispose()


def _run(connection, url: str) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(url),  # SQLite needs table rebuilds for ALTER
        compare_type=True,
        include_object=include_in_schema(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `victim-support db upgrade`")
run_migrations_online()
