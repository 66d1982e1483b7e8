"""Peacetime resident register (住民基本台帳) as imported from the municipality's system."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field

from core.clock import utcnow
from core.mixins import TenantScoped, Timestamps


class ResidentStatus:
    resident = "resident"  # 住民
    moved_out = "moved_out"  # 転出
    deceased = "deceased"  # 死亡
    removed = "removed"  # その他の消除


class RegisteredHousehold(TenantScoped, Timestamps, table=True):
    """A 世帯 of the resident register, keyed by its 世帯番号."""

    __tablename__ = "registered_household"
    __table_args__ = (UniqueConstraint("municipality_id", "household_no"),)

    id: int | None = Field(default=None, primary_key=True)
    household_no: str = Field(max_length=20)  # 世帯番号
    householder_name: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=200)
    address_key: str = Field(default="", max_length=200, index=True)
    address_code: str = Field(default="", max_length=20)
    postal_code: str = Field(default="", max_length=10)


class Resident(TenantScoped, Timestamps, table=True):
    """A person of the resident register (住民), keyed by 宛名番号 within the municipality."""

    __table_args__ = (UniqueConstraint("municipality_id", "atena_no"),)

    id: int | None = Field(default=None, primary_key=True)
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
    name_raw: str = Field(default="", max_length=100)  # as decoded from the file, before the 外字 map
    # 個人番号: encrypted at rest (AES-GCM), never shown unmasked without the my_number role.
    my_number_cipher: str = Field(default="", max_length=120)
    lat: float | None = None
    lon: float | None = None
    geocode_level: str = Field(default="", max_length=10)  # block (街区) | town (町丁目) | none | "" (not tried)
    row_hash: int = Field(default=0, sa_type=BigInteger)  # hash of the imported values: diff imports compare it
    last_run_id: int | None = Field(default=None, foreign_key="import_run.id")
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Dwelling(TenantScoped, Timestamps, table=True):
    """A house of the fixed-asset ledger (家屋, 固定資産課税台帳), keyed by 家屋番号.

    Owners are people of the register (宛名番号); who *lives* in a dwelling is a separate fact,
    ``Occupancy``, because owners and residents often differ (rented flats, landlords)."""

    __table_args__ = (UniqueConstraint("municipality_id", "house_no"),)

    id: int | None = Field(default=None, primary_key=True)
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
    geocode_level: str = Field(default="", max_length=10)  # block | town | none | "" (coordinates from the file)
    row_hash: int = Field(default=0, sa_type=BigInteger)
    last_run_id: int | None = Field(default=None, foreign_key="import_run.id")
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Occupancy(TenantScoped, table=True):
    """Who lives where: a registered household (世帯番号) living in a dwelling (居住).

    A household may occupy several dwellings (母屋と離れ) and a dwelling hold several households
    (共同住宅); ``unit`` says which part (方書, room)."""

    __table_args__ = (UniqueConstraint("municipality_id", "household_no", "dwelling_id"),)

    id: int | None = Field(default=None, primary_key=True)
    household_no: str = Field(max_length=20, index=True)  # 世帯番号
    dwelling_id: int = Field(foreign_key="dwelling.id", index=True)
    unit: str = Field(default="", max_length=100)  # 方書 (building + room)
    source: str = Field(default="", max_length=20)  # how the link was made: import, address, manual, demo
    created_at: datetime = Field(default_factory=utcnow)


class Land(TenantScoped, Timestamps, table=True):
    """A parcel of the fixed-asset ledger (土地), keyed by 地番."""

    __table_args__ = (UniqueConstraint("municipality_id", "lot_no"),)

    id: int | None = Field(default=None, primary_key=True)
    lot_no: str = Field(max_length=40)  # 地番
    location: str = Field(default="", max_length=200)  # 所在
    owner_atena_no: str = Field(default="", max_length=20, index=True)
    land_category: str = Field(default="", max_length=20)  # 地目
    area: float | None = None  # 地積 (m²)
    row_hash: int = Field(default=0, sa_type=BigInteger)
    last_run_id: int | None = Field(default=None, foreign_key="import_run.id")
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TaxRecord(TenantScoped, Timestamps, table=True):
    """個人住民税: one person's income of one fiscal year (課税年度)."""

    __tablename__ = "tax_record"
    __table_args__ = (UniqueConstraint("municipality_id", "atena_no", "fiscal_year"),)

    id: int | None = Field(default=None, primary_key=True)
    atena_no: str = Field(max_length=20, index=True)
    fiscal_year: int
    total_income: int | None = None  # 総所得金額等 (円)
    taxable: bool | None = None  # 課税 / 非課税
    household_no: str = Field(default="", max_length=20)
    row_hash: int = Field(default=0, sa_type=BigInteger)
    last_run_id: int | None = Field(default=None, foreign_key="import_run.id")
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AddressPoint(TenantScoped, table=True):
    """A point of the MLIT 位置参照情報: a 街区 (block level) or a 大字・町丁目 (town level)."""

    __tablename__ = "address_point"
    __table_args__ = (UniqueConstraint("municipality_id", "level", "match_key"),)

    id: int | None = Field(default=None, primary_key=True)
    level: str = Field(max_length=10)  # block | town
    match_key: str = Field(max_length=200)  # normalised town + 丁目 (+ 街区)
    prefecture: str = Field(default="", max_length=10)
    city: str = Field(default="", max_length=40)
    town: str = Field(default="", max_length=100)  # 大字・町丁目名
    block: str = Field(default="", max_length=20)  # 街区符号・地番
    town_code: str = Field(default="", max_length=20)
    lat: float
    lon: float
    last_run_id: int | None = Field(default=None, foreign_key="import_run.id")


