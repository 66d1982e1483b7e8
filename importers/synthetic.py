"""Synthetic ledger files in the preset layouts, from the fictional town of ``importers.synthetic_city``.

    city = generate_city(3000, seed=1, with_gaiji=True)
    write_residents("residents.csv", city, n_invalid=5)              # chukan-residents, CP932
    write_residents("residents.dat", city, fixed=True)               # chukan-residents-fixed
    write_dwellings("dwellings.csv", city); write_land("land.csv", city); write_tax("tax.csv", city)
    write_address_registry("gaiku.csv", "oaza.csv", city)            # 位置参照情報, matches the town

Every writer takes a destination (path or binary file object), a ``CityData`` or a number of
residents (then ``generate_city(n, seed, with_gaiji=...)`` is called), and returns a
``SyntheticFile`` saying how many records were written and which lines were made invalid on purpose.
Rows are encoded and written one by one (a 1,000,000-resident file streams out in well under a
minute; generating the city itself is the slower part).

Everything is invented: the prefecture 架空県 (code 99) and the city 見本市 do not exist.
"""

from __future__ import annotations

import csv
import io
import math
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from core.addresses import normalize_address
from core.text import to_halfwidth_kana
from core.wareki import ERAS, format_date
from importers.encoding import canonical_encoding
from importers.layout import Layout, load_preset
from importers.synthetic_city import CityData, generate_city

__all__ = [
    "SyntheticFile",
    "write_residents",
    "write_dwellings",
    "write_land",
    "write_tax",
    "write_address_registry",
    "INVALID_KINDS",
]

INVALID_KINDS = ("check_digit", "bad_date", "missing_name")
_BAD_DATE = "04131345"  # 平成13年13月45日: malformed under every style


@dataclass
class SyntheticFile:
    rows: int  # records written (header not counted)
    layout: str
    encoding: str
    invalid: dict[int, str] = field(default_factory=dict)  # line number -> one of INVALID_KINDS
    skipped_rows: int = 0  # records a reader is expected to skip (位置参照情報 更新前履歴フラグ = 3)


def _city(city: CityData | int, seed: int, with_gaiji: bool) -> CityData:
    if isinstance(city, CityData):
        return city
    return generate_city(int(city), seed, with_gaiji=with_gaiji)


def _layout(layout: str | Layout) -> Layout:
    return layout if isinstance(layout, Layout) else load_preset(layout)


# ---------------------------------------------------------------------------------------------- encoder


class _Sink:
    """Writes canonical records (field -> text) in a layout: csv with a header, or fixed width."""

    def __init__(
        self, dest: str | Path | BinaryIO, layout: Layout, encoding: str | None, extra: tuple[str, ...] = ()
    ) -> None:
        self.layout = layout
        enc = canonical_encoding(encoding or layout.encoding)
        self.encoding = "cp932" if enc == "auto" else enc
        if isinstance(dest, (str, Path)):
            self._binary: BinaryIO = open(dest, "wb")  # noqa: SIM115
            self._own = True
        else:
            self._binary, self._own = dest, False
        self.fields = list(layout.columns)
        self.extra = list(extra) if layout.format == "csv" else list(layout.extra)
        if layout.format == "csv":
            self._text = io.TextIOWrapper(self._binary, encoding=self.encoding, newline="", write_through=False)
            self._writer = csv.writer(self._text, lineterminator="\r\n")
            if layout.header:
                header = [layout.columns[f].name for f in self.fields] + self.extra
                self._writer.writerow(header)
        else:
            self._text = None
            self._slots = [(layout.columns[f].start, layout.columns[f].length) for f in self.fields]
            self._slots += [(layout.extra[e].start, layout.extra[e].length) for e in self.extra]
            self._length = layout.record_length
        self.rows = 0

    def write(self, record: dict[str, Any]) -> None:
        values = [record.get(f, "") for f in self.fields] + [record.get(e, "") for e in self.extra]
        self.rows += 1
        if self._text is not None:
            self._writer.writerow(values)
            return
        buffer = bytearray(b" " * self._length)
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        for (start, length), value in zip(self._slots, values):
            data = str(value if value is not None else "").encode(encoding)
            if len(data) > length:
                raise ValueError(f"{value!r} does not fit in {length} bytes ({self.layout.name})")
            buffer[start : start + len(data)] = data
        self._binary.write(bytes(buffer) + b"\r\n")

    def close(self) -> None:
        if self._text is not None:
            self._text.flush()
            if self._own:
                self._text.close()
            else:
                self._text.detach()
        elif self._own:
            self._binary.close()
        else:
            self._binary.flush()

    def line_no(self) -> int:
        """Line number of the record written last."""
        return self.rows + (1 if self.layout.format == "csv" and self.layout.header else 0)


