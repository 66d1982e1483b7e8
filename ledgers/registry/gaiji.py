"""The municipality's 外字 map: user-defined characters (PUA, U+E000–U+F8FF) → standard text."""

from __future__ import annotations

import csv
import io

from sqlalchemy import delete
from sqlmodel import Session

from ledgers.registry.models import GaijiMapping


class GaijiMapError(ValueError):
    """A line of a 外字 map file that cannot be used; the message names the line."""


def _code_point(text: str, line: int) -> str:
    value = text.strip().upper().removeprefix("U+")
    if len(value) == 1 and 0xE000 <= ord(value) <= 0xF8FF:
        return f"{ord(value):04X}"
    try:
        number = int(value, 16)
    except ValueError:
        raise GaijiMapError(f"{line} 行目: 外字のコード {text!r} は16進数（例 E000）ではありません") from None
    if not 0xE000 <= number <= 0xF8FF:
        raise GaijiMapError(f"{line} 行目: {text!r} は外字の領域（E000–F8FF）にありません")
    return f"{number:04X}"


def parse_gaiji_csv(data: bytes) -> list[tuple[str, str, str]]:
    """Rows (code point, replacement, note) of a UTF-8 CSV; a header line is allowed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GaijiMapError("外字表は UTF-8 の CSV で用意してください") from None
    entries: dict[str, tuple[str, str, str]] = {}
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if line == 1 and row[0].strip().upper().removeprefix("U+")[:1] not in set("0123456789ABCDEF\ue000"):
            continue  # header
        if len(row) < 2 or not row[1].strip():
            raise GaijiMapError(f"{line} 行目: 置き換える文字がありません")
        code = _code_point(row[0], line)
        entries[code] = (code, row[1].strip(), row[2].strip() if len(row) > 2 else "")
    return list(entries.values())


def replace_gaiji_map(session: Session, municipality_id: int, entries: list[tuple[str, str, str]]) -> None:
    session.execute(delete(GaijiMapping).where(GaijiMapping.municipality_id == municipality_id))
    for code, replacement, note in entries:
        session.add(GaijiMapping(municipality_id=municipality_id, code_point=code, replacement=replacement, note=note))
    session.flush()
