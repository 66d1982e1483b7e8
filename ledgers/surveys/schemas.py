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
