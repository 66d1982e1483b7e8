"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import victim_support.models  # noqa: F401  (every table in the metadata)


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_personal_data_table_belongs_to_a_municipality():
    tenant_free = {"municipality", "app_user", "role_grant", "user_session", "api_token", "audit_entry", "audit_head"}
    for name, table in SQLModel.metadata.tables.items():
        if name in tenant_free:
            continue
        assert "municipality_id" in table.c, f"{name} has no municipality_id"