def _write(
    dest: str | Path | BinaryIO,
    layout: Layout,
    encoding: str | None,
    records: Iterable[dict],
    extra: tuple[str, ...] = (),
    invalid_marks: dict[int, str] | None = None,
) -> SyntheticFile:
    sink = _Sink(dest, layout, encoding, extra)
    invalid: dict[int, str] = {}
    try:
        for record in records:
            sink.write(record)
            mark = record.get("_invalid")
            if mark:
                invalid[sink.line_no()] = mark
    finally:
        sink.close()
    return SyntheticFile(sink.rows, layout.name, sink.encoding, invalid)


# ---------------------------------------------------------------------------------------------- residents

_ERA_NAMES = {era.name: era for era in ERAS}
_UNKNOWN_RE = re.compile(r"(明治|大正|昭和|平成|令和)(元|\d+)年(?:(\d+)月)?")


def _unknown_code(raw: str) -> str:
    """A 不詳 birth text as a 2-digit era code with zeros (fixed-width files have no room for text)."""
    m = _UNKNOWN_RE.search(raw)
    if not m:
        return "00000000"
    era = _ERA_NAMES[m[1]]
    year = 1 if m[2] == "元" else int(m[2])
    return f"{era.code:02d}{year:02d}{int(m[3] or 0):02d}00"


def _resident_records(city: CityData, layout: Layout, invalid_at: dict[int, str], seed: int) -> Iterator[dict]:
    fixed = layout.format == "fixed"
    style_birth = layout.date_style_of("birth_date")
    style_moved = layout.date_style_of("moved_in_on")
    katagaki = {h["household_no"]: h["katagaki"] or "" for h in city.households}
    rng = random.Random(f"moved-{seed}")
    as_of = city.as_of
    sex_code = {"male": "1", "female": "2"}
    for i, r in enumerate(city.residents):
        birth: date | None = r["birth_date"]
        if birth is not None:
            birth_text = format_date(birth, style_birth)
        else:
            birth_text = _unknown_code(r["birth_date_raw"]) if fixed else r["birth_date_raw"]
        # 住民となった日: birth, or a move-in some years ago
        base = birth or date(1950, 1, 1)
        moved = max(base, as_of - timedelta(days=rng.randint(0, 365 * 40)))
        kana = to_halfwidth_kana(r["name_kana"]) if fixed else r["name_kana"]
        record = {
            "atena_no": r["atena_no"],
            "household_no": r["household_no"],
            "name": r["name"],
            "name_kana": kana,
            "birth_date": birth_text,
            "sex": sex_code[r["sex"]],
            "relationship": r["relationship"],
            "address": r["address"],
            "katagaki": katagaki.get(r["household_no"], ""),
            "address_code": r["address_code"],
            "postal_code": r["postal_code"],
            "phone": r["phone"] or "",
            "moved_in_on": format_date(moved, style_moved),
            "status": "1",
            "status_reason": "",
            "status_since": "",
            "住民種別": "1",
        }
        bad = invalid_at.get(i)
        if bad == "check_digit":
            atena = record["atena_no"]
            record["atena_no"] = atena[:-1] + str((int(atena[-1]) + 1) % 10)
        elif bad == "bad_date":
            record["birth_date"] = _BAD_DATE
        elif bad == "missing_name":
            record["name"] = ""
        if bad:
            record["_invalid"] = bad
        yield record


