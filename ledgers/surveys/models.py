"""Damage surveys (住家被害認定調査) per dwelling and disaster, survey photos and the survey plan.

Surveys are an append-only chain per (disaster, dwelling): a later survey (2次, 再調査, or a
correction) supersedes the current one through ``superseded_by_id``; nothing is deleted.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from core.clock import utcnow
from core.mixins import TenantScoped


class SurveyKind(str, enum.Enum):
    first = "first"  # 第1次調査 (外観)
    second = "second"  # 第2次調査 (内部立入, on request)
    resurvey = "resurvey"  # 再調査 (on dispute)


SURVEY_KIND_LABELS = {
    SurveyKind.first: "1次調査",
    SurveyKind.second: "2次調査",
    SurveyKind.resurvey: "再調査",
}


class Survey(TenantScoped, table=True):
    """One survey event of a dwelling in a disaster, with its inputs and the resulting class."""

    __tablename__ = "damage_survey"

    id: int | None = Field(default=None, primary_key=True)
    disaster_id: int = Field(foreign_key="disaster.id", index=True)
    dwelling_id: int = Field(foreign_key="dwelling.id", index=True)
    kind: str = Field(max_length=20)  # SurveyKind value
    surveyed_on: date
    surveyors: str = Field(default="", max_length=200)  # 調査員 (names)
    team: str = Field(default="", max_length=40)  # 調査班
    basis: str = Field(max_length=20)  # ratio | floor_ratio | parts | flood | manual
    inputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    damage_class: str = Field(max_length=30)
    damage_label: str = Field(max_length=60)
    rule_version: str = Field(max_length=40)
    judgement: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    flood_class: str = Field(default="", max_length=20)  # above_floor | below_floor | ""
    manual: bool = False
    manual_reason: str = Field(default="", max_length=400)
    notes: str = Field(default="")
    superseded_by_id: int | None = Field(default=None, foreign_key="damage_survey.id")
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class SurveyPhoto(TenantScoped, table=True):
    """A photo of a survey, stored as a file under var/photos/<municipality>/<disaster>/."""

    __tablename__ = "survey_photo"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="damage_survey.id", index=True)
    file_name: str = Field(max_length=200)  # as uploaded
    stored_path: str = Field(max_length=300)  # relative to the photo directory
    content_type: str = Field(default="", max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class SurveyPlanItem(TenantScoped, table=True):
    """A dwelling to survey in a disaster and the team it is assigned to."""

    __tablename__ = "survey_plan_item"
    __table_args__ = (UniqueConstraint("disaster_id", "dwelling_id"),)

    id: int | None = Field(default=None, primary_key=True)
    disaster_id: int = Field(foreign_key="disaster.id", index=True)
    dwelling_id: int = Field(foreign_key="dwelling.id", index=True)
    town: str = Field(default="", max_length=100)  # 町丁目, for progress counts
    team: str = Field(default="", max_length=40)  # 調査班 ("" = not assigned)
    source: str = Field(default="household", max_length=20)  # household | added
    created_at: datetime = Field(default_factory=utcnow)
