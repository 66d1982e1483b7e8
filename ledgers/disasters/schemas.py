"""API input/output for disasters (msgspec structs; never table models)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec

Kind = Literal["earthquake", "flood", "typhoon", "landslide", "fire", "other"]
Status = Literal["active", "closed", "archived"]


class DisasterIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    kind: Kind
    occurred_on: date
    number: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z][0-9A-Za-z\-]{0,19}$")] | None = None
    relief_act_applied_on: date | None = None  # 災害救助法 適用日
    support_act_applied_on: date | None = None  # 被災者生活再建支援法 適用日
    status: Status = "active"


class DamageRulesIn(msgspec.Struct, forbid_unknown_fields=True):
    """An administrator's choice of damage rule versions: "ratio-2020,flood-2018"; "" = by the date."""

    damage_rules_override: Annotated[str, msgspec.Meta(max_length=100)]
    version: int  # the disaster's version as last read (optimistic lock)


class EffectiveRules(msgspec.Struct):
    ratio: str | None  # 損害割合 rules, e.g. "ratio-2021"
    flood: str | None  # 浸水深 rules, e.g. "flood-2022-naisui"


class DisasterOut(msgspec.Struct):
    municipality_code: str
    number: str
    name: str
    kind: str
    occurred_on: date
    relief_act_applied: bool
    relief_act_applied_on: date | None
    support_act_applied: bool
    support_act_applied_on: date | None
    status: str
    households: int
    version: int
    # Administrator's choice of damage rule versions ("ratio-2021,flood-2018"); "" = by date.
    damage_rules_override: str
    # The rule version each survey kind is judged by now: the override, else chosen by the date.
    damage_rules: EffectiveRules
