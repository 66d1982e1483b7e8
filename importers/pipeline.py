"""The database-free import pipeline: bytes → decoded records → canonical, validated rows.

    reader = read_rows("residents.csv", load_preset("chukan-residents"), gaiji_map={"\\ue000": "髙"})
    for row in reader:          # streamed: the file is never held in memory
        row.line_no, row.values, row.issues, row.ok

``read_rows`` opens the file, settles the encoding and reads the header *at once*, so a layout that
does not fit the file raises ``LayoutError`` before any row is read; rows are then produced lazily.

``Row.values`` holds the canonical fields the layout maps (converted: ``datetime.date``, ``int``,
``float``, ``bool``, ``list``), and next to them:

* ``<f>_raw`` (as decoded, before the 外字 map) for name, kana and address fields and for dates;
* ``name_key`` / ``kana_key`` / ``address_key``: search keys (core.text);
* ``<f>_unknown`` and ``<f>_approx`` for dates (不詳 and non-calendar dates: value None);
* ``has_gaiji`` (the row's text had 外字) and ``gaiji_unmapped`` (some are not in the 外字 map);
* ``extra``: the columns the layout does not map, as text (csv: by header name, or ``column_N``);
* residents: ``is_householder`` derived from 続柄 when not mapped; ``address`` with 方書 appended;
* addresses: ``level``, ``match_key`` (core.addresses), ``chome``.

Every problem is an ``Issue`` (see ``ISSUE_REASONS``); ``row.ok`` is False when one is an error.
Nothing is dropped silently: invalid rows are still yielded, with what could be read.

Several processes can share one file (``Share``): each reads every line but converts and yields
only the rows of its own blocks; every row's key is still seen by each, so the duplicate-key
issues are the same as with one reader.
"""

from __future__ import annotations

import contextlib
import csv
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from core.addresses import cached_address_key, normalize_address
from core.codes import is_valid_mod11, is_valid_my_number
from core.wareki import ERAS, DateError, parse_date
from importers import encoding as enc
from importers.fields import FieldSpec, KindSpec
from importers.keys import fast_fullwidth_kana, fast_kana_key, fast_name_key, mod11_ok
from importers.layout import Layout, LayoutError

__all__ = ["read_rows", "RowReader", "Row", "Share", "can_share", "Issue", "ISSUE_REASONS", "is_valid_my_number"]

# code → the reason written into the report (Japanese: the report is read by municipal staff)
ISSUE_REASONS = {
    "missing": "必須項目が空です",
    "bad_date": "日付として読めません",
    "inexact_date": "不詳または暦にない日付です（原文のまま保持）",
    "bad_code": "コード表にない値です",
    "check_digit": "検査数字（モジュラス11）が合いません",
    "bad_number": "数値として読めません",
    "out_of_range": "範囲外の値です",
    "bad_postal_code": "郵便番号が7桁ではありません",
    "bad_my_number": "個人番号が正しくないため取り込みません",
    "duplicate_key": "ファイル内でキーが重複しています",
    "record_length": "レコード長（バイト数）がレイアウトと違います",
    "column_count": "列数がヘッダーと違います",
    "undecodable": "文字コードとして読めないバイトがあります（U+FFFD に置換）",
    "unmapped_gaiji": "外字表にない外字があります（そのまま保持）",
}


@dataclass(slots=True)
class Issue:
    """One finding of the validation report. ``field`` is a canonical field, a column name, or ""."""

    line_no: int
    field: str
    value: Any
    reason: str
    severity: str  # "error" | "warning"
    code: str = ""  # stable identifier, a key of ISSUE_REASONS

    def __str__(self) -> str:
        return f"{self.line_no}: {self.severity}: {self.field or '-'}: {self.reason} ({self.value!s:.60})"


def _issue(line_no: int, field: str, value: Any, code: str, severity: str = "error", detail: str = "") -> Issue:
    reason = ISSUE_REASONS[code] + (f"（{detail}）" if detail else "")
    return Issue(line_no, field, value, reason, severity, code)


@dataclass(frozen=True)
class Share:
    """Which rows one of several readers of the same file converts: rows are numbered from 0 in
    file order (blank and ``[skip_if]`` lines are not rows), grouped in blocks of ``block``; this
    reader takes the blocks whose number modulo ``parts`` is ``part``."""

    part: int = 0
    parts: int = 1
    block: int = 2000


