"""The reading side of a ledger import: file rows → records ready to write, in batches.

``produce`` reads a file with ``importers.pipeline.read_rows`` and turns every valid row into a
*record* (``record_maker``): a tuple of the table's columns in ``RecordShape.columns`` order, in
the form the databases take as they are (dates as ISO text, JSON as text, 個人番号 encrypted),
then the row hash the diff compares. Reading never touches the database, so it runs in other
processes for large files: two reader processes share the file (each reads every line, converts
the rows of every other batch and sees every key for the duplicate check), while the importing
process compares and writes. Small files are read in the same process: starting a process costs
more than it saves.

Messages, in this order:

* ``RowsBatch`` (many): the records of up to ``RECORD_BATCH`` rows, their issues, counts;
* ``ReadDone``: the totals.

A reader whose importer is gone (killed, or stopped on an error) stops at its next write.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from core.settings import Settings
from gis.geocoding import point_key
from importers.pipeline import Share, can_share, read_rows
from ledgers.registry import mynumber

RECORD_BATCH = 2000
MAX_STORED_ISSUES = 10_000
# Files smaller than this are read in the importing process (a second process costs ~0.3 s to start).
PARALLEL_FROM_BYTES = 8 << 20
READER_MODES = ("auto", "process", "inline")
RESIDENT = "resident"  # ResidentStatus.resident (the models module is not imported here)


# ---------------------------------------------------------------------------------- values → text, hash


def text_of(value: Any) -> str:
    """A value as the change history shows it."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def row_hash(values: tuple) -> int:
    """A stable signed 64-bit hash of a record's compared values (Python's hash() is salted per process).

    Taken over the record's values as written (str, int, float, bool, None; dates and JSON as
    text), whose ``repr`` is computed in C and stable. Stored in the table: changing what is hashed
    makes every row of the next re-import compare field by field once (and change nothing)."""
    digest = hashlib.blake2b(repr(values).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # json.dumps would build one per call


def json_text(value: Any) -> str:
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    return _JSON(value)


def json_memo(limit: int = 4096) -> Callable[[Any], str]:
    """``json_text`` remembering the texts of values it has seen, for values of text only (a column
    such as ``extra`` holds the same few on most rows of a file, and encoding is the costly part;
    other values could be equal but not alike, as 1 and True)."""
    memo: dict[tuple, str] = {}

    def text(value: Any) -> str:
        if not value:
            return json_text(value)
        is_dict = isinstance(value, dict)
        for item in value.values() if is_dict else value:
            if type(item) is not str:
                return json_text(value)
        key = (True, *value.items()) if is_dict else (False, *value)
        found = memo.get(key)
        if found is None:
            found = json_text(value)
            if len(memo) < limit:
                memo[key] = found
        return found

    return text


def iso_or_none(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date_or_none(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


# ---------------------------------------------------------------------------------- canonical → columns


def _resident_columns(values: dict[str, Any], municipality_code: str) -> dict[str, Any]:
    status = values.get("status") or RESIDENT
    my_number = values.get("my_number") or ""
    name = values.get("name") or ""
    return {
        "atena_no": values["atena_no"],
        "household_no": values.get("household_no") or "",
        "name": name,
        "name_raw": values.get("name_raw") or name,
        "name_kana": values.get("name_kana") or "",
        "name_key": values.get("name_key") or "",
        "kana_key": values.get("kana_key") or "",
        "birth_date": values.get("birth_date"),
        "birth_date_raw": values.get("birth_date_raw") or "",
        "birth_date_unknown": bool(values.get("birth_date_unknown")),
        "sex": values.get("sex") or "",
        "relationship": values.get("relationship") or "",
        "is_householder": bool(values.get("is_householder")),
        "address": values.get("address") or "",
        "address_key": values.get("address_key") or "",
        "address_code": values.get("address_code") or "",
        "postal_code": values.get("postal_code") or "",
        "phone": values.get("phone") or "",
        "moved_in_on": values.get("moved_in_on"),
        "status": status,
        "status_reason": values.get("status_reason") or "",
        "status_since": values.get("status_since"),
        "has_gaiji": bool(values.get("has_gaiji")),
        # hashed in clear (so an unchanged number is unchanged), stored encrypted
        "my_number_cipher": my_number,
        "extra": values.get("extra") or {},
    }


def _dwelling_columns(values: dict[str, Any], _code: str) -> dict[str, Any]:
    return {
        "house_no": values["house_no"],
        "location": values.get("location") or "",
        "location_key": values.get("location_key") or values.get("address_key") or "",
        "lot_no": values.get("lot_no") or "",
        "building_name": values.get("building_name") or "",
        "owner_atena_no": values.get("owner_atena_no") or "",
        "co_owner_atena_nos": list(values.get("co_owner_atena_nos") or []),
        "usage": values.get("usage") or "",
        "structure": values.get("structure") or "",
        "floors": values.get("floors"),
        "floor_area": values.get("floor_area"),
        "built_on": values.get("built_on"),
        "lon": values.get("lon"),
        "lat": values.get("lat"),
        "extra": values.get("extra") or {},
    }


def _land_columns(values: dict[str, Any], _code: str) -> dict[str, Any]:
    return {
        "lot_no": values["lot_no"],
        "location": values.get("location") or "",
        "owner_atena_no": values.get("owner_atena_no") or "",
        "land_category": values.get("land_category") or "",
        "area": values.get("area"),
        "extra": values.get("extra") or {},
    }


def _tax_columns(values: dict[str, Any], _code: str) -> dict[str, Any]:
    return {
        "atena_no": values["atena_no"],
        "fiscal_year": int(values["fiscal_year"]),
        "total_income": values.get("total_income"),
        "taxable": values.get("taxable"),
        "household_no": values.get("household_no") or "",
        "extra": values.get("extra") or {},
    }


def _address_columns(values: dict[str, Any], _code: str) -> dict[str, Any]:
    block = str(values.get("block") or "")
    level = values["level"]
    return {
        "level": level,
        "match_key": values.get("match_key") or point_key(values.get("town") or "", block, level),
        "prefecture": values.get("prefecture") or "",
        "city": values.get("city") or "",
        "town": values.get("town") or "",
        "block": block,
        "town_code": values.get("town_code") or "",
        "lat": values["lat"],
        "lon": values["lon"],
    }


@dataclass(frozen=True)
class RecordShape:
    """How the canonical rows of one kind become records of one table."""

    to_columns: Callable[[dict[str, Any], str], dict[str, Any]]
    columns: tuple[str, ...]  # the record's columns (keys of to_columns' dict, in its order); row hash follows
    key_fields: tuple[str, ...]  # identify a row within the municipality
    compared: tuple[str, ...]  # a change of these is a 異動 (compared by hash, recorded by field)
    secret: tuple[str, ...] = ()  # encrypted; never written to the change history in clear
    dates: tuple[str, ...] = ()  # sent as ISO text
    json: tuple[str, ...] = ()  # sent as JSON text

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def compared_of(self) -> Callable[[tuple], tuple]:
        """The record's compared values, as a tuple (what ``row_hash`` takes). A secret column is
        compared by the keyed fingerprint the reader appends after the columns (its ciphertext
        differs at every encryption)."""
        width = len(self.columns)
        return operator.itemgetter(*(width if c in self.secret else self.index(c) for c in self.compared))

    def decode(self, record: tuple) -> dict[str, Any]:
        """A record back to Python values (for the few rows a diff updates)."""
        values = dict(zip(self.columns, record))
        for column in self.dates:
            values[column] = _date_or_none(values[column])
        for column in self.json:
            values[column] = json.loads(values[column])
        return values


_DERIVED = {"name_key", "kana_key", "address_key"}
_RESIDENT = tuple(_resident_columns({"atena_no": ""}, ""))
_DWELLING = tuple(_dwelling_columns({"house_no": ""}, ""))
SHAPES: dict[str, RecordShape] = {
    "residents": RecordShape(
        _resident_columns,
        _RESIDENT,
        ("atena_no",),
        tuple(c for c in _RESIDENT[1:] if c not in _DERIVED),
        secret=("my_number_cipher",),
        dates=("birth_date", "moved_in_on", "status_since"),
        json=("extra",),
    ),
    "dwellings": RecordShape(
        _dwelling_columns,
        _DWELLING,
        ("house_no",),
        tuple(c for c in _DWELLING[1:] if c != "location_key"),
        dates=("built_on",),
        json=("co_owner_atena_nos", "extra"),
    ),
    "land": RecordShape(
        _land_columns,
        ("lot_no", "location", "owner_atena_no", "land_category", "area", "extra"),
        ("lot_no",),
        ("location", "owner_atena_no", "land_category", "area", "extra"),
        json=("extra",),
    ),
    "tax": RecordShape(
        _tax_columns,
        ("atena_no", "fiscal_year", "total_income", "taxable", "household_no", "extra"),
        ("atena_no", "fiscal_year"),
        ("total_income", "taxable", "household_no", "extra"),
        json=("extra",),
    ),
    "addresses": RecordShape(
        _address_columns,
        ("level", "match_key", "prefecture", "city", "town", "block", "town_code", "lat", "lon"),
        ("level", "match_key"),
        ("prefecture", "city", "town", "block", "town_code", "lat", "lon"),
    ),
}


# ---------------------------------------------------------------------------------- messages


@dataclass
class RowsBatch:
    index: int  # the batch's number in the file (rows index*RECORD_BATCH onwards)
    rows: int  # rows read so far (for the progress bar)
    records: list[tuple]
    issues: list[Any]  # importers.pipeline.Issue, the first MAX_STORED_ISSUES of the file
    invalid: int  # from a reader: this batch's; from ``read_batches``: running totals of the file
    warnings: int


@dataclass
class ReadDone:
    rows: int
    valid: int
    invalid: int
    warnings: int
    issues_total: int = 0


@dataclass
class _ReaderFailed:
    type_name: str
    message: str
    pickled: bytes | None = None


# ---------------------------------------------------------------------------------- producing records


def record_maker(kind: str, municipality_code: str) -> Callable[[list[dict[str, Any]]], list[tuple]]:
    """Canonical row values (``Row.values``) → records: the table's columns in ``columns`` order,
    then the row hash."""
    shape = SHAPES[kind]
    to_columns = shape.to_columns
    compared_of = shape.compared_of()
    fixes = [(shape.index(c), iso_or_none) for c in shape.dates] + [(shape.index(c), json_memo()) for c in shape.json]
    secret = shape.index(shape.secret[0]) if shape.secret else None
    first_key = shape.key_fields[0]

    def make(batch: list[dict[str, Any]]) -> list[tuple]:
        records = []
        for row_values in batch:
            values = to_columns(row_values, municipality_code)
            record = list(values.values())  # the dicts are built in ``columns`` order
            for index, fix in fixes:
                record[index] = fix(record[index])
            if secret is not None:
                # compared by a keyed fingerprint in the hash's place (a ciphertext differs every time)
                clear = record[secret]
                if clear:
                    context = f"{municipality_code}:{values[first_key]}"
                    record[secret] = mynumber.encrypt(clear, context)
                    record.append(mynumber.fingerprint(clear, context))
                else:
                    record.append("")
                record[-1] = row_hash(compared_of(record))
            else:
                record.append(row_hash(compared_of(record)))
            records.append(tuple(record))
        return records

    return make


def produce(
    path: Path,
    layout: Any,
    gaiji_map: Mapping[str, str],
    kind: str,
    on_error: str,
    municipality_code: str,
    share: Any = None,
) -> Iterator[RowsBatch | ReadDone]:
    """Read ``path`` (this reader's ``share`` of its rows: ``importers.pipeline.Share``) and yield
    the records of its valid rows, a batch of ``RECORD_BATCH`` file rows at a time.

    With ``on_error="abort"``, records stop at the first invalid row (nothing will be written);
    the rest of the file is still read for the report."""
    share = share or Share(block=RECORD_BATCH)
    block = share.block
    make = record_maker(kind, municipality_code)
    valid = invalid = warnings = issues_total = 0
    batch: int | None = None
    rows: list[dict[str, Any]] = []
    issues: list[Any] = []
    batch_invalid = batch_warnings = 0
    writing = True
    reader = read_rows(path, layout, gaiji_map=gaiji_map, share=share)
    try:
        for row in reader:
            index = (reader.rows - 1) // block
            if index != batch:
                if batch is not None:
                    yield RowsBatch(batch, (batch + 1) * block, make(rows), issues, batch_invalid, batch_warnings)
                    invalid, warnings = invalid + batch_invalid, warnings + batch_warnings
                batch, rows, issues, batch_invalid, batch_warnings = index, [], [], 0, 0
            has_error = False
            for issue in row.issues:
                if issue.severity == "error":
                    has_error = True
                else:
                    batch_warnings += 1
                issues_total += 1
                if issues_total <= MAX_STORED_ISSUES:
                    issues.append(issue)
            if has_error:
                batch_invalid += 1
                if on_error == "abort":
                    writing = False
                    rows = []
            else:
                valid += 1
                if writing:
                    rows.append(row.values)
        total = reader.rows
    finally:
        reader.close()
    if batch is not None:
        yield RowsBatch(batch, min((batch + 1) * block, total), make(rows), issues, batch_invalid, batch_warnings)
        invalid, warnings = invalid + batch_invalid, warnings + batch_warnings
    yield ReadDone(total, valid, invalid, warnings, issues_total)


# ---------------------------------------------------------------------------------- in other processes


def _reader_main(stream: Any, args: tuple) -> None:
    """A reader process: pickle every message to ``stream``; stop quietly when the importer has gone."""
    try:
        for message in produce(*args):
            pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
            stream.flush()
    except (BrokenPipeError, ConnectionResetError):
        return
    except BaseException as exc:  # noqa: BLE001  (sent to the importer, which raises it)
        try:
            pickled = pickle.dumps(exc)
        except Exception:  # noqa: BLE001
            pickled = None
        try:
            pickle.dump(_ReaderFailed(type(exc).__name__, str(exc), pickled), stream)
            stream.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def reader_process_entry() -> None:
    """``python -c`` entry of a reader process: arguments pickled on stdin, messages on stdout."""
    args = pickle.load(sys.stdin.buffer)
    sys.stdin.close()
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the message stream
    _reader_main(out, args)
    out.close()


class ReaderGone(RuntimeError):
    """A reader process ended without finishing the file."""


def choose_mode(path: Path, mode: str = "auto") -> str:
    """``process`` or ``inline``; ``VS_IMPORT_READER`` overrides ``auto`` (tests and benchmarks)."""
    if mode == "auto":
        mode = Settings.from_env().import_reader
    if mode not in READER_MODES:
        raise ValueError(f"reader mode must be one of {', '.join(READER_MODES)}")
    if mode == "auto":
        return "process" if path.stat().st_size >= PARALLEL_FROM_BYTES else "inline"
    return mode


def reader_count(layout: Any) -> int:
    """Reader processes for a large file: two when the rows can be shared (``importers.pipeline.
    can_share``). Each reads every line (cheap) and converts half of the rows (the costly part);
    the importing process writes. More readers would not help on the 2 cores a town hall's server
    usually has, and each holds the file's keys for the duplicate check."""
    return 2 if can_share(layout) and (os.cpu_count() or 1) > 1 else 1


def read_batches(
    path: Path,
    layout: Any,
    gaiji_map: Mapping[str, str],
    kind: str,
    municipality_code: str,
    on_error: str,
    mode: str = "auto",
) -> Iterator[RowsBatch | ReadDone]:
    """Batches of records in file order, read in this process or by reader processes (see
    ``choose_mode``); ``RowsBatch.invalid``/``warnings`` are running totals of the file."""
    args = (path, layout, dict(gaiji_map), kind, on_error, municipality_code)
    if choose_mode(path, mode) == "inline":
        yield from _merged([produce(*args, Share(block=RECORD_BATCH))])
        return
    parts = reader_count(layout)
    readers = []
    try:
        for part in range(parts):
            readers.append(_ReaderProcess((*args, Share(part, parts, RECORD_BATCH))))
        yield from _merged([reader.messages() for reader in readers])
    finally:
        for reader in readers:
            reader.stop()


def _merged(streams: list[Iterator[RowsBatch | ReadDone]]) -> Iterator[RowsBatch | ReadDone]:
    """The readers' batches in file order (reader k has batches k, k + n, …), with running totals;
    one ``ReadDone`` for the file. A reader's ``ReadDone`` where its next batch was due means the
    file has no more rows; every other reader must then be done too."""
    parts = len(streams)
    invalid = warnings = stored = 0
    done: list[ReadDone | None] = [None] * parts
    index = 0
    while True:
        part = index % parts
        message = next(streams[part])
        if isinstance(message, ReadDone):
            done[part] = message
            break
        if message.index != index:
            raise ReaderGone(f"読込プロセスの順序が乱れました（{index} 番目のはずが {message.index} 番目）")
        invalid, warnings = invalid + message.invalid, warnings + message.warnings
        message.invalid, message.warnings = invalid, warnings
        room = MAX_STORED_ISSUES - stored
        if len(message.issues) > room:
            message.issues = message.issues[: max(room, 0)]
        stored += len(message.issues)
        yield message
        index += 1
    for part, stream in enumerate(streams):
        if done[part] is None:
            message = next(stream)
            if not isinstance(message, ReadDone):
                raise ReaderGone("読込プロセスがファイルの終わりの後に行を送りました")
            done[part] = message
    rows = done[0].rows
    totals = [sum(getattr(d, name) for d in done) for name in ("valid", "invalid", "warnings", "issues_total")]
    yield ReadDone(rows, *totals)


_SETPIPE_SZ = 1031  # fcntl F_SETPIPE_SZ (Linux): a larger pipe lets a reader run a batch ahead


class _ReaderProcess:
    """One reader process (a plain child interpreter, not multiprocessing: it needs nothing from the
    caller's __main__, and it is not a fork of a process with threads and open connections)."""

    def __init__(self, args: tuple) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from ledgers.registry.import_reader import reader_process_entry as e; e()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            bufsize=1 << 16,
        )
        try:
            import fcntl

            fcntl.fcntl(self.process.stdout.fileno(), _SETPIPE_SZ, 1 << 20)
        except (ImportError, OSError):
            pass
        pickle.dump(args, self.process.stdin)
        self.process.stdin.close()

    def messages(self) -> Iterator[RowsBatch | ReadDone]:
        process = self.process
        while True:
            try:
                message = pickle.load(process.stdout)
            except (EOFError, pickle.UnpicklingError):
                process.wait(timeout=10)
                raise ReaderGone(
                    f"ファイルの読込プロセスが途中で終了しました（終了コード {process.returncode}）"
                ) from None
            if isinstance(message, _ReaderFailed):
                if message.pickled is not None:
                    try:
                        error = pickle.loads(message.pickled)
                    except Exception:  # noqa: BLE001
                        error = None
                    if isinstance(error, BaseException):
                        raise error
                raise ReaderGone(f"{message.type_name}: {message.message}")
            yield message
            if isinstance(message, ReadDone):
                return

    def stop(self) -> None:
        """Close the pipe (a reader still writing stops at its next write) and reap the process."""
        process = self.process
        process.stdout.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
