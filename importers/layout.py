"""Layouts: TOML mapping files that say how a vendor's file maps onto canonical fields.

```toml
[layout]
name = "vendor-x-residents"   # free text
kind = "residents"            # residents | dwellings | land | tax | addresses
format = "csv"                # csv | fixed
encoding = "cp932"            # cp932 | utf-8 | utf-8-sig | auto
header = true                 # csv: first line holds column names
date_style = "wareki-code"    # iso | yyyymmdd | wareki-code | wareki-text
[columns]                     # canonical field = column name (csv), index from 0 (csv), [start, length] (fixed)
atena_no = "宛名番号"
[codes.sex]                   # optional: source code -> canonical value
"1" = "male"
```

Optional ``[layout]`` keys: ``description``, ``delimiter`` (csv, default ``,``), ``quotechar`` (``"``),
``record_length`` (fixed; default: the end of the last column), ``record_separator`` (fixed:
``newline`` (default; LF or CRLF) or ``none``), ``start_origin`` (fixed: 0 (default) or 1 when the
vendor's sheet counts bytes from 1), ``check_digit`` (``error`` (default) | ``warning`` | ``off``) and
``level`` (addresses: ``block`` | ``town``; default ``block`` when ``block`` is mapped).
Optional tables: ``[date_styles]`` (field = style, overriding ``date_style``), ``[skip_if]``
(column = value or [values]: such rows are skipped silently, e.g. 位置参照情報 更新前履歴フラグ = 3),
``[extra]`` (fixed: name = [start, length] of columns kept in the ``extra`` dict; csv keeps every
unmapped column there by itself).

Every mistake in a layout raises ``LayoutError`` naming the key or column, before any row is read.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.wareki import DATE_STYLES
from importers.encoding import ENCODINGS, canonical_encoding
from importers.fields import KINDS, KindSpec

__all__ = [
    "Column",
    "Layout",
    "LayoutError",
    "load_layout",
    "parse_layout",
    "load_preset",
    "list_presets",
    "PRESET_DIR",
]

PRESET_DIR = Path(__file__).with_name("presets")
FORMATS = ("csv", "fixed")
CHECK_DIGIT_MODES = ("error", "warning", "off")
_LAYOUT_KEYS = {
    "name",
    "kind",
    "format",
    "encoding",
    "header",
    "date_style",
    "description",
    "delimiter",
    "quotechar",
    "record_length",
    "record_separator",
    "start_origin",
    "check_digit",
    "level",
}
_TABLES = {"layout", "columns", "codes", "date_styles", "skip_if", "extra"}


class LayoutError(ValueError):
    """A layout (mapping file) is wrong: the message names the key or column."""


@dataclass(frozen=True)
class Column:
    """Where a field is in a record: a header name, a 0-based index, or a byte range (0-based start)."""

    name: str | None = None
    index: int | None = None
    start: int | None = None
    length: int | None = None

    def describe(self) -> str:
        if self.name is not None:
            return repr(self.name)
        if self.index is not None:
            return f"column {self.index}"
        return f"bytes [{self.start}, {self.length}]"


@dataclass(frozen=True)
class Layout:
    name: str
    kind: str
    format: str
    encoding: str
    header: bool
    date_style: str
    columns: Mapping[str, Column]
    codes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    description: str = ""
    delimiter: str = ","
    quotechar: str = '"'
    record_length: int | None = None
    record_separator: str = "newline"
    check_digit: str = "error"
    level: str | None = None
    date_styles: Mapping[str, str] = field(default_factory=dict)
    skip_if: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extra: Mapping[str, Column] = field(default_factory=dict)
    source: str = ""

    @property
    def spec(self) -> KindSpec:
        return KINDS[self.kind]

    @property
    def fields(self) -> tuple[str, ...]:
        """The canonical fields this layout provides (only these appear in ``Row.values``)."""
        return tuple(self.columns)

    def date_style_of(self, field_name: str) -> str:
        return self.date_styles.get(field_name, self.date_style)


def _err(source: str, message: str) -> LayoutError:
    return LayoutError(f"{source}: {message}" if source else message)


def _str(data: Mapping[str, Any], key: str, source: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise _err(source, f"[layout] {key} is missing")
    if not isinstance(value, str):
        raise _err(source, f"[layout] {key} must be a string, got {value!r}")
    return value


def _choice(
    data: Mapping[str, Any], key: str, choices: tuple[str, ...], source: str, default: str | None = None
) -> str:
    value = _str(data, key, source, default)
    if value not in choices:
        raise _err(source, f"[layout] {key} = {value!r} is not one of {', '.join(choices)}")
    return value


def _int(value: Any, what: str, source: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _err(source, f"{what} must be an integer ≥ {minimum}, got {value!r}")
    return value


def parse_layout(data: Mapping[str, Any] | str, source: str = "") -> Layout:
    """Build a Layout from TOML text or an already parsed dict; raises ``LayoutError``."""
    if isinstance(data, str):
        try:
            data = tomllib.loads(data)
        except tomllib.TOMLDecodeError as exc:
            raise _err(source, f"not valid TOML: {exc}") from None
    unknown_tables = set(data) - _TABLES
    if unknown_tables:
        raise _err(
            source, f"unknown table(s) {', '.join(sorted(unknown_tables))} (allowed: {', '.join(sorted(_TABLES))})"
        )
    head = data.get("layout")
    if not isinstance(head, Mapping):
        raise _err(source, "missing [layout] table")
    unknown_keys = set(head) - _LAYOUT_KEYS
    if unknown_keys:
        raise _err(source, f"unknown key(s) in [layout]: {', '.join(sorted(unknown_keys))}")

    name = _str(head, "name", source, Path(source).stem if source else None)
    kind = _str(head, "kind", source)
    if kind not in KINDS:
        raise _err(source, f"[layout] kind = {kind!r} is unknown (use one of {', '.join(KINDS)})")
    spec = KINDS[kind]
    fmt = _choice(head, "format", FORMATS, source)
    try:
        encoding = canonical_encoding(_str(head, "encoding", source, "auto"))
    except ValueError:
        raise _err(
            source, f"[layout] encoding = {head.get('encoding')!r} is not one of {', '.join(ENCODINGS)}"
        ) from None
    header = head.get("header", fmt == "csv")
    if not isinstance(header, bool):
        raise _err(source, f"[layout] header must be true or false, got {header!r}")
    if fmt == "fixed" and header:
        raise _err(source, "[layout] header = true is only for csv")
    date_style = _choice(head, "date_style", DATE_STYLES, source, "iso")
    check_digit = _choice(head, "check_digit", CHECK_DIGIT_MODES, source, "error")
    delimiter = _str(head, "delimiter", source, ",")
    quotechar = _str(head, "quotechar", source, '"')
    if len(delimiter) != 1 or len(quotechar) != 1:
        raise _err(source, "[layout] delimiter and quotechar must be one character each")
    record_separator = _choice(head, "record_separator", ("newline", "none"), source, "newline")
    origin = head.get("start_origin", 0)
    if origin not in (0, 1) or isinstance(origin, bool):
        raise _err(source, f"[layout] start_origin must be 0 or 1, got {origin!r}")

    # ---- columns
    raw_columns = data.get("columns")
    if not isinstance(raw_columns, Mapping) or not raw_columns:
        raise _err(source, "missing [columns] table")
    columns: dict[str, Column] = {}
    for field_name, value in raw_columns.items():
        if spec.field(field_name) is None:
            raise _err(
                source, f"[columns] {field_name!r} is not a canonical field of {kind} (known: {', '.join(spec.names)})"
            )
        columns[field_name] = _column(value, f"[columns] {field_name}", fmt, header, origin, source)
    missing = [f for f in spec.fields if f.mandatory and f.name not in columns]
    if missing:
        raise _err(
            source, "missing mandatory column(s) in [columns]: " + ", ".join(f"{f.name} ({f.ja})" for f in missing)
        )

    extra: dict[str, Column] = {}
    raw_extra = data.get("extra", {})
    if not isinstance(raw_extra, Mapping):
        raise _err(source, "[extra] must be a table")
    for extra_name, value in raw_extra.items():
        extra[extra_name] = _column(value, f"[extra] {extra_name}", fmt, header, origin, source)

    record_length = head.get("record_length")
    if fmt == "fixed":
        end = max(c.start + c.length for c in (*columns.values(), *extra.values()))
        if record_length is None:
            record_length = end
        record_length = _int(record_length, "[layout] record_length", source, 1)
        if record_length < end:
            raise _err(
                source, f"[layout] record_length = {record_length} is shorter than the last column (ends at byte {end})"
            )
    elif record_length is not None:
        raise _err(source, "[layout] record_length is only for fixed")

    # ---- codes
    codes: dict[str, dict[str, Any]] = {}
    raw_codes = data.get("codes", {})
    if not isinstance(raw_codes, Mapping):
        raise _err(source, "[codes] must hold tables like [codes.sex]")
    for field_name, table in raw_codes.items():
        fspec = spec.field(field_name)
        if fspec is None:
            raise _err(source, f"[codes.{field_name}]: {field_name!r} is not a canonical field of {kind}")
        if field_name not in columns:
            raise _err(source, f"[codes.{field_name}]: the field has no column in [columns]")
        if not isinstance(table, Mapping) or not table:
            raise _err(source, f"[codes.{field_name}] must be a non-empty table of code = value")
        if fspec.type not in ("enum", "bool", "text", "key"):
            raise _err(source, f"[codes.{field_name}]: a {fspec.type} field cannot have a code table")
        for code, value in table.items():
            if fspec.type == "enum" and value not in fspec.choices:
                raise _err(source, f"[codes.{field_name}] {code!r} = {value!r}: not one of {', '.join(fspec.choices)}")
            if fspec.type == "bool" and not isinstance(value, bool):
                raise _err(source, f"[codes.{field_name}] {code!r} = {value!r}: must be true or false")
            if fspec.type in ("text", "key") and not isinstance(value, str):
                raise _err(source, f"[codes.{field_name}] {code!r} = {value!r}: must be a string")
        codes[field_name] = {str(k): v for k, v in table.items()}

    # ---- per-field date styles, skip rules, level
    date_styles: dict[str, str] = {}
    for field_name, style in dict(data.get("date_styles", {})).items():
        fspec = spec.field(field_name)
        if fspec is None or fspec.type != "date":
            raise _err(source, f"[date_styles] {field_name!r} is not a date field of {kind}")
        if style not in DATE_STYLES:
            raise _err(source, f"[date_styles] {field_name} = {style!r} is not one of {', '.join(DATE_STYLES)}")
        date_styles[field_name] = style

    skip_if: dict[str, tuple[str, ...]] = {}
    for column, values in dict(data.get("skip_if", {})).items():
        if fmt != "csv" or not header:
            raise _err(source, "[skip_if] needs a csv layout with a header (column names)")
        seq = values if isinstance(values, list) else [values]
        skip_if[str(column)] = tuple(str(v) for v in seq)

    level = head.get("level")
    if kind == "addresses":
        default_level = "block" if "block" in columns else "town"
        level = _choice(head, "level", ("block", "town"), source, default_level)
        if level == "block" and "block" not in columns:
            raise _err(source, "[layout] level = 'block' needs a column for block (街区符号・地番)")
    elif level is not None:
        raise _err(source, "[layout] level is only for kind = 'addresses'")

    return Layout(
        name=name,
        kind=kind,
        format=fmt,
        encoding=encoding,
        header=header,
        date_style=date_style,
        columns=columns,
        codes=codes,
        description=str(head.get("description", "")),
        delimiter=delimiter,
        quotechar=quotechar,
        record_length=record_length,
        record_separator=record_separator,
        check_digit=check_digit,
        level=level,
        date_styles=date_styles,
        skip_if=skip_if,
        extra=extra,
        source=source,
    )


def _column(value: Any, what: str, fmt: str, header: bool, origin: int, source: str) -> Column:
    if fmt == "fixed":
        if not (isinstance(value, list) and len(value) == 2):
            raise _err(source, f"{what} must be [start, length] in bytes for a fixed layout, got {value!r}")
        start = _int(value[0], f"{what} start", source, origin) - origin
        length = _int(value[1], f"{what} length", source, 1)
        return Column(start=start, length=length)
    if isinstance(value, str):
        if not header:
            raise _err(source, f"{what} = {value!r} names a column, but the layout has header = false (use an index)")
        if not value.strip():
            raise _err(source, f"{what} is an empty column name")
        return Column(name=value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Column(index=_int(value, what, source, 0))
    raise _err(source, f"{what} must be a column name or an index from 0, got {value!r}")


def load_layout(path: str | Path) -> Layout:
    """Read a TOML mapping file (raises ``LayoutError``, or ``FileNotFoundError``)."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            raw.decode("cp932")
        except UnicodeDecodeError:
            raise _err(str(path), "レイアウトファイルは UTF-8 で保存してください（文字コードを読めません）") from None
        raise _err(
            str(path), "レイアウトファイルが Shift_JIS で保存されています。UTF-8 で保存し直してください"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _err(str(path), f"not valid TOML: {exc}") from None
    return parse_layout(data, str(path))


def list_presets() -> list[str]:
    """Names of the layouts shipped in ``importers/presets``."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def load_preset(name: str) -> Layout:
    path = PRESET_DIR / f"{name}.toml"
    if not path.is_file():
        raise LayoutError(f"unknown preset {name!r} (presets: {', '.join(list_presets())})")
    return load_layout(path)