WHOLE_FILE = Share()


def can_share(layout: Layout) -> bool:
    """Whether readers can split ``layout``'s files: each must find every row's key cheaply, so the
    key fields must be plain columns (an address point's key is derived from several)."""
    return all(name in layout.columns for name in layout.spec.key)


class Row:
    __slots__ = ("line_no", "values", "issues")

    def __init__(self, line_no: int, values: dict[str, Any], issues: list[Issue]) -> None:
        self.line_no = line_no
        self.values = values
        self.issues = issues

    @property
    def ok(self) -> bool:
        """True when no issue is an error (warnings allowed)."""
        return all(issue.severity != "error" for issue in self.issues)

    def __repr__(self) -> str:
        return f"Row(line_no={self.line_no}, ok={self.ok}, values={self.values!r}, issues={self.issues!r})"


# ---------------------------------------------------------------------------------------------- helpers

_NFKC = unicodedata.normalize
_IDS_SPLIT_RE = re.compile(r"[,;、，；/|\s]+")
_YEAR_RE = re.compile(r"(明治|大正|昭和|平成|令和|[明大昭平令MTSHRmtshr])(元|\d{1,2})年?度?")
_ERA_BY_NAME = {}
for _era, _short, _letter in zip(ERAS, "明大昭平令", "MTSHR"):
    for _k in (_era.name, _short, _letter, _letter.lower()):
        _ERA_BY_NAME[_k] = _era
_NEGATIVE_MARKS = ("△", "▲", "-", "−", "ー", "－")
_MY_NUMBER_MASK = "************"


def _ascii_digits(s: str) -> str | None:
    """``s`` as ASCII digits (full-width accepted, spaces and hyphens dropped), or None."""
    if s.isascii() and s.isdigit():
        return s
    t = _NFKC("NFKC", s).replace(" ", "").replace("-", "")
    return t if (t.isascii() and t.isdigit()) else None


def _number_text(s: str) -> tuple[str, bool]:
    """NFKC text of a number without separators, and whether it was marked negative (△ 100)."""
    t = _NFKC("NFKC", s).replace(",", "").replace(" ", "").replace("円", "")
    negative = False
    if t[:1] in _NEGATIVE_MARKS:
        negative, t = True, t[1:]
    return t, negative


def _code_lookup(table: Mapping[str, Any], s: str) -> tuple[bool, Any]:
    if s in table:
        return True, table[s]
    t = _NFKC("NFKC", s).strip()
    if t in table:
        return True, table[t]
    t = t.lower()
    if t in table:
        return True, table[t]
    if t.isdigit():  # "01" vs "1"
        for key, value in table.items():
            if key.isdigit() and int(key) == int(t):
                return True, value
    return False, None


Converter = Callable[[str, dict, list, int], None]


# ---------------------------------------------------------------------------------------------- converters


