"""Disaster registry (災害)."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from core.mixins import TenantScoped, Timestamps, Versioned


class DisasterKind(str, enum.Enum):
    earthquake = "earthquake"  # 地震
    flood = "flood"  # 水害
    typhoon = "typhoon"  # 台風
    landslide = "landslide"  # 土砂災害
    fire = "fire"  # 火災
    other = "other"  # その他


DISASTER_KIND_LABELS = {
    DisasterKind.earthquake: "地震",
    DisasterKind.flood: "水害",
    DisasterKind.typhoon: "台風",
    DisasterKind.landslide: "土砂災害",
    DisasterKind.fire: "火災",
    DisasterKind.other: "その他",
}


class DisasterStatus(str, enum.Enum):
    active = "active"  # 対応中
    closed = "closed"  # 終了
    archived = "archived"  # 保存


DISASTER_STATUS_LABELS = {
    DisasterStatus.active: "対応中",
    DisasterStatus.closed: "終了",
    DisasterStatus.archived: "保存",
}


class Disaster(TenantScoped, Timestamps, Versioned, table=True):
    """A disaster, keyed by its 災害番号 within a municipality."""

    __table_args__ = (UniqueConstraint("municipality_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20)  # 災害番号
    name: str = Field(max_length=100)
    kind: str = Field(max_length=20)  # DisasterKind value
    occurred_on: date
    relief_act_applied: bool = False  # 災害救助法 適用
    relief_act_applied_on: date | None = None
    support_act_applied: bool = False  # 被災者生活再建支援法 適用
    support_act_applied_on: date | None = None
    status: str = Field(default=DisasterStatus.active.value, max_length=20)
    # Last allocated り災番号; bumped inside the transaction that creates a household.
    last_victim_no: int = 0
    # Last allocated certificate number (交付番号); bumped inside the issuing transaction.
    last_certificate_no: int = 0
    # Administrator's choice of damage rule versions (e.g. "ratio-2021,flood-2018"); "" = by date.
    damage_rules_override: str = Field(default="", max_length=100)
