"""trigram indexes for the counter's name, kana and address search (PostgreSQL only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

The counter finds a household by part of a name, kana or address (``LIKE '%…%'``), which no
B-tree index serves. pg_trgm's GIN indexes do. pg_trgm is a trusted extension (PostgreSQL 13 and
later): the database's owner may create it. SQLite has no such index; it scans.
"""

from collections.abc import Sequence

import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (("victim_household", "address_key"), ("victim_member", "kana_key"), ("victim_member", "name_key"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}_trgm", table, [column], unique=False,
                        postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in INDEXES:
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