class _Converters:
    """Builds one converter function per mapped field, once per read."""

    def __init__(self, layout: Layout, gaiji: enc.GaijiMapper) -> None:
        self.layout = layout
        self.gaiji = gaiji
        self.check_severity = None if layout.check_digit == "off" else layout.check_digit

    # text with 外字 (the caller has found a PUA character): returns the mapped text; flags the row
    def _gaiji(self, name: str) -> Callable[[str, dict, list, int], str]:
        gaiji = self.gaiji

        def apply(s: str, values: dict, issues: list, line_no: int) -> str:
            mapped, unmapped = gaiji.apply(s)
            values["has_gaiji"] = True
            if unmapped:
                values["gaiji_unmapped"] = True
                codes = " ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(unmapped))
                issues.append(_issue(line_no, name, codes, "unmapped_gaiji", "warning"))
            return mapped

        return apply

    def build(self, spec: FieldSpec) -> Converter:
        return getattr(self, f"_{spec.type}")(spec)

    def _id(self, spec: FieldSpec) -> Converter:
        name, severity = spec.name, self.check_severity
        last: list[Any] = [None, True]  # one-value cache (household numbers repeat on neighbouring rows)

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            if s == last[0]:
                values[name] = s
                if not last[1]:
                    issues.append(_issue(line_no, name, s, "check_digit", severity))
                return
            if s.isdigit() and s.isascii():
                digits = s
            else:
                digits = _ascii_digits(s)
                if digits is None:
                    values[name] = s
                    issues.append(_issue(line_no, name, s, "bad_number"))
                    return
            values[name] = digits
            ok = severity is None or mod11_ok(digits)
            last[0], last[1] = s, ok
            if not ok:
                issues.append(_issue(line_no, name, digits, "check_digit", severity))

        return conv

    def _ids(self, spec: FieldSpec) -> Converter:
        name, severity = spec.name, self.check_severity

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            out = []
            for part in _IDS_SPLIT_RE.split(_NFKC("NFKC", s)):
                if not part:
                    continue
                if not (part.isascii() and part.isdigit()):
                    issues.append(_issue(line_no, name, part, "bad_number"))
                    continue
                if severity is not None and not is_valid_mod11(part):
                    issues.append(_issue(line_no, name, part, "check_digit", severity))
                out.append(part)
            values[name] = out

        return conv

    def _key(self, spec: FieldSpec) -> Converter:
        name = spec.name
        codes = self.layout.codes.get(name)

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            if not s.isascii():
                s = _NFKC("NFKC", s)
            if codes is not None:
                found, mapped = _code_lookup(codes, s)
                if not found:
                    issues.append(_issue(line_no, name, s, "bad_code"))
                    values[name] = s
                    return
                s = mapped
            values[name] = s

        return conv

    def _text(self, spec: FieldSpec) -> Converter:
        name = spec.name
        codes = self.layout.codes.get(name)
        gaiji = self._gaiji(name)
        pua = enc.PUA_RE.search

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            if pua(s) is not None:
                s = gaiji(s, values, issues, line_no)
            if codes is not None:
                found, mapped = _code_lookup(codes, s)
                if not found:
                    issues.append(_issue(line_no, name, s, "bad_code"))
                else:
                    s = mapped
            values[name] = s

        return conv

    def _name(self, spec: FieldSpec) -> Converter:
        name, raw_key, derived = spec.name, f"{spec.name}_raw", spec.derived
        gaiji = self._gaiji(name)
        pua = enc.PUA_RE.search

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            values[raw_key] = s
            if pua(s) is not None:
                s = gaiji(s, values, issues, line_no)
            values[name] = s
            values[derived] = fast_name_key(s)

        return conv

    def _kana(self, spec: FieldSpec) -> Converter:
        name, raw_key, derived = spec.name, f"{spec.name}_raw", spec.derived
        gaiji = self._gaiji(name)
        pua = enc.PUA_RE.search

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            values[raw_key] = s
            if pua(s) is not None:
                s = gaiji(s, values, issues, line_no)
            s = fast_fullwidth_kana(s)
            values[name] = s
            values[derived] = fast_kana_key(s)

        return conv

    def _address(self, spec: FieldSpec) -> Converter:
        name, raw_key, derived = spec.name, f"{spec.name}_raw", spec.derived
        gaiji = self._gaiji(name)
        # residents with 方書: the key is made once, of 住所 + 方書, after the row (see RowReader._posts)
        defer = self.layout.kind == "residents" and "katagaki" in self.layout.columns
        pua = enc.PUA_RE.search

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            values[raw_key] = s
            if pua(s) is not None:
                s = gaiji(s, values, issues, line_no)
            values[name] = s
            if not defer:
                values[derived] = cached_address_key(s)

        return conv

    def _date(self, spec: FieldSpec) -> Converter:
        name = spec.name
        raw_key, unknown_key, approx_key = f"{name}_raw", f"{name}_unknown", f"{name}_approx"
        style = self.layout.date_style_of(name)
        register = spec.register_date
        mandatory = spec.mandatory
        partial_is_value = name == "built_on"  # a built year alone: 1 January (the ledger's convention)

        memo: dict[str, Any] = {}

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            p = memo.get(s)
            if p is not None and not p.unknown:  # the usual case: an exact date seen before
                values[name] = values[approx_key] = p.value
                values[raw_key] = p.raw
                return
            try:
                p = parse_date(s, style)
            except DateError as exc:
                values[raw_key] = s
                issues.append(_issue(line_no, name, s, "bad_date", detail=f"{style}: {exc}"))
                return
            if len(memo) >= 200_000:
                memo.clear()
            memo[s] = p
            if p.unknown and p.approx is None and not mandatory and p.raw.strip("0") == "":
                return  # all zeros in an optional date: no date
            values[raw_key] = p.raw
            if p.unknown:
                values[unknown_key] = True
                values[approx_key] = p.approx
                if partial_is_value and p.kind == "partial":
                    values[name] = p.approx
                elif not register:
                    issues.append(_issue(line_no, name, s, "inexact_date", "warning"))
            else:
                values[name] = p.value
                values[approx_key] = p.value

        return conv

    def _int(self, spec: FieldSpec) -> Converter:
        name = spec.name

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            if s.isascii() and s.isdigit():
                values[name] = int(s)
                return
            t, negative = _number_text(s)
            if t.isascii() and t.isdigit():
                values[name] = -int(t) if negative else int(t)
                return
            try:
                f = float(t)
            except ValueError:
                issues.append(_issue(line_no, name, s, "bad_number"))
                return
            if f.is_integer():
                values[name] = -int(f) if negative else int(f)
            else:
                issues.append(_issue(line_no, name, s, "bad_number", detail="整数ではありません"))

        return conv

    def _float(self, spec: FieldSpec, low: float | None = None, high: float | None = None) -> Converter:
        name = spec.name

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            try:
                f = float(s)
            except ValueError:
                t, negative = _number_text(s)
                try:
                    f = float(t)
                except ValueError:
                    issues.append(_issue(line_no, name, s, "bad_number"))
                    return
                if negative:
                    f = -f
            if f != f or f in (float("inf"), float("-inf")) or (low is not None and not low <= f <= high):
                issues.append(_issue(line_no, name, s, "out_of_range"))
                return
            values[name] = f

        return conv

    def _lat(self, spec: FieldSpec) -> Converter:
        return self._float(spec, -90.0, 90.0)

    def _lon(self, spec: FieldSpec) -> Converter:
        return self._float(spec, -180.0, 180.0)

    def _year(self, spec: FieldSpec) -> Converter:
        name = spec.name

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            if len(s) == 4 and s.isascii() and s.isdigit():
                values[name] = int(s)
                return
            t = _NFKC("NFKC", s).replace(" ", "")
            if t.endswith("年度"):
                t = t[:-2]
            elif t.endswith("年"):
                t = t[:-1]
            if len(t) == 4 and t.isdigit():
                values[name] = int(t)
                return
            m = _YEAR_RE.fullmatch(t)
            if m:
                year = 1 if m[2] == "元" else int(m[2])
                if year >= 1:
                    values[name] = _ERA_BY_NAME[m[1]].offset + year
                    return
            issues.append(_issue(line_no, name, s, "bad_number", detail="年度として読めません"))

        return conv

    def _coded(self, spec: FieldSpec) -> Converter:
        name = spec.name
        table = self.layout.codes.get(name) or spec.default_codes

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            found, value = _code_lookup(table, s)
            if found:
                values[name] = value
            else:
                issues.append(_issue(line_no, name, s, "bad_code"))

        return conv

    def _enum(self, spec: FieldSpec) -> Converter:
        return self._coded(spec)

    def _bool(self, spec: FieldSpec) -> Converter:
        return self._coded(spec)

    def _postal(self, spec: FieldSpec) -> Converter:
        name = spec.name

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            if len(s) == 8 and s[3] == "-" and s.isascii() and s[:3].isdigit() and s[4:].isdigit():
                values[name] = s
                return
            digits = _ascii_digits(s.replace("〒", ""))
            if digits is not None and len(digits) == 7:
                values[name] = f"{digits[:3]}-{digits[3:]}"
            else:
                values[name] = s
                issues.append(_issue(line_no, name, s, "bad_postal_code", "warning"))

        return conv

    def _my_number(self, spec: FieldSpec) -> Converter:
        name = spec.name

        def conv(s: str, values: dict, issues: list, line_no: int) -> None:
            digits = _ascii_digits(s)
            if digits is not None and is_valid_my_number(digits):
                values[name] = digits
            else:  # never echo a 個人番号 (even a wrong one) into a report
                issues.append(_issue(line_no, name, _MY_NUMBER_MASK, "bad_my_number", "warning"))

        return conv


