"""Municipality (地方公共団体): the tenant every personal-data row belongs to."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ledgers.clock import utcnow


class Municipality(SQLModel, table=True):
    """A tenant, keyed by its 6-digit 地方公共団体コード (with check digit)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=6, unique=True, index=True)
    name: str = Field(max_length=60)
    prefecture: str = Field(default="", max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
