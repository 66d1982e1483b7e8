"""Bulk writes of the peacetime ledgers: PostgreSQL COPY, SQLite executemany (imports, geocoding, links)."""

from __future__ import annotations

import operator
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlmodel import Session

from ledgers.registry.import_reader import iso_or_none, json_text


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows given as dicts (all with the same keys) through ``insert_records``."""
    if not rows:
        return
    columns = tuple(rows[0])
    json_columns = {c.name for c in table.c if c.type.__class__.__name__ == "JSON"}
    sqlite = session.connection().dialect.name == "sqlite"
    # Build each tuple in C (itemgetter), then convert only the few columns the driver cannot take
    # as they are: JSON (both), dates and timestamps (SQLite; timestamps are usually one shared
    # value: converted once).
    getter = operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    fixes = []
    for index, name in enumerate(columns):
        sample = next((row[name] for row in rows if row[name] is not None), None)
        if name in json_columns:
            fixes.append((index, json_text))
        elif sqlite and isinstance(sample, datetime):
            fixes.append((index, _sqlite_timestamp))
        elif sqlite and isinstance(sample, date):
            fixes.append((index, iso_or_none))
    records = []
    for row in rows:
        values = getter(row)
        if fixes:
            values = list(values)
            for index, fix in fixes:
                values[index] = fix(values[index])
            values = tuple(values)
        records.append(values)
    insert_records(session, table, columns, records, {})


@lru_cache(maxsize=64)
def _sqlite_timestamp(value: datetime | None) -> str | None:
    # the format SQLAlchemy itself writes for SQLite DateTime columns (naive UTC)
    return None if value is None else value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def bulk_update(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """UPDATE rows by id (a few percent of the file in a diff import)."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "id"]
    statement = update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(f"_v_{c}") for c in columns})
    params = [{"_id": row["id"], **{f"_v_{c}": row[c] for c in columns}} for row in rows]
    session.connection().execute(statement, params)


def insert_records(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    records: list[tuple],
    constants: dict[str, Any],
) -> None:
    """Insert records (tuples in ``columns`` order) with the same ``constants`` on every row:
    PostgreSQL COPY, SQLite executemany (the constants written into the statement once)."""
    if not records:
        return
    connection = session.connection()
    raw = connection.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in (*columns, *constants))
    if connection.dialect.name == "postgresql":
        tail = tuple(constants.values())
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            write = copy.write_row
            for record in records:
                write(record + tail)
        return
    marks = ", ".join(["?"] * len(columns) + [_sqlite_literal(v) for v in constants.values()])
    raw.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', records)


def _sqlite_literal(value: Any) -> str:
    """A constant of our own (an id or a timestamp) as SQL text; never a value read from a file."""
    if isinstance(value, bool) or value is None:
        raise TypeError("not a constant this writer inlines")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        value = _sqlite_timestamp(value)
    return "'" + str(value).replace("'", "''") + "'"
