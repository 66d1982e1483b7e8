"""API input/output for damage surveys (msgspec structs; never table models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

Kind = Literal["first", "second", "resurvey"]


class SurveyIn(msgspec.Struct, forbid_unknown_fields=True):
    house_no: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]  # 家屋番号
    surveyed_on: date
    kind: Kind = "first"
    surveyors: Annotated[str, msgspec.Meta(max_length=200)] = ""
    team: Annotated[str, msgspec.Meta(max_length=40)] = ""
    ratio: str = ""  # 損害割合: "49.99", "49.99%", "0.4999"
    floor_ratio: str = ""
    parts: dict[str, str] = {}  # part code -> degree 0..1
    flood_depth: str = ""  # metres above the floor, "床下", "なし"
    external_force: bool = False
    washed_away: bool = False
    manual_class: str = ""
    manual_reason: Annotated[str, msgspec.Meta(max_length=400)] = ""
    notes: str = ""


class SurveyOut(msgspec.Struct):
    id: int
    house_no: str
    kind: str
    surveyed_on: date
    surveyors: str
    team: str
    basis: str
    inputs: dict[str, Any]
    damage_class: str
    damage_label: str
    rule_version: str
    flood_class: str
    manual: bool
    manual_reason: str
    judgement: dict[str, Any]
    superseded_by: int | None
    photos: int
    created_at: datetime


# ---------------------------------------------------------------- survey plan (調査計画)


class PlanItemIn(msgspec.Struct, forbid_unknown_fields=True):
    """Add one dwelling (by 家屋番号) to the disaster's survey plan."""

    house_no: str  # 家屋番号 (checked by the service, with a message naming the field)
    team: str = ""  # 調査班, at most 40 characters


class PlanAssignIn(msgspec.Struct, forbid_unknown_fields=True):
    """Assign planned dwellings to a team; all or nothing."""

    house_nos: list[str]  # 家屋番号, 1 to 5,000 of them, each already in the plan
    team: str  # 調査班, at most 40 characters; "" unassigns


class PlanItemOut(msgspec.Struct):
    id: int
    house_no: str
    location: str
    structure: str
    town: str  # 町丁目
    team: str  # "" = not assigned
    source: str  # household | added
    surveyed: bool  # has a current survey
    survey_id: int | None
    survey_kind: str | None
    surveyed_on: date | None
    damage_class: str | None
    damage_label: str | None


class PlanAssignOut(msgspec.Struct):
    team: str
    assigned: int
    items: list[PlanItemOut]


class PlanBuildOut(msgspec.Struct):
    added: int  # dwellings added to the plan by this call
    planned: int  # dwellings in the plan now


class ProgressRow(msgspec.Struct):
    name: str  # team or 町丁目 ("" = not assigned / unknown)
    total: int  # planned dwellings
    surveyed: int
    pending: int


class SurveyProgressOut(msgspec.Struct):
    planned: int
    surveyed: int
    pending: int
    teams: list[ProgressRow]
    towns: list[ProgressRow]