def _invalid_positions(n_rows: int, n_invalid: int, seed: int) -> dict[int, str]:
    n_invalid = min(max(n_invalid, 0), n_rows)
    picks = sorted(random.Random(f"invalid-{seed}").sample(range(n_rows), n_invalid))
    return {index: INVALID_KINDS[k % len(INVALID_KINDS)] for k, index in enumerate(picks)}


def write_residents(
    dest: str | Path | BinaryIO,
    city: CityData | int,
    *,
    seed: int = 1,
    with_gaiji: bool = False,
    fixed: bool = False,
    layout: str | Layout | None = None,
    encoding: str | None = None,
    n_invalid: int = 0,
) -> SyntheticFile:
    """住民記録 in ``chukan-residents`` (or ``chukan-residents-fixed`` with ``fixed=True``).

    ``n_invalid`` rows are spoilt in turn with a wrong check digit, a malformed birth date and an
    empty name; ``SyntheticFile.invalid`` lists their line numbers. 外字 (``with_gaiji``) are written
    as CP932 user-defined characters (F040…).
    """
    city = _city(city, seed, with_gaiji)
    lay = _layout(layout or ("chukan-residents-fixed" if fixed else "chukan-residents"))
    invalid_at = _invalid_positions(len(city.residents), n_invalid, seed)
    return _write(dest, lay, encoding, _resident_records(city, lay, invalid_at, seed), extra=("住民種別",))


# ---------------------------------------------------------------------------------------------- dwellings, land


def _co_owners(city: CityData, seed: int) -> dict[str, list[str]]:
    """house_no -> co-owner 宛名番号 (an adult of the owner's household, for some houses)."""
    rng = random.Random(f"co-owners-{seed}")
    by_atena = {r["atena_no"]: r for r in city.residents}
    members: dict[str, list[str]] = defaultdict(list)
    for r in city.residents:
        if r["relationship"] in ("妻", "夫"):
            members[r["household_no"]].append(r["atena_no"])
    out: dict[str, list[str]] = {}
    for d in city.dwellings:
        owner = by_atena.get(d["owner_atena_no"] or "")
        if owner is None or d["units"] != 1 or rng.random() > 0.15:
            continue
        spouse = [a for a in members.get(owner["household_no"], []) if a != owner["atena_no"]]
        if spouse:
            out[d["house_no"]] = spouse[:1]
    return out


def _dwelling_records(city: CityData, layout: Layout, seed: int) -> Iterator[dict]:
    rng = random.Random(f"dwellings-{seed}")
    style = layout.date_style_of("built_on")
    co_owners = _co_owners(city, seed)
    for d in city.dwellings:
        if rng.random() < 0.05:
            built = str(d["built_year"])  # only the year is known
        else:
            built = format_date(date(d["built_year"], rng.randint(1, 12), rng.randint(1, 28)), style)
        yield {
            "house_no": d["house_no"],
            "location": d["location"],
            "lot_no": d["house_no"].split("-")[0],
            "building_name": d["building_name"] or "",
            "owner_atena_no": d["owner_atena_no"] or "",
            "co_owner_atena_nos": ";".join(co_owners.get(d["house_no"], [])),
            "usage": "専用住宅" if d["units"] == 1 else "共同住宅",
            "structure": d["structure"],
            "floors": str(d["floors"]),
            "floor_area": f"{d['floor_area']:.2f}",
            "built_on": built,
            "lon": f"{d['lon']:.6f}",
            "lat": f"{d['lat']:.6f}",
        }


def write_dwellings(
    dest: str | Path | BinaryIO,
    city: CityData | int,
    *,
    seed: int = 1,
    with_gaiji: bool = False,
    layout: str | Layout = "chukan-dwellings",
    encoding: str | None = None,
) -> SyntheticFile:
    """家屋 in ``chukan-dwellings``: one row per dwelling of the town, owners and co-owners by 宛名番号."""
    city = _city(city, seed, with_gaiji)
    lay = _layout(layout)
    return _write(dest, lay, encoding, _dwelling_records(city, lay, seed))


