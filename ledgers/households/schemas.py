"""API input/output for the victim household ledger (msgspec structs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

Sex = Literal["male", "female", ""]
Condition = Literal["none", "injured", "deceased", "missing"]
HouseholdStatus = Literal["registered", "in_support", "closed"]
Text100 = Annotated[str, msgspec.Meta(max_length=100)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    name_kana: Text100 = ""
    birth_date: date | None = None
    sex: Sex = ""
    relationship: Annotated[str, msgspec.Meta(max_length=40)] = ""
    is_householder: bool = False
    address: Text200 = ""
    residence: Text200 = ""
    phone: Annotated[str, msgspec.Meta(max_length=30)] = ""
    is_vulnerable: bool = False
    vulnerability_reason: Text200 = ""
    condition: Condition = "none"


class MemberPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Changed fields only, with the version the client saw (optimistic lock)."""

    version: int
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | msgspec.UnsetType = msgspec.UNSET
    name_kana: Text100 | msgspec.UnsetType = msgspec.UNSET
    birth_date: date | None | msgspec.UnsetType = msgspec.UNSET
    sex: Sex | msgspec.UnsetType = msgspec.UNSET
    relationship: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    is_householder: bool | msgspec.UnsetType = msgspec.UNSET
    address: Text200 | msgspec.UnsetType = msgspec.UNSET
    residence: Text200 | msgspec.UnsetType = msgspec.UNSET
    phone: Annotated[str, msgspec.Meta(max_length=30)] | msgspec.UnsetType = msgspec.UNSET
    is_vulnerable: bool | msgspec.UnsetType = msgspec.UNSET
    vulnerability_reason: Text200 | msgspec.UnsetType = msgspec.UNSET
    condition: Condition | msgspec.UnsetType = msgspec.UNSET


class HouseholdCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Either ``household_no`` (register a 世帯 of the resident register) or a manual household."""

    household_no: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    address: Text200 = ""
    residence: Text200 = ""
    contact_phone: Annotated[str, msgspec.Meta(max_length=30)] = ""
    contact_address: Text200 = ""
    notes: str = ""
    members: list[MemberIn] = []


class HouseholdPatch(msgspec.Struct, forbid_unknown_fields=True):
    version: int
    status: HouseholdStatus | msgspec.UnsetType = msgspec.UNSET
    address: Text200 | msgspec.UnsetType = msgspec.UNSET
    residence: Text200 | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Annotated[str, msgspec.Meta(max_length=30)] | msgspec.UnsetType = msgspec.UNSET
    contact_address: Text200 | msgspec.UnsetType = msgspec.UNSET
    notes: str | msgspec.UnsetType = msgspec.UNSET


class MemberOut(msgspec.Struct):
    id: int
    atena_no: str
    name: str
    name_kana: str
    birth_date: date | None
    birth_date_raw: str
    sex: str
    relationship: str
    is_householder: bool
    address: str
    residence: str
    phone: str
    is_vulnerable: bool
    vulnerability_reason: str
    condition: str
    registered: bool
    basic: dict[str, Any]
    version: int


class ConsentOut(msgspec.Struct):
    """Consent to provide ledger information to a recipient (提供先)."""

    id: int
    recipient: str
    scope: str
    member_id: int | None
    consented_on: date
    withdrawn_on: date | None


class HouseholdOut(msgspec.Struct):
    municipality_code: str
    disaster_number: str
    victim_no: int
    source_household_no: str
    status: str
    head_name: str
    head_kana: str
    address: str
    residence: str
    contact_phone: str
    contact_address: str
    notes: str
    basic: dict[str, Any]
    snapshot_taken_at: datetime | None
    members: list[MemberOut]
    consents: list[ConsentOut]
    version: int
    created_at: datetime
    updated_at: datetime


class HouseholdSummary(msgspec.Struct):
    victim_no: int
    status: str
    head_name: str
    head_kana: str
    address: str
    version: int


def patch_changes(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually set (UNSET ones and ``version`` left out)."""
    return {
        name: getattr(patch, name)
        for name in patch.__struct_fields__
        if name != "version" and getattr(patch, name) is not msgspec.UNSET
    }
