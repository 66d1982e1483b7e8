"""Columns that many tables share, as SQLModel mixins (each table gets its own copy of the columns).

    class Resident(TenantScoped, Timestamps, table=True): ...

``TenantScoped``: the municipality (tenant) a row of personal data belongs to; every query is scoped
by it. ``Timestamps``: created/updated (UTC). ``Versioned``: the optimistic-lock counter a form
sends back (``StaleEdit`` when someone saved in between).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.clock import utcnow


class TenantScoped(SQLModel):
    municipality_id: int = Field(foreign_key="municipality.id", index=True)


class Timestamps(SQLModel):
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Versioned(SQLModel):
    version: int = 1