def _land_records(city: CityData, seed: int) -> Iterator[dict]:
    rng = random.Random(f"land-{seed}")
    top = 0
    towns = sorted({d["town"] for d in city.dwellings})
    for d in city.dwellings:
        lot = int(d["house_no"].split("-")[0])
        top = max(top, lot)
        footprint = d["floor_area"] / max(1, d["floors"])
        yield {
            "lot_no": str(lot),
            "location": f"{city.city_name}{d['town']}{lot}番地",
            "owner_atena_no": d["owner_atena_no"] or "",
            "land_category": "宅地",
            "area": f"{footprint * rng.uniform(1.3, 2.6):.2f}",
        }
    # farmland and forest without houses
    atenas = [r["atena_no"] for r in city.residents]
    for k in range(len(city.dwellings) // 10):
        lot = top + 1 + k
        yield {
            "lot_no": str(lot),
            "location": f"{city.city_name}{rng.choice(towns)}{lot}番地" if towns else f"{city.city_name}{lot}番地",
            "owner_atena_no": rng.choice(atenas) if atenas else "",
            "land_category": rng.choice(("田", "畑", "山林", "雑種地")),
            "area": f"{rng.uniform(200, 3000):.2f}",
        }


def write_land(
    dest: str | Path | BinaryIO,
    city: CityData | int,
    *,
    seed: int = 1,
    with_gaiji: bool = False,
    layout: str | Layout = "chukan-land",
    encoding: str | None = None,
) -> SyntheticFile:
    """土地 in ``chukan-land``: the 宅地 under each dwelling plus some farmland and forest."""
    city = _city(city, seed, with_gaiji)
    return _write(dest, _layout(layout), encoding, _land_records(city, seed))


# ---------------------------------------------------------------------------------------------- tax


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _tax_records(city: CityData, seed: int) -> Iterator[dict]:
    rng = random.Random(f"tax-{seed}")
    fiscal_year = city.as_of.year if city.as_of.month >= 4 else city.as_of.year - 1
    for r in city.residents:
        birth = r["birth_date"]
        if birth is None or _age(birth, city.as_of) < 18:
            continue
        age = _age(birth, city.as_of)
        if age < 23:
            income = 0 if rng.random() < 0.6 else rng.randint(30, 250) * 10_000
        elif age < 65:
            income = 0 if rng.random() < 0.12 else int(math.exp(rng.gauss(15.0, 0.55)) // 1000 * 1000)
        else:
            income = 0 if rng.random() < 0.2 else rng.randint(40, 300) * 10_000
        yield {
            "atena_no": r["atena_no"],
            "household_no": r["household_no"],
            "fiscal_year": str(fiscal_year),
            "total_income": str(income),
            "taxable": "1" if income > 450_000 else "2",
        }


def write_tax(
    dest: str | Path | BinaryIO,
    city: CityData | int,
    *,
    seed: int = 1,
    with_gaiji: bool = False,
    layout: str | Layout = "chukan-tax",
    encoding: str | None = None,
) -> SyntheticFile:
    """個人住民税 in ``chukan-tax``: one row per resident aged 18 or more, for the current 課税年度."""
    city = _city(city, seed, with_gaiji)
    return _write(dest, _layout(layout), encoding, _tax_records(city, seed))


# ---------------------------------------------------------------------------------------------- 位置参照情報

GAIKU_COLUMNS = (
    "都道府県名",
    "市区町村名",
    "大字・町丁目名",
    "小字・通称名",
    "街区符号・地番",
    "座標系番号",
    "X座標",
    "Y座標",
    "緯度",
    "経度",
    "住居表示フラグ",
    "代表フラグ",
    "更新前履歴フラグ",
    "更新後履歴フラグ",
)
OAZA_COLUMNS = (
    "都道府県コード",
    "都道府県名",
    "市区町村コード",
    "市区町村名",
    "大字町丁目コード",
    "大字町丁目名",
    "緯度",
    "経度",
    "原典資料コード",
    "大字・字・丁目区分コード",
)
_ZONE9_LAT, _ZONE9_LON = 36.0, 139.0 + 50 / 60  # 平面直角座標系 第IX系 origin


def _plane_xy(lat: float, lon: float) -> tuple[float, float]:
    """Rough plane coordinates (m) in zone IX; only for realism of the synthetic file."""
    x = (lat - _ZONE9_LAT) * 110_946.0
    y = (lon - _ZONE9_LON) * 111_320.0 * math.cos(math.radians(lat))
    return round(x, 1), round(y, 1)


def _csv_out(dest: str | Path | BinaryIO, encoding: str):  # noqa: ANN202
    if isinstance(dest, (str, Path)):
        return io.TextIOWrapper(open(dest, "wb"), encoding=encoding, newline=""), True
    return io.TextIOWrapper(dest, encoding=encoding, newline=""), False


def _close(text: io.TextIOWrapper, own: bool) -> None:
    text.flush()
    if own:
        text.close()
    else:
        text.detach()


def write_address_registry(
    gaiku_dest: str | Path | BinaryIO | None,
    oaza_dest: str | Path | BinaryIO | None,
    city: CityData | int,
    *,
    seed: int = 1,
    encoding: str = "cp932",
    deleted_every: int = 40,
) -> dict[str, SyntheticFile]:
    """位置参照情報 for the synthetic town: 街区レベル (one point per 丁目 + 街区 that has dwellings,
    the mean of their coordinates) and 大字・町丁目レベル (one point per 町丁目).

    Every ``deleted_every``-th block also gets a stale row with 更新前履歴フラグ = 3 (as in the R3
    data) at a wrong place, which a reader must skip. Returns {"gaiku": ..., "oaza": ...}.
    """
    city = _city(city, seed, False)
    encoding = canonical_encoding(encoding)
    blocks: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    towns: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for d in city.dwellings:
        parts = normalize_address(d["location"])
        towns[d["town"]].append((d["lat"], d["lon"]))
        if parts.block is not None:
            blocks[(d["town"], parts.block)].append((d["lat"], d["lon"]))
    codes = {h["town"]: h["address_code"] for h in city.households}
    pref_code = city.municipality_code[:2]
    city_code = city.municipality_code[:5]
    out: dict[str, SyntheticFile] = {}

    def mean(points: list[tuple[float, float]]) -> tuple[float, float]:
        return (round(sum(p[0] for p in points) / len(points), 6), round(sum(p[1] for p in points) / len(points), 6))

    if gaiku_dest is not None:
        text, own = _csv_out(gaiku_dest, encoding)
        writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(GAIKU_COLUMNS)
        rows = skipped = 0
        for k, ((town, block), points) in enumerate(sorted(blocks.items())):
            lat, lon = mean(points)
            x, y = _plane_xy(lat, lon)
            writer.writerow(
                (city.prefecture, city.city_name, town, "", block, 9, x, y, f"{lat:.6f}", f"{lon:.6f}", 1, 1, 0, 0)
            )
            rows += 1
            if deleted_every and k % deleted_every == deleted_every - 1:
                stale_lat, stale_lon = lat + 0.01, lon - 0.01
                sx, sy = _plane_xy(stale_lat, stale_lon)
                writer.writerow(
                    (
                        city.prefecture,
                        city.city_name,
                        town,
                        "",
                        block,
                        9,
                        sx,
                        sy,
                        f"{stale_lat:.6f}",
                        f"{stale_lon:.6f}",
                        1,
                        0,
                        3,
                        0,
                    )
                )
                rows += 1
                skipped += 1
        _close(text, own)
        out["gaiku"] = SyntheticFile(rows, "isj-gaiku", encoding, skipped_rows=skipped)
    if oaza_dest is not None:
        text, own = _csv_out(oaza_dest, encoding)
        writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(OAZA_COLUMNS)
        rows = 0
        for town, points in sorted(towns.items()):
            lat, lon = mean(points)
            kind = "3" if town.endswith("丁目") else "1"
            writer.writerow(
                (
                    pref_code,
                    city.prefecture,
                    city_code,
                    city.city_name,
                    codes.get(town, ""),
                    town,
                    f"{lat:.6f}",
                    f"{lon:.6f}",
                    "1",
                    kind,
                )
            )
            rows += 1
        _close(text, own)
        out["oaza"] = SyntheticFile(rows, "isj-oaza", encoding)
    return out
