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


class BulkApplyIn(msgspec.Struct, forbid_unknown_fields=True):
    """一括申請: an application for every household of a surveyed dwelling that has none."""

    applied_on: date | None = None  # default: today (JST); not before the disaster


class BulkApplyOut(msgspec.Struct):
    applied: int  # applications created by this call


class BulkIssueIn(msgspec.Struct, forbid_unknown_fields=True):
    """一括交付: a 罹災証明書 for every applied household whose dwelling is surveyed and who holds
    none (or one from an older survey: re-issue)."""

    issued_on: date | None = None  # default: today (JST); not before the disaster
    limit: int | None = None  # at most this many (1..50,000), in り災番号 order


class BulkIssued(msgspec.Struct):
    number: int  # 交付番号
    victim_no: int
    house_no: str
    damage_class: str
    damage_label: str
    reissue: bool  # supersedes an older certificate of the household


class BulkIssueOut(msgspec.Struct):
    issued: int
    first_number: int | None
    last_number: int | None
    certificates: list[BulkIssued]