# ---------------------------------------------------------------------------------------------- reader


def _header_key(name: str) -> str:
    return _NFKC("NFKC", name).replace("\ufeff", "").strip()


class RowReader:
    """The iterator returned by ``read_rows``; also a context manager.

    Attributes: ``layout``, ``encoding`` (the one used, after ``auto``), ``header`` (csv column names),
    ``rows`` (rows read so far, this reader's or not: see ``Share``), ``skipped`` (records dropped
    by ``[skip_if]``).
    """

    def __init__(
        self,
        source: BinaryIO | str | Any,
        layout: Layout,
        gaiji_map: Mapping[str, str] | None = None,
        share: Share = WHOLE_FILE,
    ) -> None:
        if not isinstance(layout, Layout):
            raise TypeError("layout must be an importers.layout.Layout")
        if share.parts > 1 and not can_share(layout):
            raise ValueError(f"{layout.name}: the rows of a {layout.kind} file cannot be shared between readers")
        self.share = share
        self.layout = layout
        self.spec: KindSpec = layout.spec
        self.gaiji = enc.GaijiMapper(gaiji_map)
        self.header: list[str] | None = None
        self.rows = 0
        self.skipped = 0
        self._closers: list[Callable[[], None]] = []
        binary, self.encoding, self._owned = enc.open_source(source, layout.encoding)
        if self._owned:
            self._closers.append(binary.close)
        try:
            if layout.format == "csv":
                self._gen = self._csv(binary)
            else:
                self._gen = self._fixed(binary)
        except BaseException:
            self.close()
            raise

    # -- iterator protocol
    def __iter__(self) -> RowReader:
        return self

    def __next__(self) -> Row:
        return next(self._gen)

    def close(self) -> None:
        gen = getattr(self, "_gen", None)
        if gen is not None:
            gen.close()
        closers = getattr(self, "_closers", [])
        for closer in reversed(closers):
            with contextlib.suppress(Exception):  # closing after an error: the first error is the one to report
                closer()
        closers.clear()

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plan: which text goes through which converter
    def _plan(self, positions: dict[str, int]) -> tuple[list, dict[str, Any], list]:
        layout, spec = self.layout, self.spec
        converters = _Converters(layout, self.gaiji)
        template: dict[str, Any] = {}
        plan = []
        for field_name in layout.columns:
            fspec = spec.field(field_name)
            template[field_name] = None
            if fspec.type in ("name", "kana", "address"):
                template[f"{field_name}_raw"] = ""
                template[fspec.derived] = ""
            elif fspec.type == "date":
                template.update({f"{field_name}_raw": "", f"{field_name}_unknown": False, f"{field_name}_approx": None})
            plan.append((positions[field_name], converters.build(fspec), field_name if fspec.mandatory else None))
        template["has_gaiji"] = False
        template["gaiji_unmapped"] = False
        posts = self._posts()
        return plan, template, posts

    def _posts(self) -> list[Callable[[dict, list, int], None]]:
        layout, kind = self.layout, self.layout.kind
        posts: list[Callable[[dict, list, int], None]] = []
        columns = layout.columns
        if kind == "residents":
            if "is_householder" not in columns and "relationship" in columns:

                def householder(values: dict, issues: list, line_no: int) -> None:
                    values["is_householder"] = values.get("relationship") == "世帯主"

                posts.append(householder)
            if "katagaki" in columns:

                def katagaki(values: dict, issues: list, line_no: int) -> None:
                    extra = values.get("katagaki")
                    address = values.get("address")
                    if address is None:
                        return
                    if extra:
                        address = values["address"] = f"{address}\u3000{extra}"
                        values["address_raw"] = f"{values['address_raw']}\u3000{extra}"
                    values["address_key"] = cached_address_key(address)

                posts.append(katagaki)
        if kind == "addresses":
            level = layout.level

            def address_point(values: dict, issues: list, line_no: int) -> None:
                values["level"] = level
                town = values.get("town") or ""
                block = values.get("block") or ""
                parts = normalize_address(town + (f"{block}番" if level == "block" and block else ""))
                key = values["match_key"] = parts.match_key(level)
                values["chome"] = parts.chome
                if not key and town:  # e.g. a block-level row without a 街区 number
                    field = "block" if level == "block" else "town"
                    issues.append(
                        _issue(
                            line_no,
                            field,
                            block if level == "block" else town,
                            "missing",
                            detail="照合キーを作れません",
                        )
                    )

            posts.append(address_point)
        # duplicate keys within the file
        key_fields = self.spec.key
        seen: dict[Any, int] = {}
        field_label = "/".join(key_fields)
        if len(key_fields) == 1:
            only = key_fields[0]

            def duplicate(values: dict, issues: list, line_no: int) -> None:
                key = values.get(only)
                if key is None or key == "":
                    return
                first = seen.setdefault(key, line_no)
                if first != line_no:
                    issues.append(_issue(line_no, only, key, "duplicate_key", detail=f"最初は {first} 行目"))
        else:

            def duplicate(values: dict, issues: list, line_no: int) -> None:
                key = tuple(values.get(k) for k in key_fields)
                if any(k is None or k == "" for k in key):
                    return
                first = seen.setdefault(key, line_no)
                if first != line_no:
                    issues.append(
                        _issue(
                            line_no,
                            field_label,
                            "/".join(map(str, key)),
                            "duplicate_key",
                            detail=f"最初は {first} 行目",
                        )
                    )

        posts.append(duplicate)
        self._duplicate = duplicate  # also run alone on the rows another reader converts (Share)
        return posts

    def _key_plan(self, plan: list) -> list[tuple[int, Converter]]:
        """(position, converter) of the key fields: all a reader needs of the rows it does not own."""
        key = self.spec.key
        quiet = _Converters(self.layout, self.gaiji)
        quiet.check_severity = None  # the owning reader reports a check digit; here only the value counts
        return [
            (idx, quiet.build(self.spec.field(name)))
            for (idx, _c, _m), name in zip(plan, self.layout.columns)
            if name in key
        ]

    # -- csv
    def _csv(self, binary: BinaryIO) -> Iterator[Row]:
        layout = self.layout
        seen_bad = enc.undecodable_seen()  # before anything is decoded (the header read decodes ahead)
        text = enc.text_stream(binary, self.encoding)
        # a stream we made is closed; the caller's own stream is only detached from, never closed
        self._closers.insert(0, text.close if self._owned else text.detach)
        reader = csv.reader(text, delimiter=layout.delimiter, quotechar=layout.quotechar, strict=False)
        header_line = 0
        ncols: int | None = None
        positions: dict[str, int] = {}
        extra_cols: list[tuple[str, int]] = []
        skip_cols: list[tuple[int, frozenset[str]]] = []
        if layout.header:
            for fields in reader:
                if fields and any(f.strip() for f in fields):
                    self.header = fields
                    break
            else:
                raise LayoutError(f"{layout.name}: the file is empty (no header line)")
            header_line = reader.line_num
            keys = [_header_key(h) for h in self.header]
            ncols = len(keys)
            index: dict[str, int] = {}
            for i, k in enumerate(keys):
                index.setdefault(k, i)

            def find(col_name: str, what: str) -> int:
                k = _header_key(col_name)
                if k not in index:
                    raise LayoutError(
                        f"{layout.name}: column {col_name!r} ({what}) is not in the header; the header has: "
                        + ", ".join(h for h in keys)
                    )
                if keys.count(k) > 1:
                    raise LayoutError(
                        f"{layout.name}: column {col_name!r} ({what}) appears more than once in the header"
                    )
                return index[k]
        else:

            def find(col_name: str, what: str) -> int:  # pragma: no cover - prevented by the layout checks
                raise LayoutError(f"{layout.name}: {what} names a column but the layout has no header")

        for field_name, column in layout.columns.items():
            if column.name is not None:
                positions[field_name] = find(column.name, field_name)
            else:
                if ncols is not None and column.index >= ncols:
                    raise LayoutError(
                        f"{layout.name}: [columns] {field_name} = {column.index}, "
                        f"but the header has only {ncols} columns (0..{ncols - 1})"
                    )
                positions[field_name] = column.index
        for col_name, values in layout.skip_if.items():
            skip_cols.append((find(col_name, "[skip_if]"), frozenset(values)))
        used = frozenset(positions.values())
        self._used = used
        if self.header is not None:
            extra_cols = [(self.header[i].strip().lstrip("\ufeff"), i) for i in range(ncols) if i not in used]
        plan, template, posts = self._plan(positions)
        need = max(list(used) + [i for i, _ in skip_cols]) + 1
        return self._csv_rows(reader, header_line, ncols, need, extra_cols, skip_cols, plan, template, posts, seen_bad)

    def _csv_rows(self, reader, header_line, ncols, need, extra_cols, skip_cols, plan, template, posts, seen_bad):  # noqa: ANN001, ANN202
        prev = header_line
        issue = _issue
        used = self._used
        field_of = self._field_names(extra_cols, plan)
        key_plan, duplicate, scratch = self._key_plan(plan), self._duplicate, []
        block, parts, part = self.share.block, self.share.parts, self.share.part
        if True:
            for fields in reader:
                line_no = prev + 1
                prev = reader.line_num
                n = len(fields)
                if n <= 1 and (n == 0 or not fields[0].strip() or fields[0] == "\x1a"):
                    continue  # blank line, EOF mark
                issues: list[Issue] = []
                if n < need or (ncols is not None and n != ncols):
                    if n < need or n < ncols:
                        issues.append(issue(line_no, "", n, "column_count", detail=f"{ncols or need} 列のはず、{n} 列"))
                    else:
                        issues.append(
                            issue(
                                line_no,
                                "",
                                n,
                                "column_count",
                                "warning",
                                detail=f"{ncols} 列のはず、{n} 列: 余分な列は extra に保持",
                            )
                        )
                    if n < need:
                        fields = fields + [""] * (need - n)
                if enc.undecodable_seen() != seen_bad:
                    fields = self._undecodable(fields, field_of, issues, line_no)
                if skip_cols:
                    skip = False
                    for idx, bad_values in skip_cols:
                        if fields[idx].strip() in bad_values:
                            skip = True
                            break
                    if skip:
                        self.skipped += 1
                        continue
                ordinal = self.rows
                self.rows += 1
                if (
                    parts > 1 and (ordinal // block) % parts != part
                ):  # another reader's row: only its key, for the duplicate check
                    key_values: dict[str, Any] = {}
                    for idx, conv in key_plan:
                        s = fields[idx].strip()
                        if s:
                            conv(s, key_values, scratch, line_no)
                    duplicate(key_values, scratch, line_no)
                    scratch.clear()
                    continue
                values = template.copy()
                for idx, conv, mandatory in plan:
                    s = fields[idx].strip()
                    if s:
                        conv(s, values, issues, line_no)
                    elif mandatory is not None:
                        issues.append(issue(line_no, mandatory, "", "missing"))
                for post in posts:
                    post(values, issues, line_no)
                if ncols is None:  # no header: every unmapped column, by position
                    values["extra"] = {f"column_{i}": f for i, f in enumerate(fields[:n]) if i not in used}
                elif extra_cols or n > ncols:
                    extra = values["extra"] = {name: fields[i] for name, i in extra_cols if i < n}
                    for i in range(ncols, n):
                        extra[f"column_{i}"] = fields[i]
                else:
                    values["extra"] = {}
                yield Row(line_no, values, issues)

    def _field_names(self, extra_cols: list[tuple[str, int]], plan: list) -> dict[int, str]:
        names: dict[int, str] = {}
        for (idx, _conv, _m), field_name in zip(plan, self.layout.columns):
            names[idx] = field_name
        for name, idx in extra_cols:
            names.setdefault(idx, name)
        return names

    @staticmethod
    def _undecodable(fields: list[str], field_of: dict[int, str], issues: list[Issue], line_no: int) -> list[str]:
        search = enc.UNDECODABLE_RE.search
        if not any(search(f) for f in fields):
            return fields
        out = []
        for i, f in enumerate(fields):
            if search(f):
                replaced = enc.replace_undecodable(f)
                issues.append(
                    _issue(
                        line_no,
                        field_of.get(i, f"column_{i}"),
                        replaced,
                        "undecodable",
                        detail=f"バイト {enc.undecodable_bytes(f)}",
                    )
                )
                f = replaced
            out.append(f)
        return out

    # -- fixed width
    def _fixed(self, binary: BinaryIO) -> Iterator[Row]:
        layout = self.layout
        slices: list[tuple[int, int]] = []
        positions: dict[str, int] = {}
        for field_name, column in layout.columns.items():
            positions[field_name] = len(slices)
            slices.append((column.start, column.start + column.length))
        extra_cols = []
        for extra_name, column in layout.extra.items():
            extra_cols.append((extra_name, len(slices)))
            slices.append((column.start, column.start + column.length))
        plan, template, posts = self._plan(positions)
        return self._fixed_rows(binary, slices, extra_cols, plan, template, posts)

    def _fixed_records(self, binary: BinaryIO) -> Iterator[tuple[int, bytes]]:
        layout = self.layout
        if layout.record_separator == "none":
            size = layout.record_length
            line_no = 0
            while True:
                record = binary.read(size)
                if not record or record in (b"\x1a", b"\r\n", b"\n"):
                    return
                line_no += 1
                yield line_no, record
        else:
            for line_no, line in enumerate(binary, 1):
                if line.endswith(b"\n"):
                    line = line[:-1]
                    if line.endswith(b"\r"):
                        line = line[:-1]
                yield line_no, line

    def _fixed_rows(self, binary, slices, extra_cols, plan, template, posts):  # noqa: ANN001, ANN202
        layout = self.layout
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        record_length = layout.record_length
        issue = _issue
        field_of = self._field_names(extra_cols, plan)
        bom = b"\xef\xbb\xbf"
        errors = enc.ERRORS
        duplicate, scratch = self._duplicate, []
        block, parts, part = self.share.block, self.share.parts, self.share.part
        key_slices = [(slices[idx], conv) for idx, conv in self._key_plan(plan)]
        for line_no, raw in self._fixed_records(binary):
            if line_no == 1 and raw.startswith(bom):
                raw = raw[3:]
            if not raw.strip() or raw == b"\x1a":
                continue
            ordinal = self.rows
            self.rows += 1
            if (
                parts > 1 and (ordinal // block) % parts != part
            ):  # another reader's row: only its key, for the duplicate check
                key_values: dict[str, Any] = {}
                for (a, b), conv in key_slices:
                    s = raw[a:b].decode(encoding, errors)
                    if enc.UNDECODABLE_RE.search(s):
                        s = enc.replace_undecodable(s)
                    s = s.strip()
                    if s:
                        conv(s, key_values, scratch, line_no)
                duplicate(key_values, scratch, line_no)
                scratch.clear()
                continue
            issues: list[Issue] = []
            if len(raw) != record_length:
                issues.append(
                    issue(
                        line_no,
                        "",
                        len(raw),
                        "record_length",
                        detail=f"{record_length} バイトのはず、{len(raw)} バイト",
                    )
                )
            # Slice by byte position on a latin-1 view (one character per byte), then decode the
            # non-ASCII fields in one call, joined by "\n" (never part of a multi-byte character in
            # CP932 or UTF-8, and never inside a line). Any trouble: field by field, with the report.
            latin = raw.decode("latin-1")
            fields = [latin[a:b] for a, b in slices]
            wide = [i for i, f in enumerate(fields) if not f.isascii()]
            if wide:
                try:
                    decoded = "\n".join([fields[i] for i in wide]).encode("latin-1").decode(encoding).split("\n")
                except UnicodeDecodeError:
                    decoded = None
                if decoded is not None and len(decoded) == len(wide):
                    for i, text in zip(wide, decoded):
                        fields[i] = text
                else:
                    fields = [raw[a:b].decode(encoding, errors) for a, b in slices]
                    fields = self._undecodable(fields, field_of, issues, line_no)
            values = template.copy()
            for idx, conv, mandatory in plan:
                s = fields[idx].strip()
                if s:
                    conv(s, values, issues, line_no)
                elif mandatory is not None:
                    issues.append(issue(line_no, mandatory, "", "missing"))
            for post in posts:
                post(values, issues, line_no)
            values["extra"] = {name: fields[i].strip() for name, i in extra_cols}
            yield Row(line_no, values, issues)


def read_rows(
    source: BinaryIO | str | Any,
    layout: Layout,
    gaiji_map: Mapping[str, str] | None = None,
    share: Share = WHOLE_FILE,
) -> RowReader:
    """Read a ledger file (path or binary file object) with ``layout``; see the module docstring.

    Raises ``LayoutError`` at once when the layout does not fit the file (a column missing from the
    header, an index beyond it, an empty csv file). A file object passed in is not closed.
    """
    return RowReader(source, layout, gaiji_map, share)
