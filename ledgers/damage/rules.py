"""Damage classes (住家被害認定) as versioned rule data: load the rule sets, choose one, judge.

The rules live in ``ledgers/damage/rulesets/*.toml``, one file per version (format and sources:
``docs/damage-rules.md``). Everything here is a pure function over that data; nothing touches a
database. Every :class:`Judgement` carries the id of the rule set that produced it.

Units, everywhere in this module:

- ratios (損害割合 and 床面積の損壊割合) are **percentages** as :class:`~decimal.Decimal`
  (``Decimal("49.99")`` = 49.99%). :func:`parse_ratio` turns user text (``"49.99%"``,
  ``"49.99"``, ``"0.4999"``) into one;
- part damage degrees (部位の損傷程度) are **fractions** 0..1;
- flood depths are **metres of water above the floor** (床上浸水深); 0 or less means the water
  stayed below the floor (床下浸水); ``None`` means no water at all.

Floats are accepted but go through their shortest text form (``repr``), never binary arithmetic.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from core.errors import DomainError, NotFound

__all__ = [
    "KINDS",
    "SURVEYS",
    "FLOOD_CONDITIONS",
    "DamageClass",
    "Band",
    "Part",
    "PartWeights",
    "FloodTable",
    "Ruleset",
    "Judgement",
    "load_rulesets",
    "get_ruleset",
    "rules_for",
    "parse_ratio",
    "parse_depth",
    "classify_ratio",
    "classify_floor_ratio",
    "classify_flood",
    "ratio_from_parts",
    "classify_parts",
    "manual_judgement",
    "most_severe",
]

KINDS = {"ratio": "損害割合", "flood": "浸水深"}
SURVEYS = {"first": "第1次調査（外観）", "second": "第2次調査（内部立入）"}
FLOOD_CONDITIONS = {"external_force": "外力あり", "no_external_force": "外力なし"}
BASES = {
    "ratio": "損害割合",
    "floor_ratio": "床面積の損壊割合",
    "parts": "部位別の損害割合",
    "flood": "浸水深",
    "manual": "手動判定",
}

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9\-]*$")
_HUNDRED = Decimal(100)


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class DamageClass:
    code: str  # English identifier, e.g. large_scale_half
    label: str  # Japanese label from the data file, e.g. 大規模半壊


@dataclass(frozen=True)
class Band:
    """One class of a threshold table: applies from ``minimum`` (inclusive) up to the band above."""

    damage_class: str
    minimum: Decimal  # percent for ratio tables, metres above the floor for flood tables
    verified: bool  # the band was checked against its source document ([V] in docs/damage-rules.md)


@dataclass(frozen=True)
class Part:
    code: str
    label: str
    weight: Decimal  # percent of the whole house (部位別構成比)


@dataclass(frozen=True)
class PartWeights:
    structure: str  # wooden (木造・プレハブ) | non_wooden (非木造) | ...
    structure_label: str
    survey: str  # first | second
    parts: tuple[Part, ...]
    source: str
    verified: bool

    def part(self, code: str) -> Part | None:
        return next((p for p in self.parts if p.code == code), None)


@dataclass(frozen=True)
class FloodTable:
    condition: str  # external_force | no_external_force
    bands: tuple[Band, ...]  # above the floor, most severe first; the last starts at 0 (any depth > 0)
    below_floor: str | None  # class for 床下浸水 (depth <= 0); None: not covered
    washed_away: str | None  # class for 流失; None: not covered
    no_water: str | None  # class when no water reached the house
    scope: str
    source: str
    verified: bool


@dataclass(frozen=True)
class Ruleset:
    id: str
    kind: str  # ratio | flood
    title: str
    valid_from: date
    valid_until: date | None  # inclusive; None = still in force
    source: str
    verified: bool  # every band, table and weight in the file was checked against its source
    unverified: tuple[str, ...]  # what is not (empty when verified)
    notes: str
    classes: tuple[DamageClass, ...]  # most severe first
    ratio_bands: tuple[Band, ...] = ()
    floor_bands: tuple[Band, ...] = ()
    weights: tuple[PartWeights, ...] = ()
    flood: tuple[FloodTable, ...] = ()

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)

    def damage_class(self, code: str) -> DamageClass | None:
        return next((c for c in self.classes if c.code == code), None)

    def label(self, code: str) -> str:
        found = self.damage_class(code)
        if found is None:
            raise DomainError(
                f"被害区分 {code} は規則 {self.id} にありません（{self.class_codes()}）", field="damage_class"
            )
        return found.label

    def class_codes(self) -> str:
        return ", ".join(c.code for c in self.classes)

    def severity(self, code: str) -> int:
        """0 for the most severe class of this rule set."""
        return next(i for i, c in enumerate(self.classes) if c.code == code)

    def flood_table(self, condition: str) -> FloodTable | None:
        return next((t for t in self.flood if t.condition == condition), None)

    def part_weights(self, structure: str, survey: str) -> PartWeights | None:
        return next((w for w in self.weights if w.structure == structure and w.survey == survey), None)

    def item_flags(self) -> list[bool]:
        """The verification flag of every band, weight table and flood table in the file."""
        flags = [b.verified for b in self.ratio_bands + self.floor_bands]
        return flags + [w.verified for w in self.weights] + [t.verified for t in self.flood]

    @property
    def status(self) -> str:
        """``verified`` / ``partly`` (some bands or tables verified) / ``unverified``."""
        if self.verified:
            return "verified"
        return "partly" if any(self.item_flags()) else "unverified"

    @property
    def validity(self) -> str:
        return f"{self.valid_from.isoformat()}〜{self.valid_until.isoformat() if self.valid_until else ''}"


@dataclass(frozen=True)
class Judgement:
    """A damage class with the rule version that produced it (stored with every 判定)."""

    damage_class: str
    label: str
    rule_version: str
    basis: str  # ratio | floor_ratio | parts | flood | manual
    manual: bool = False
    reason: str = ""  # required for a manual class
    value: Decimal | None = None  # the percent or the depth (m) that was judged
    note: str = ""  # the input in words, e.g. 損害割合 49.99% / 床上浸水 1.2 m（外力あり）
    condition: str = ""  # flood only: external_force | no_external_force
    verified: bool | None = None  # the band used was checked against its source; None for manual

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (Decimals as strings) for storage next to a survey."""
        return {
            "damage_class": self.damage_class,
            "label": self.label,
            "rule_version": self.rule_version,
            "basis": self.basis,
            "manual": self.manual,
            "reason": self.reason,
            "value": None if self.value is None else _plain(self.value),
            "note": self.note,
            "condition": self.condition,
            "verified": self.verified,
        }