class GaijiMapping(TenantScoped, table=True):
    """The municipality's 外字 map: a user-defined character (PUA) and the text that stands for it."""

    __tablename__ = "gaiji_mapping"
    __table_args__ = (UniqueConstraint("municipality_id", "code_point"),)

    id: int | None = Field(default=None, primary_key=True)
    code_point: str = Field(max_length=8)  # e.g. "E000"
    replacement: str = Field(max_length=20)  # standard character(s) or 代替文字
    note: str = Field(default="", max_length=200)


class ImportRun(TenantScoped, table=True):
    """One import of a ledger file: what, which layout, by whom, the outcome and its counts.

    Every row an import adds or changes points to its run (``last_run_id``) and every changed
    field is kept in ``RegisterChange``, so a diff import (異動) is explainable."""

    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # residents | dwellings | land | tax | addresses
    layout_name: str = Field(default="", max_length=100)
    file_name: str = Field(default="", max_length=200)
    file_sha256: str = Field(default="", max_length=64)
    file_size: int = 0
    on_error: str = Field(default="abort", max_length=10)  # abort | skip
    dry_run: bool = False
    status: str = Field(default="running", max_length=20)  # running | succeeded | refused | failed
    message: str = Field(default="")
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    host: str = Field(default="", max_length=100)  # where it runs (to tell an interrupted run)
    pid: int | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    started_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class ImportIssue(TenantScoped, table=True):
    """A problem found in one line of an imported file (the validation report)."""

    __tablename__ = "import_issue"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="import_run.id", index=True)
    line_no: int
    field: str = Field(default="", max_length=40)
    value: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=200)
    severity: str = Field(default="error", max_length=10)  # error | warning


class RegisterChange(TenantScoped, table=True):
    """A field of a peacetime ledger row changed by an import (異動): old and new value."""

    __tablename__ = "register_change"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="import_run.id", index=True)
    entity: str = Field(max_length=20)  # resident | registered_household | dwelling | land | tax_record
    key: str = Field(max_length=60, index=True)  # 宛名番号, 世帯番号, 家屋番号, ...
    field: str = Field(max_length=40)
    old_value: str = Field(default="")
    new_value: str = Field(default="")
