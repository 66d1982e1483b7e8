"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import victim_support.models  # noqa: F401  (every table in the metadata)
from victim_support.db import include_in_schema


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_in_schema(connection.dialect.name)}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_personal_data_table_belongs_to_a_municipality():
    tenant_free = {
        "municipality",
        "app_user",
        "role_grant",
        "user_session",
        "api_token",
        "audit_entry",
        "audit_head",
        "login_throttle",
    }  # accounts and client addresses span municipalities
    for name, table in SQLModel.metadata.tables.items():
        if name in tenant_free:
            continue
        assert "municipality_id" in table.c, f"{name} has no municipality_id"


def _insert(connection, table, **values):
    """Insert one row into a reflected table, filling every other NOT NULL column by its type."""
    import datetime as dt

    from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer

    row = dict(values)
    for column in table.c:
        if column.name in row or column.nullable or column.primary_key:
            continue
        kind = column.type
        if isinstance(kind, Boolean):
            row[column.name] = False
        elif isinstance(kind, (Integer, Float)):
            row[column.name] = 0
        elif isinstance(kind, DateTime):
            row[column.name] = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
        elif isinstance(kind, Date):
            row[column.name] = dt.date(2026, 11, 20)
        elif isinstance(kind, JSON):
            row[column.name] = {}
        else:
            row[column.name] = ""
    return connection.execute(table.insert().values(**row).returning(table.c.id)).scalar_one()


def test_upgrade_keeps_the_data_of_an_older_schema(empty_database_url):
    """A database with data at revision 0002 (a resident referenced from a victim ledger) upgrades
    to head intact; on SQLite the rebuilt ``resident`` table must not trip the foreign keys."""
    from sqlalchemy import MetaData, select
    from sqlmodel import Session

    from ledgers.households.models import VictimMember
    from ledgers.registry.models import Resident
    from victim_support.db import make_engine
    from victim_support.migrate import current_revision, upgrade

    upgrade(empty_database_url, "0002")
    engine = make_engine(empty_database_url)
    try:
        old = MetaData()
        old.reflect(engine)
        with engine.connect() as connection:
            t = old.tables
            mid = _insert(connection, t["municipality"], code="992011", name="見本市")
            rid = _insert(connection, t["resident"], municipality_id=mid, atena_no="1000000016", name="見本　一郎")
            did = _insert(connection, t["disaster"], municipality_id=mid, number="2026-01", name="試験地震")
            hid = _insert(connection, t["victim_household"], municipality_id=mid, disaster_id=did, victim_no=1)
            _insert(
                connection,
                t["victim_member"],
                municipality_id=mid,
                household_id=hid,
                resident_id=rid,
                name="見本　一郎",
            )
            connection.commit()
        upgrade(empty_database_url)
        assert current_revision(empty_database_url) == victim_support_head()
        with Session(engine) as session:
            resident = session.execute(select(Resident)).scalar_one()
            assert resident.name == "見本　一郎" and resident.row_hash == 0 and resident.geocode_level == ""
            member = session.execute(select(VictimMember)).scalar_one()
            assert member.resident_id == resident.id
    finally:
        engine.dispose()


def victim_support_head() -> str:
    from alembic.script import ScriptDirectory

    from victim_support.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
