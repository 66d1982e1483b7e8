"""API output for the resident register."""

from __future__ import annotations

from datetime import date

import msgspec


class ResidentOut(msgspec.Struct):
    atena_no: str
    household_no: str
    name: str
    name_kana: str
    birth_date: date | None
    birth_date_raw: str
    birth_date_unknown: bool
    sex: str
    relationship: str
    is_householder: bool
    address: str
    postal_code: str
    status: str
