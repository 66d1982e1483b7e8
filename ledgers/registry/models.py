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


class Dwelling(SQLModel, table=True):
    """A house of the fixed-asset ledger (家屋, 固定資産課税台帳), keyed by 家屋番号.

    Owners are people of the register (宛名番号); who *lives* in a dwelling is a separate fact,
    ``Occupancy``, because owners and residents often differ (rented flats, landlords)."""

    __table_args__ = (UniqueConstraint("municipality_id", "house_no"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    house_no: str = Field(max_length=40)  # 家屋番号
    location: str = Field(default="", max_length=200)  # 所在 (address of the house)
    location_key: str = Field(default="", max_length=200, index=True)
    lot_no: str = Field(default="", max_length=40)  # 地番
    building_name: str = Field(default="", max_length=100)
    owner_atena_no: str = Field(default="", max_length=20, index=True)  # 所有者 宛名番号
    co_owner_atena_nos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # 共有者
    usage: str = Field(default="", max_length=40)  # 用途 (専用住宅, 共同住宅, ...)
    structure: str = Field(default="", max_length=40)  # 構造 (木造, 鉄骨造, 鉄筋コンクリート造, ...)
    floors: int | None = None  # 階数
    floor_area: float | None = None  # 床面積 (m²)
    built_on: date | None = None  # 建築年月日 (or 1 January of the built year when only the year is known)
    lon: float | None = None
    lat: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Occupancy(SQLModel, table=True):
    """Who lives where: a registered household (世帯番号) living in a dwelling (居住).

    A household may occupy several dwellings (母屋と離れ) and a dwelling hold several households
    (共同住宅); ``unit`` says which part (方書, room)."""

    __table_args__ = (UniqueConstraint("municipality_id", "household_no", "dwelling_id"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    household_no: str = Field(max_length=20, index=True)  # 世帯番号
    dwelling_id: int = Field(foreign_key="dwelling.id", index=True)
    unit: str = Field(default="", max_length=100)  # 方書 (building + room)
    source: str = Field(default="", max_length=20)  # how the link was made: import, address, manual, demo
    created_at: datetime = Field(default_factory=utcnow)