# ---------------------------------------------------------------- loading


def _bad(path: str, message: str) -> DomainError:
    return DomainError(f"規則ファイル {path}: {message}")


def _text(data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(path, f"{key} は空でない文字列で書いてください")
    return value.strip()


def _flag(data: Mapping[str, Any], key: str, path: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise _bad(path, f"{key} は true / false で書いてください")
    return value


def _threshold(value: Any, what: str, path: str) -> Decimal:
    # Decimal strings only: a TOML float (0.1) would already be binary.
    if not isinstance(value, str):
        raise _bad(path, f'{what} は文字列の10進数で書いてください（例: "49.99"）: {value!r}')
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise _bad(path, f"{what} {value!r} は数値ではありません") from None
    if not number.is_finite():
        raise _bad(path, f"{what} {value!r} は数値ではありません")
    return number


def _date(data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> date | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _bad(path, f"{key} は日付（例: 2021-03-01、引用符なし）で書いてください")
    return value


def _bands(rows: list[tuple[str, Decimal, bool]], what: str, path: str, *, top: Decimal | None) -> tuple[Band, ...]:
    """Bands most severe first: minimums strictly decreasing and the last one 0."""
    if not rows:
        raise _bad(path, f"{what} がありません")
    previous: Decimal | None = None
    for code, minimum, _ in rows:
        if minimum < 0 or (top is not None and minimum > top):
            raise _bad(path, f"{what} の {code} の下限 {minimum} が範囲外です")
        if previous is not None and minimum >= previous:
            raise _bad(path, f"{what} の下限は重い区分から順に小さくしてください（{code} の {minimum}）")
        previous = minimum
    if rows[-1][1] != 0:
        raise _bad(path, f'{what} の最後の区分 {rows[-1][0]} の下限は "0" にしてください')
    return tuple(Band(code, minimum, verified) for code, minimum, verified in rows)


def _parse(path: str, data: dict[str, Any], stem: str) -> Ruleset:
    ruleset_id = _text(data, "id", path)
    if not _ID.match(ruleset_id) or ruleset_id != stem:
        raise _bad(path, f"id {ruleset_id!r} はファイル名（{stem}）と同じ英小文字・数字・ハイフンにしてください")
    kind = _text(data, "kind", path)
    if kind not in KINDS:
        raise _bad(path, f"kind {kind!r} は {', '.join(KINDS)} のいずれかにしてください")
    valid_from = _date(data, "valid_from", path)
    valid_until = _date(data, "valid_until", path, required=False)
    if valid_until is not None and valid_until < valid_from:
        raise _bad(path, "valid_until が valid_from より前です")
    verified = _flag(data, "verified", path)
    unverified = data.get("unverified", [])
    if not isinstance(unverified, list) or not all(isinstance(u, str) and u.strip() for u in unverified):
        raise _bad(path, "unverified は文字列のリストで書いてください")
    if verified == bool(unverified):
        raise _bad(path, "verified = false のときだけ unverified に未検証の項目を書いてください")

    classes: list[DamageClass] = []
    for row in data.get("classes", []):
        code = _text(row, "code", path)
        if not _CODE.match(code) or any(c.code == code for c in classes):
            raise _bad(path, f"被害区分コード {code!r} が不正か重複しています")
        classes.append(DamageClass(code, _text(row, "label", path)))
    if not classes:
        raise _bad(path, "classes がありません")
    codes = {c.code for c in classes}

    def known(code: Any, what: str) -> str:
        if code not in codes:
            raise _bad(path, f"{what} の区分 {code!r} が classes にありません")
        return code

    ratio_bands: tuple[Band, ...] = ()
    floor_bands: tuple[Band, ...] = ()
    weights: list[PartWeights] = []
    flood: list[FloodTable] = []
    rows = data["classes"]
    if kind == "ratio":
        ratio_bands = _bands(
            [
                (r["code"], _threshold(r.get("ratio_min"), "ratio_min", path), _flag(r, "ratio_verified", path))
                for r in rows
            ],
            "損害割合の区分",
            path,
            top=_HUNDRED,
        )
        if any("floor_min" in r for r in rows):
            floor_bands = _bands(
                [
                    (r["code"], _threshold(r.get("floor_min"), "floor_min", path), _flag(r, "floor_verified", path))
                    for r in rows
                ],
                "床面積の区分",
                path,
                top=_HUNDRED,
            )
        for table in data.get("weights", []):
            structure, survey = _text(table, "structure", path), _text(table, "survey", path)
            if survey not in SURVEYS or not _CODE.match(structure):
                raise _bad(path, f"部位別構成比 {structure}/{survey} の structure・survey が不正です")
            if any(w.structure == structure and w.survey == survey for w in weights):
                raise _bad(path, f"部位別構成比 {structure}/{survey} が重複しています")
            parts: list[Part] = []
            for part in table.get("parts", []):
                code = _text(part, "code", path)
                weight = _threshold(part.get("weight"), f"部位 {code} の weight", path)
                if not _CODE.match(code) or any(p.code == code for p in parts) or not 0 < weight <= _HUNDRED:
                    raise _bad(path, f"部位 {code!r} のコードか構成比 {weight} が不正です")
                parts.append(Part(code, _text(part, "label", path), weight))
            total = sum((p.weight for p in parts), Decimal(0))
            if total != _HUNDRED:
                raise _bad(path, f"部位別構成比 {structure}/{survey} の合計が {total}% です（100% にしてください）")
            weights.append(
                PartWeights(
                    structure,
                    _text(table, "structure_label", path),
                    survey,
                    tuple(parts),
                    _text(table, "source", path),
                    _flag(table, "verified", path),
                )
            )
    else:
        if any(key in r for r in rows for key in ("ratio_min", "floor_min")) or "weights" in data:
            raise _bad(path, "浸水深の規則に損害割合の区分・部位別構成比は書けません")
        tables = data.get("flood", {})
        if not tables or set(tables) - set(FLOOD_CONDITIONS):
            raise _bad(path, f"flood の表は {', '.join(FLOOD_CONDITIONS)} で書いてください")
        for condition, table in tables.items():
            what = f"浸水深の表 {condition}"
            table_verified = _flag(table, "verified", path)
            bands = _bands(
                [
                    (known(b.get("class"), what), _threshold(b.get("min_m"), "min_m", path), table_verified)
                    for b in table.get("bands", [])
                ],
                what,
                path,
                top=None,
            )
            special = {
                key: (known(table[key], what) if key in table else None)
                for key in ("below_floor", "washed_away", "no_water")
            }
            flood.append(
                FloodTable(
                    condition,
                    bands,
                    special["below_floor"],
                    special["washed_away"],
                    special["no_water"],
                    _text(table, "scope", path),
                    _text(table, "source", path),
                    table_verified,
                )
            )
    ruleset = Ruleset(
        id=ruleset_id,
        kind=kind,
        title=_text(data, "title", path),
        valid_from=valid_from,
        valid_until=valid_until,
        source=_text(data, "source", path),
        verified=verified,
        unverified=tuple(u.strip() for u in unverified),
        notes=_text(data, "notes", path, required=False),
        classes=tuple(classes),
        ratio_bands=ratio_bands,
        floor_bands=floor_bands,
        weights=tuple(weights),
        flood=tuple(flood),
    )
    if verified and not all(ruleset.item_flags()):
        raise _bad(path, "verified = true ですが未検証（*_verified = false）の区分・表があります")
    return ruleset


def _load(files: Iterable[Any]) -> tuple[Ruleset, ...]:
    rulesets: list[Ruleset] = []
    for file in files:
        name = getattr(file, "name", str(file))
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise _bad(name, f"TOML として読めません: {exc}") from None
        try:
            ruleset = _parse(name, data, name.removesuffix(".toml"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise _bad(name, f"書式が不正です（{type(exc).__name__}: {exc}）") from None
        if any(r.id == ruleset.id for r in rulesets):
            raise _bad(name, f"id {ruleset.id} が重複しています")
        rulesets.append(ruleset)
    rulesets.sort(key=lambda r: (list(KINDS).index(r.kind), r.valid_from, r.id))
    for kind in KINDS:
        same = [r for r in rulesets if r.kind == kind]
        for earlier, later in zip(same, same[1:]):
            if earlier.valid_until is None or earlier.valid_until >= later.valid_from:
                raise _bad(
                    later.id, f"適用期間が {earlier.id} と重なっています（{earlier.validity} / {later.validity}）"
                )
    return tuple(rulesets)


@lru_cache(maxsize=1)
def _packaged() -> tuple[Ruleset, ...]:
    folder = resources.files("ledgers.damage") / "rulesets"
    return _load(sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name))


def load_rulesets(directory: str | Path | None = None) -> tuple[Ruleset, ...]:
    """All rule sets, ordered by kind (ratio, flood) and valid_from; the packaged ones by default.

    Every file is checked (ids, dates, thresholds in order, weights summing to 100%, validity periods
    of one kind not overlapping); a bad file raises DomainError naming the file.
    """
    if directory is None:
        return _packaged()
    return _load(sorted(Path(directory).glob("*.toml")))


def get_ruleset(ruleset_id: str, rulesets: Iterable[Ruleset] | None = None) -> Ruleset:
    wanted = (ruleset_id or "").strip()
    for ruleset in load_rulesets() if rulesets is None else rulesets:
        if ruleset.id == wanted:
            return ruleset
    raise NotFound(f"規則バージョン {ruleset_id!r} はありません（victim-support rules list で一覧）", field="rules")


def rules_for(
    on: date, override: str | None = None, kind: str = "ratio", *, rulesets: Iterable[Ruleset] | None = None
) -> Ruleset:
    """The rule set of ``kind`` for a disaster that occurred ``on``.

    ``override`` is the per-disaster choice of an administrator: one rule-set id, or several
    separated by commas (at most one per kind, e.g. ``"ratio-2021,flood-2018"``). An override of
    ``kind`` wins over the date; a kind the override does not name is still chosen by date.
    """
    if kind not in KINDS:
        raise DomainError(f"規則の種類 {kind!r} は {', '.join(KINDS)} のいずれかです", field="kind")
    available = load_rulesets() if rulesets is None else tuple(rulesets)
    if override and override.strip():
        chosen: dict[str, Ruleset] = {}
        for part in override.split(","):
            if not part.strip():
                continue
            ruleset = get_ruleset(part, available)
            if ruleset.kind in chosen:
                raise DomainError(f"規則の指定 {override!r} に{KINDS[ruleset.kind]}の規則が2つあります", field="rules")
            chosen[ruleset.kind] = ruleset
        if kind in chosen:
            return chosen[kind]
    if isinstance(on, datetime):
        on = on.date()
    if not isinstance(on, date):
        raise DomainError(f"災害発生日 {on!r} が日付ではありません", field="on")
    for ruleset in available:
        if ruleset.kind == kind and ruleset.in_force(on):
            return ruleset
    raise DomainError(
        f"{on.isoformat()} に適用される{KINDS[kind]}の規則がありません（規則を指定してください）", field="on"
    )


# ---------------------------------------------------------------- numbers


def _plain(number: Decimal) -> str:
    """49.9900 -> '49.99', 5E+1 -> '50'."""
    return format(number.normalize(), "f")


def _tidy(number: Decimal) -> Decimal:
    """Drop trailing zeros without going to exponent form: 49.9900 -> 49.99, 50.00 -> 50."""
    normal = number.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise DomainError(f"{what} {value!r} は数値ではありません")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise DomainError(f"{what} 「{value}」は数値ではありません") from None
    else:
        raise DomainError(f"{what} {value!r} は数値ではありません")
    if not number.is_finite():
        raise DomainError(f"{what} 「{value}」は数値ではありません")
    return number


def _percent(value: Any, what: str) -> Decimal:
    """A percentage 0..100; a string may end in %."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        number = _decimal(text.removesuffix("%"), what) if text.endswith("%") else _decimal(text, what)
    else:
        number = _decimal(value, what)
    if not 0 <= number <= _HUNDRED:
        raise DomainError(f"{what} {_plain(number)}% は 0〜100% の範囲にありません")
    return number


def parse_ratio(text: str, what: str = "損害割合") -> Decimal:
    """User text to a percentage: ``"49.99%"`` and ``"49.99"`` are 49.99%, ``"0.4999"`` is 49.99%.

    Rule: with a ``%`` sign the number is a percentage; without one, a number greater than 1 is a
    percentage and a number from 0 to 1 is a fraction (so ``"1"`` is 100% and ``"0.5"`` is 50%;
    write ``"0.5%"`` for half a percent). Full-width digits and ％ are accepted.
    """
    if not isinstance(text, str):
        raise DomainError(f"{what} {text!r} は文字列で指定してください")
    normal = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not normal:
        raise DomainError(f"{what}が空です")
    if normal.endswith("%"):
        number = _decimal(normal[:-1], what)
    else:
        number = _decimal(normal, what)
        if 0 <= number <= 1:
            number = _tidy(number * _HUNDRED)
    if not 0 <= number <= _HUNDRED:
        raise DomainError(f"{what} 「{text}」は 0〜100% の範囲にありません")
    return number


def parse_depth(text: str) -> Decimal | None:
    """User text to a flood depth above the floor (m): ``"1.2"``, ``"1.2m"``; ``"床下"`` / ``"below-floor"``
    gives 0 (床下浸水); ``"none"`` / ``"なし"`` gives None (no water)."""
    normal = unicodedata.normalize("NFKC", text or "").strip().lower().replace(" ", "")
    if normal in {"none", "なし", "浸水なし"}:
        return None
    if normal in {"below-floor", "below_floor", "床下", "床下浸水"}:
        return Decimal(0)
    if not normal:
        raise DomainError("浸水深が空です")
    return _decimal(normal.removesuffix("m"), "浸水深")


# ---------------------------------------------------------------- judging


def _require(ruleset: Ruleset, kind: str) -> None:
    if not isinstance(ruleset, Ruleset):
        raise DomainError(f"規則 {ruleset!r} は規則バージョンではありません")
    if ruleset.kind != kind:
        raise DomainError(
            f"規則 {ruleset.id} は{KINDS[ruleset.kind]}の規則です（{KINDS[kind]}の規則を指定してください）",
            field="rules",
        )


def _band(bands: tuple[Band, ...], value: Decimal) -> Band:
    return next(b for b in bands if value >= b.minimum)


def classify_ratio(ruleset: Ruleset, ratio: Decimal | int | str) -> Judgement:
    """The class for a 損害割合 in percent (``Decimal("49.99")``; a string may end in %)."""
    _require(ruleset, "ratio")
    value = _percent(ratio, "損害割合")
    band = _band(ruleset.ratio_bands, value)
    return Judgement(
        band.damage_class,
        ruleset.label(band.damage_class),
        ruleset.id,
        "ratio",
        value=value,
        note=f"損害割合 {_plain(value)}%",
        verified=band.verified,
    )


def classify_floor_ratio(ruleset: Ruleset, ratio: Decimal | int | str) -> Judgement:
    """The class by the floor-area criterion (損壊・焼失・流失した部分の床面積 ÷ 延床面積, percent)."""
    _require(ruleset, "ratio")
    if not ruleset.floor_bands:
        raise DomainError(f"規則 {ruleset.id} には床面積による基準がありません", field="floor_ratio")
    value = _percent(ratio, "床面積の損壊割合")
    band = _band(ruleset.floor_bands, value)
    return Judgement(
        band.damage_class,
        ruleset.label(band.damage_class),
        ruleset.id,
        "floor_ratio",
        value=value,
        note=f"床面積の損壊割合 {_plain(value)}%",
        verified=band.verified,
    )


def classify_flood(
    ruleset: Ruleset, depth_m: Decimal | int | str | None, external_force: bool = False, *, washed_away: bool = False
) -> Judgement:
    """The class by flood depth above the floor (m); 0 or less is 床下浸水, None is no water.

    ``external_force``: the house took the force of flowing water, mud or debris (外力). A rule set
    without a table for the case refuses (judge by part damage instead).
    """
    _require(ruleset, "flood")
    condition = "external_force" if external_force else "no_external_force"
    table = ruleset.flood_table(condition)
    if table is None:
        raise DomainError(
            f"規則 {ruleset.id} には{FLOOD_CONDITIONS[condition]}の浸水深基準がありません"
            "（部位別の損害割合で判定してください）",
            field="external_force",
        )
    suffix = f"（{FLOOD_CONDITIONS[condition]}）"

    def judged(code: str | None, what: str, value: Decimal | None, verified: bool) -> Judgement:
        if code is None:
            raise DomainError(
                f"規則 {ruleset.id} の{FLOOD_CONDITIONS[condition]}の基準は{what}を扱いません"
                "（部位別の損害割合で判定してください）",
                field="flood_depth",
            )
        return Judgement(
            code,
            ruleset.label(code),
            ruleset.id,
            "flood",
            value=value,
            note=what + suffix,
            condition=condition,
            verified=verified,
        )

    if washed_away:
        return judged(table.washed_away, "流失", None, table.verified)
    if depth_m is None:
        return judged(table.no_water, "浸水なし", None, table.verified)
    depth = _decimal(depth_m, "浸水深")
    if depth <= 0:
        return judged(table.below_floor, "床下浸水", depth, table.verified)
    band = _band(table.bands, depth)
    return judged(band.damage_class, f"床上浸水 {_plain(depth)} m", depth, band.verified)


def ratio_from_parts(
    ruleset: Ruleset, structure: str, damages: Mapping[str, Decimal | int | str], *, survey: str = "second"
) -> Decimal:
    """損害割合 (percent) = Σ 部位別構成比 × 損傷程度 (fraction 0..1) over the parts given.

    Parts left out count as undamaged; an unknown part or a degree outside 0..1 is refused. The sum
    is exact (no rounding).
    """
    _require(ruleset, "ratio")
    if survey not in SURVEYS:
        raise DomainError(f"調査の種類 {survey!r} は {', '.join(SURVEYS)} のいずれかです", field="survey")
    table = ruleset.part_weights(structure, survey)
    if table is None:
        have = ", ".join(f"{w.structure}/{w.survey}" for w in ruleset.weights) or "なし"
        raise DomainError(
            f"規則 {ruleset.id} には構造 {structure} の{SURVEYS[survey]}の部位別構成比がありません（あるもの: {have}）",
            field="structure",
        )
    total = Decimal(0)
    for code, degree in damages.items():
        part = table.part(code)
        if part is None:
            raise DomainError(
                f"部位 {code!r} は {ruleset.id} の {structure}/{survey} にありません"
                f"（{', '.join(p.code for p in table.parts)}）",
                field="parts",
            )
        fraction = _decimal(degree, f"部位 {code} の損傷程度")
        if not 0 <= fraction <= 1:
            raise DomainError(f"部位 {code} の損傷程度 {degree} は 0〜1 の割合で指定してください", field="parts")
        total += part.weight * fraction
    return total


def classify_parts(
    ruleset: Ruleset, structure: str, damages: Mapping[str, Decimal | int | str], *, survey: str = "second"
) -> Judgement:
    """:func:`ratio_from_parts` then :func:`classify_ratio`; verified only if the weights are too."""
    ratio = ratio_from_parts(ruleset, structure, damages, survey=survey)
    judged = classify_ratio(ruleset, ratio)
    table = ruleset.part_weights(structure, survey)
    assert table is not None
    return Judgement(
        judged.damage_class,
        judged.label,
        ruleset.id,
        "parts",
        value=ratio,
        note=f"部位別（{table.structure_label}、{SURVEYS[survey]}）損害割合 {_plain(ratio)}%",
        verified=bool(judged.verified and table.verified),
    )


def manual_judgement(damage_class: str, reason: str, ruleset: Ruleset) -> Judgement:
    """A class set by hand: it must exist in ``ruleset`` and needs a reason; marked manual."""
    if not isinstance(ruleset, Ruleset):
        raise DomainError(f"規則 {ruleset!r} は規則バージョンではありません")
    code = (damage_class or "").strip()
    label = ruleset.label(code)
    text = (reason or "").strip()
    if not text:
        raise DomainError(f"被害区分を手動で {label} にするには理由が必要です", field="reason")
    return Judgement(code, label, ruleset.id, "manual", manual=True, reason=text, note="手動判定")


def most_severe(*judgements: Judgement, ruleset: Ruleset | None = None) -> Judgement:
    """The most severe of judgements made under one rule set (e.g. ratio and floor-area criterion)."""
    if not judgements:
        raise DomainError("判定がありません")
    versions = {j.rule_version for j in judgements}
    if len(versions) != 1:
        raise DomainError(f"規則バージョンの異なる判定は比べられません（{', '.join(sorted(versions))}）")
    rules = ruleset if ruleset is not None else get_ruleset(versions.pop())
    return min(judgements, key=lambda j: rules.severity(j.damage_class))
