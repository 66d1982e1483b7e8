"""API input/output for certificates (msgspec structs; never table models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec


class CertificateIssue(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["damage", "victim"] = "damage"
    victim_text: str = ""  # 被害の状況 (被災証明書 only)
    location: Annotated[str, msgspec.Meta(max_length=200)] = ""
    notes: Annotated[str, msgspec.Meta(max_length=400)] = ""
    issued_on: date | None = None


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=400)]


class CertificateOut(msgspec.Struct):
    number: int
    kind: str
    status: str
    victim_no: int
    issued_on: date
    issued_at: datetime
    head_name: str
    head_address: str
    dwelling_location: str
    house_no: str
    damage_class: str
    damage_label: str
    rule_version: str
    flood_class: str
    victim_text: str
    supersedes: int | None
    superseded_by: int | None
    cancelled_on: date | None
    cancel_reason: str
    reprint_count: int
    last_reprinted_on: date | None


class HouseholdCertificates(msgspec.Struct):
    victim_no: int
    status: str  # not_applied | applied | surveyed | issued | resurvey_requested | reissued
    status_label: str
    damage_class: str | None
    damage_label: str | None
    decisive_house_no: str | None
    dwellings: list[str]
    pending_dwellings: list[str]
    certificates: list[CertificateOut]
