"""Append-only, hash-chained audit log (監査ログ)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ledgers.clock import utcnow


class AuditEntry(SQLModel, table=True):
    """One recorded action. ``entry_hash`` = SHA-256 over ``prev_hash`` and this entry's fields,
    so changing or deleting any entry breaks the chain from that point on."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = None
    actor_name: str = Field(default="", max_length=80)
    home_municipality: str = Field(default="", max_length=6)
    acting_municipality: str = Field(default="", max_length=6, index=True)
    disaster_number: str = Field(default="", max_length=20)
    action: str = Field(max_length=60)
    target_type: str = Field(default="", max_length=40)
    target_id: str = Field(default="", max_length=60)
    detail: str = Field(default="")  # JSON text; never personal numbers
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """Single-row lock point for appending to the chain (row-locked on PostgreSQL)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)
