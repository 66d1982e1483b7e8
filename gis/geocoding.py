"""Geocoding: matching addresses to the points of the address registry (位置参照情報).

Addresses are matched by normalised parts (町名, 丁目, 街区, 号), so 桜町2-3-4, 桜町２丁目３番４号 and
桜町二丁目3-4 are the same place, at the finest level that matches: ``block`` (街区), ``town``
(大字・町丁目) or ``none``. Pure functions on plain data; ``ledgers.registry.locations`` applies them to
the residents and dwellings of a municipality.
"""

from __future__ import annotations

from core.addresses import AddressParts, normalize_address

Points = dict[str, dict[str, tuple[float, float]]]
"""level (``block`` / ``town``) → match key → (lat, lon)."""


def point_key(town: str, block: str, level: str) -> str:
    """The match key of a 位置参照情報 point: its 町丁目 (and 街区 at block level)."""
    text = town + (f"{block}番" if level == "block" and block else "")
    return normalize_address(text).match_key(level)


def lot_key(address: str, parts: AddressParts | None = None) -> str | None:
    """Town + 丁目 + 街区 + 号 of an address (without 方書), or None when it has no 街区/号."""
    parts = parts or normalize_address(address)
    if not parts.town or parts.block is None:
        return None
    return f"{parts.match_key('block')}|{parts.lot if parts.lot is not None else ''}"


def locate(points: Points, address: str) -> tuple[str, float | None, float | None]:
    """(level, lat, lon) of an address: the finest level that matches, else ("none", None, None)."""
    parts = normalize_address(address)
    for level in ("block", "town"):
        key = parts.match_key(level)
        if key and key in points.get(level, {}):
            lat, lon = points[level][key]
            return level, lat, lon
    return "none", None, None
