"""Victim household ledger (被災者台帳, 災対法 90条の3).

Each household keeps two layers: the basic information (基本情報) frozen from the resident
register when the household was registered (``basic_snapshot``), and the current values updated
during the response (更新情報), which are the ordinary columns. Edits never touch the snapshot.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field

from core.clock import utcnow
from core.mixins import TenantScoped, Timestamps, Versioned


class HouseholdStatus(str, enum.Enum):
    registered = "registered"  # 登録済
    in_support = "in_support"  # 支援中
    closed = "closed"  # 支援完了


HOUSEHOLD_STATUS_LABELS = {
    HouseholdStatus.registered: "登録済",
    HouseholdStatus.in_support: "支援中",
    HouseholdStatus.closed: "支援完了",
}


class MemberCondition(str, enum.Enum):
    none = "none"  # 被害なし
    injured = "injured"  # 負傷
    deceased = "deceased"  # 死亡
    missing = "missing"  # 行方不明


MEMBER_CONDITION_LABELS = {
    MemberCondition.none: "なし",
    MemberCondition.injured: "負傷",
    MemberCondition.deceased: "死亡",
    MemberCondition.missing: "行方不明",
}


def trigram_index(table: str, column: str) -> Index:
    """A pg_trgm index for the counter's "contains" search (``LIKE '%…%'``) on PostgreSQL; other
    databases scan (a town's victim ledger is small enough for SQLite's single-user installs)."""
    return Index(
        f"ix_{table}_{column}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


class VictimHousehold(TenantScoped, Timestamps, Versioned, table=True):
    """被災世帯, keyed by its り災番号 within a disaster."""

    __tablename__ = "victim_household"
    __table_args__ = (UniqueConstraint("disaster_id", "victim_no"), trigram_index("victim_household", "address_key"))

    id: int | None = Field(default=None, primary_key=True)
    disaster_id: int = Field(foreign_key="disaster.id", index=True)
    victim_no: int  # り災番号, gapless per disaster
    source_household_no: str = Field(default="", max_length=20)  # 世帯番号 it was taken from
    status: str = Field(default=HouseholdStatus.registered.value, max_length=20)
    head_name: str = Field(default="", max_length=100)
    head_kana: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=200)  # 住所
    address_key: str = Field(default="", max_length=200, index=True)
    residence: str = Field(default="", max_length=200)  # 居所 (where they actually live now)
    contact_phone: str = Field(default="", max_length=30)  # 連絡先
    contact_address: str = Field(default="", max_length=200)  # 送付先
    notes: str = Field(default="")
    basic_snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    snapshot_taken_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class VictimMember(TenantScoped, Timestamps, Versioned, table=True):
    """A person of a victim household; linked to the register when registered there."""

    __tablename__ = "victim_member"
    __table_args__ = (trigram_index("victim_member", "kana_key"), trigram_index("victim_member", "name_key"))

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="victim_household.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id")
    atena_no: str = Field(default="", max_length=20, index=True)
    name: str = Field(max_length=100)  # 氏名
    name_kana: str = Field(default="", max_length=100)
    name_key: str = Field(default="", max_length=100, index=True)
    kana_key: str = Field(default="", max_length=100, index=True)
    birth_date: date | None = None  # 生年月日
    birth_date_raw: str = Field(default="", max_length=40)
    sex: str = Field(default="", max_length=10)  # 性別
    relationship: str = Field(default="", max_length=40)  # 続柄
    is_householder: bool = False
    address: str = Field(default="", max_length=200)  # 住所
    residence: str = Field(default="", max_length=200)  # 居所
    phone: str = Field(default="", max_length=30)
    is_vulnerable: bool = False  # 要配慮者
    vulnerability_reason: str = Field(default="", max_length=200)  # 要配慮者に該当する事由
    condition: str = Field(default=MemberCondition.none.value, max_length=20)
    sort_order: int = 0
    basic_snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ProvisionConsent(TenantScoped, table=True):
    """Consent to provide ledger information to a recipient (提供先, 施行規則 8条の5 四)."""

    __tablename__ = "provision_consent"

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="victim_household.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="victim_member.id")
    recipient: str = Field(max_length=200)  # 提供先
    scope: str = Field(default="", max_length=200)  # 提供する情報の範囲
    consented_on: date
    withdrawn_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
