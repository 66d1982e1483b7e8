"""Peacetime resident register (住民基本台帳) as imported from the municipality's system."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledgers.clock import utcnow


class ResidentStatus:
    resident = "resident"  # 住民
    moved_out = "moved_out"  # 転出
    deceased = "deceased"  # 死亡
    removed = "removed"  # その他の消除


class RegisteredHousehold(SQLModel, table=True):
    """A 世帯 of the resident register, keyed by its 世帯番号."""

    __tablename__ = "registered_household"
    __table_args__ = (UniqueConstraint("municipality_id", "household_no"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    household_no: str = Field(max_length=20)  # 世帯番号
    householder_name: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=200)
    address_key: str = Field(default="", max_length=200, index=True)
    address_code: str = Field(default="", max_length=20)
    postal_code: str = Field(default="", max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Resident(SQLModel, table=True):
    """A person of the resident register (住民), keyed by 宛名番号 within the municipality."""

    __table_args__ = (UniqueConstraint("municipality_id", "atena_no"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    atena_no: str = Field(max_length=20)  # 宛名番号
    household_no: str = Field(default="", max_length=20, index=True)  # 世帯番号
    name: str = Field(max_length=100)  # 氏名 (as registered, 外字 kept)
    name_kana: str = Field(default="", max_length=100)  # 氏名フリガナ
    name_key: str = Field(default="", max_length=100, index=True)  # normalised for search
    kana_key: str = Field(default="", max_length=100, index=True)
    birth_date: date | None = None
    birth_date_raw: str = Field(default="", max_length=40)  # original 和暦 text
    birth_date_unknown: bool = False  # 不詳 or non-calendar date kept as text
    sex: str = Field(default="", max_length=10)
    relationship: str = Field(default="", max_length=40)  # 続柄
    is_householder: bool = False
    address: str = Field(default="", max_length=200)
    address_key: str = Field(default="", max_length=200, index=True)
    address_code: str = Field(default="", max_length=20)
    postal_code: str = Field(default="", max_length=10)
    phone: str = Field(default="", max_length=30)
    moved_in_on: date | None = None
    status: str = Field(default=ResidentStatus.resident, max_length=20)
    status_reason: str = Field(default="", max_length=40)
    status_since: date | None = None
    has_gaiji: bool = False  # contains user-defined characters (外字)
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
