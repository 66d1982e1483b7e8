"""Import a peacetime ledger file into the database: a diff (異動) against what is there.

The file is read by ``importers.pipeline.read_rows`` (layout-driven, database-free); this module
owns the transaction. One import is one transaction: an ``abort`` import with any invalid row, a
dry run, a crash or a kill leave the ledgers exactly as before. Only the ``ImportRun`` record (and
its report) is written apart, so an interrupted run can still be seen.

A re-import of a newer full extract adds new rows, updates changed ones (recording every changed
field in ``RegisterChange`` with the run), marks residents missing from the extract as removed
(never deletes them), and never touches the victim ledgers' snapshots. The same file twice
changes nothing: rows are compared by a hash of their imported values.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select, update
from sqlmodel import Session

from ledgers.clock import utcnow
from ledgers.registry import mynumber
from ledgers.registry.models import (
    AddressPoint,
    Dwelling,
    GaijiMapping,
    ImportIssue,
    ImportRun,
    Land,
    RegisteredHousehold,
    RegisterChange,
    Resident,
    ResidentStatus,
    TaxRecord,
)

KINDS = ("residents", "dwellings", "land", "tax", "addresses")
BATCH = 5000
PROGRESS_EVERY = 10_000
MAX_STORED_ISSUES = 10_000
HIDDEN = "（非表示）"  # what the change history shows for a 個人番号


class ImportRefused(Exception):
    """The file cannot be imported as it is (abort mode with invalid rows, or an unreadable layout)."""


@dataclass
class ImportOutcome:
    run_id: int
    status: str  # succeeded | refused | checked (dry run) | failed
    counts: dict[str, int]
    issues: list[Any] = field(default_factory=list)  # the first issues (importers.pipeline.Issue)
    unmatched_addresses: list[str] = field(default_factory=list)
    message: str = ""


# ---------------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class KindSpec:
    """How the canonical rows of one kind land in one table."""

    table: Table
    entity: str  # name used in RegisterChange
    key_fields: tuple[str, ...]  # canonical fields that identify a row within the municipality
    compared: tuple[str, ...]  # columns whose change is a 異動 (compared by hash, recorded by field)
    secret: frozenset[str] = frozenset()  # columns never written to the change history in clear


RESIDENT_COLUMNS = (
    "household_no", "name", "name_raw", "name_kana", "name_key", "kana_key", "birth_date", "birth_date_raw",
    "birth_date_unknown", "sex", "relationship", "is_householder", "address", "address_key", "address_code",
    "postal_code", "phone", "moved_in_on", "status", "status_reason", "status_since", "has_gaiji", "my_number_cipher",
    "extra",
)
SPECS: dict[str, KindSpec] = {
    "residents": KindSpec(
        Resident.__table__, "resident", ("atena_no",),
        tuple(c for c in RESIDENT_COLUMNS if c not in {"name_key", "kana_key", "address_key"}),
        frozenset({"my_number_cipher"}),
    ),
    "dwellings": KindSpec(
        Dwelling.__table__, "dwelling", ("house_no",),
        ("location", "lot_no", "building_name", "owner_atena_no", "co_owner_atena_nos", "usage", "structure", "floors",
         "floor_area", "built_on", "lon", "lat", "extra"),
    ),
    "land": KindSpec(
        Land.__table__, "land", ("lot_no",), ("location", "owner_atena_no", "land_category", "area", "extra"),
    ),
    "tax": KindSpec(
        TaxRecord.__table__, "tax_record", ("atena_no", "fiscal_year"),
        ("total_income", "taxable", "household_no", "extra"),
    ),
    "addresses": KindSpec(
        AddressPoint.__table__, "address_point", ("level", "match_key"),
        ("prefecture", "city", "town", "block", "town_code", "lat", "lon"),
    ),
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def row_hash(values: Iterable[Any]) -> int:
    """A stable signed 64-bit hash of the compared values (Python's hash() is salted per process).

    ``repr`` of the tuple is computed in C and is stable for the value types a row holds (str,
    int, float, bool, None, date, and dicts/lists built in column order)."""
    digest = hashlib.blake2b(repr(tuple(values)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# ---------------------------------------------------------------------------------- canonical -> columns


def _resident_columns(values: dict[str, Any], municipality_code: str) -> dict[str, Any]:
    status = values.get("status") or ResidentStatus.resident
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
        # hashed in clear below (so an unchanged number is unchanged), stored encrypted
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
    from ledgers.registry.geocoding import point_key

    block = str(values.get("block") or "")
    return {
        "level": values["level"],
        "match_key": values.get("match_key") or point_key(values.get("town") or "", block, values["level"]),
        "prefecture": values.get("prefecture") or "",
        "city": values.get("city") or "",
        "town": values.get("town") or "",
        "block": block,
        "town_code": values.get("town_code") or "",
        "lat": values["lat"],
        "lon": values["lon"],
    }


TO_COLUMNS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "residents": _resident_columns,
    "dwellings": _dwelling_columns,
    "land": _land_columns,
    "tax": _tax_columns,
    "addresses": _address_columns,
}


# ---------------------------------------------------------------------------------- bulk writes


def _bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows fast: PostgreSQL COPY, SQLite executemany of prepared tuples."""
    if not rows:
        return
    connection = session.connection()
    columns = list(rows[0].keys())
    json_columns = {c.name for c in table.c if c.type.__class__.__name__ == "JSON"}
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        names = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(
                    [json.dumps(row[c], ensure_ascii=False) if c in json_columns else row[c] for c in columns]
                )
        return
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    # Build each tuple in C (itemgetter), then convert only the few columns sqlite3 cannot take as
    # they are: JSON, dates and timestamps (timestamps are usually one shared value: convert once).
    getter = operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    fixes = []
    for index, name in enumerate(columns):
        sample = next((row[name] for row in rows if row[name] is not None), None)
        if name in json_columns:
            fixes.append((index, _json_text))
        elif isinstance(sample, datetime):
            fixes.append((index, _sqlite_timestamp))
        elif isinstance(sample, date):
            fixes.append((index, _iso_or_none))
    prepared = []
    for row in rows:
        values = getter(row)
        if fixes:
            values = list(values)
            for index, fix in fixes:
                values[index] = fix(values[index])
        prepared.append(values)
    raw.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', prepared)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _iso_or_none(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@lru_cache(maxsize=64)
def _sqlite_timestamp(value: datetime | None) -> str | None:
    # the format SQLAlchemy itself writes for SQLite DateTime columns (naive UTC)
    return None if value is None else value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _bulk_update(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """UPDATE rows by id (a few percent of the file in a diff import)."""
    if not rows:
        return
    from sqlalchemy import bindparam

    columns = [c for c in rows[0] if c != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({c: bindparam(f"_v_{c}") for c in columns})
    )
    params = [{"_id": row["id"], **{f"_v_{c}": row[c] for c in columns}} for row in rows]
    session.connection().execute(statement, params)


# ---------------------------------------------------------------------------------- the run


def gaiji_map_of(session: Session, municipality_id: int) -> dict[str, str]:
    rows = session.execute(
        select(GaijiMapping.code_point, GaijiMapping.replacement).where(GaijiMapping.municipality_id == municipality_id)
    ).all()
    return {chr(int(code, 16)): replacement for code, replacement in rows}


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def start_run(
    session: Session, municipality_id: int, kind: str, layout_name: str, path: Path, *,
    on_error: str, dry_run: bool, user_id: int | None,
) -> ImportRun:
    """The run record, committed at once so that an interrupted import leaves a trace."""
    run = ImportRun(
        municipality_id=municipality_id, kind=kind, layout_name=layout_name, file_name=path.name,
        file_sha256=_file_digest(path), file_size=path.stat().st_size, on_error=on_error, dry_run=dry_run,
        status="running", host=socket.gethostname(), pid=os.getpid(), started_by_id=user_id,
    )
    session.add(run)
    session.commit()
    return run


def run_status(run: ImportRun) -> str:
    """``interrupted`` for a run that says running but whose process on this host is gone."""
    if run.status != "running" or run.host != socket.gethostname() or run.pid is None:
        return run.status
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return "interrupted"
    except PermissionError:
        return run.status
    return run.status


class _Differ:
    """Compares canonical rows with the table's current rows and writes the difference."""

    def __init__(self, session: Session, spec: KindSpec, municipality_id: int, municipality_code: str, run_id: int):
        self.session, self.spec, self.mid, self.code, self.run_id = session, spec, municipality_id, municipality_code, run_id
        table = spec.table
        key_columns = [table.c[k] for k in spec.key_fields]
        self.existing: dict[tuple, tuple[int, int]] = {}
        extra_columns = [table.c.status] if spec.entity == "resident" else []
        self.status: dict[int, str] = {}
        self.has_hash = "row_hash" in table.c
        self.single_key = len(spec.key_fields) == 1
        if self.has_hash:
            for row in session.execute(
                select(table.c.id, table.c.row_hash, *extra_columns, *key_columns)
                .where(table.c.municipality_id == municipality_id)
            ):
                offset = 3 if extra_columns else 2
                self.existing[row[offset] if self.single_key else tuple(row[offset:])] = (row[0], row[1])
                if extra_columns:
                    self.status[row[0]] = row[2]
        else:  # small reference tables (address points): hash the stored values
            compared = [table.c[c] for c in spec.compared]
            for row in session.execute(
                select(table.c.id, *key_columns, *compared).where(table.c.municipality_id == municipality_id)
            ):
                keys = len(key_columns)
                key = row[1] if self.single_key else tuple(row[1 : 1 + keys])
                self.existing[key] = (row[0], row_hash(row[1 + keys :]))
        self.seen: set[tuple] = set()
        self.inserts: list[dict[str, Any]] = []
        self.changed: list[tuple[int, dict[str, Any]]] = []
        self.counts = {"added": 0, "changed": 0, "unchanged": 0}
        self.now = utcnow()

    def add(self, columns: dict[str, Any]) -> None:
        spec = self.spec
        key = columns[spec.key_fields[0]] if self.single_key else tuple(columns[k] for k in spec.key_fields)
        self.seen.add(key)
        digest = row_hash(columns[c] for c in spec.compared)
        if "my_number_cipher" in columns and columns["my_number_cipher"]:
            columns["my_number_cipher"] = mynumber.encrypt(columns["my_number_cipher"], f"{self.code}:{columns[spec.key_fields[0]]}")
        found = self.existing.get(key)
        if found is None:
            columns["municipality_id"] = self.mid
            table_columns = self.spec.table.c
            for name, value in (("row_hash", digest), ("created_at", self.now), ("updated_at", self.now),
                                ("last_run_id", self.run_id)):
                if name in table_columns:
                    columns[name] = value
            self.inserts.append(columns)
            self.counts["added"] += 1
            if len(self.inserts) >= BATCH:
                self.flush_inserts()
        elif found[1] == digest:
            self.counts["unchanged"] += 1
        else:
            columns["row_hash"] = digest
            self.changed.append((found[0], columns))
            self.counts["changed"] += 1
            if len(self.changed) >= BATCH:
                self.flush_changes()

    def flush_inserts(self) -> None:
        _bulk_insert(self.session, self.spec.table, self.inserts)
        self.inserts = []

    def flush_changes(self) -> None:
        """Record each changed field (old → new), then update the rows."""
        if not self.changed:
            return
        table, spec = self.spec.table, self.spec
        ids = [row_id for row_id, _ in self.changed]
        old_rows = {
            row.id: row
            for row in self.session.execute(select(table).where(table.c.id.in_(ids))).mappings()
        }
        changes, updates = [], []
        for row_id, new in self.changed:
            old = old_rows[row_id]
            key_text = "/".join(str(new[k]) for k in spec.key_fields)
            for column in spec.compared:
                old_value = old[column]
                new_value = new[column]
                if column in spec.secret:
                    old_plain = mynumber.decrypt(old_value, f"{self.code}:{new[spec.key_fields[0]]}") if old_value else ""
                    if old_plain == (new_value and mynumber.decrypt(new_value, f"{self.code}:{new[spec.key_fields[0]]}")):
                        continue
                    changes.append(self._change(key_text, column, HIDDEN if old_value else "", HIDDEN if new_value else ""))
                    continue
                if _text(old_value) != _text(new_value):
                    changes.append(self._change(key_text, column, _text(old_value), _text(new_value)))
            values = {c: new[c] for c in spec.compared}
            values["id"] = row_id
            if self.has_hash:
                values.update(row_hash=new["row_hash"], updated_at=self.now)
            for derived in ("name_key", "kana_key", "address_key", "location_key"):
                if derived in new and derived in table.c:
                    values[derived] = new[derived]
            if "last_run_id" in table.c:
                values["last_run_id"] = self.run_id
            updates.append(values)
        _bulk_update(self.session, table, updates)
        _bulk_insert(self.session, RegisterChange.__table__, changes)
        self.changed = []

    def _change(self, key: str, column: str, old: str, new: str) -> dict[str, Any]:
        return {
            "municipality_id": self.mid, "run_id": self.run_id, "entity": self.spec.entity, "key": key[:60],
            "field": column, "old_value": old, "new_value": new,
        }

    def finish(self) -> None:
        self.flush_inserts()
        self.flush_changes()

    def missing(self) -> list[tuple[tuple, int]]:
        return [(key, row_id) for key, (row_id, _h) in self.existing.items() if key not in self.seen]


def _mark_removed_residents(differ: _Differ, as_of: date) -> int:
    """Residents of the register who are absent from a full extract: kept, marked 消除 (never deleted)."""
    gone = [(key, row_id) for key, row_id in differ.missing() if differ.status.get(row_id) == ResidentStatus.resident]
    if not gone:
        return 0
    table = Resident.__table__
    updates = [
        {"id": row_id, "status": ResidentStatus.removed, "status_reason": "抽出データに存在しない", "status_since": as_of,
         "updated_at": differ.now, "last_run_id": differ.run_id}
        for _key, row_id in gone
    ]
    for start in range(0, len(updates), BATCH):
        _bulk_update(differ.session, table, updates[start : start + BATCH])
    changes = [differ._change(key if isinstance(key, str) else key[0], "status", ResidentStatus.resident, ResidentStatus.removed) for key, _ in gone]
    for start in range(0, len(changes), BATCH):
        _bulk_insert(differ.session, RegisterChange.__table__, changes[start : start + BATCH])
    return len(gone)


HOUSEHOLD_FIELDS = ("address", "address_key", "address_code", "postal_code", "householder_name")


def _sync_households(session: Session, municipality_id: int, run_id: int, households: dict[str, list[str]]) -> dict[str, int]:
    """The 世帯 of the register, derived from the imported residents (世帯番号 → address, householder).

    Streams in batches: a city has hundreds of thousands of 世帯."""
    table = RegisteredHousehold.__table__
    compared = ("address", "address_code", "postal_code", "householder_name")
    existing = {
        row[1]: row
        for row in session.execute(
            select(table.c.id, table.c.household_no, *(table.c[c] for c in compared))
            .where(table.c.municipality_id == municipality_id)
        )
    }
    now = utcnow()
    added = changed = 0
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for household_no, entry in households.items():
        values = dict(zip(HOUSEHOLD_FIELDS, entry))
        old = existing.get(household_no)
        if old is None:
            inserts.append({"municipality_id": municipality_id, "household_no": household_no, **values,
                            "created_at": now, "updated_at": now})
            added += 1
        else:
            diff = {k: values[k] for i, k in enumerate(compared) if (old[2 + i] or "") != values[k]}
            if diff:
                updates.append({"id": old[0], **values, "updated_at": now})
                changes.extend(
                    {"municipality_id": municipality_id, "run_id": run_id, "entity": "registered_household",
                     "key": household_no, "field": k, "old_value": old[2 + compared.index(k)] or "", "new_value": v}
                    for k, v in diff.items()
                )
                changed += 1
        if len(inserts) >= BATCH:
            _bulk_insert(session, table, inserts)
            inserts = []
        if len(updates) >= BATCH:
            _bulk_update(session, table, updates)
            updates = []
    _bulk_insert(session, table, inserts)
    _bulk_update(session, table, updates)
    for start in range(0, len(changes), BATCH):
        _bulk_insert(session, RegisterChange.__table__, changes[start : start + BATCH])
    return {"households_added": added, "households_changed": changed}


def import_file(
    session: Session,
    municipality,  # noqa: ANN001  (tenancy Municipality)
    kind: str,
    path: Path,
    layout,  # noqa: ANN001  (importers.layout.Layout)
    *,
    on_error: str = "abort",
    dry_run: bool = False,
    user_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    geocode_after: bool = True,
) -> ImportOutcome:
    """Import one file; see the module docstring. Commits (or rolls back) itself."""
    from importers.pipeline import read_rows

    if kind not in KINDS:
        raise ImportRefused(f"不明な種類です: {kind}（{', '.join(KINDS)} のいずれか）")
    if layout.kind != kind:
        raise ImportRefused(f"レイアウト {layout.name} は {layout.kind} 用です（{kind} の取込には使えません）")
    if on_error not in ("abort", "skip"):
        raise ImportRefused("--on-error は abort か skip です")
    run = start_run(session, municipality.id, kind, layout.name, path, on_error=on_error, dry_run=dry_run, user_id=user_id)
    run_id = run.id
    counts = {"rows": 0, "valid": 0, "invalid": 0, "warnings": 0}
    issues: list[Any] = []
    outcome_status, message, unmatched = "failed", "", []
    spec = SPECS[kind]
    to_columns = TO_COLUMNS[kind]
    try:
        gaiji = gaiji_map_of(session, municipality.id)
        differ = _Differ(session, spec, municipality.id, municipality.code, run_id)
        households: dict[str, list[str]] = {}
        for row in read_rows(path, layout, gaiji_map=gaiji):
            counts["rows"] += 1
            if progress is not None and counts["rows"] % PROGRESS_EVERY == 0:
                progress(counts["rows"])
            has_error = False
            for issue in row.issues:
                if issue.severity == "error":
                    has_error = True
                else:
                    counts["warnings"] += 1
                if len(issues) < MAX_STORED_ISSUES:
                    issues.append(issue)
            if has_error:
                counts["invalid"] += 1
                continue
            counts["valid"] += 1
            if counts["invalid"] and on_error == "abort":
                continue  # nothing will be written: only the report is still being built
            columns = to_columns(row.values, municipality.code)
            if kind == "residents":
                _collect_household(households, columns)
            differ.add(columns)
        if progress is not None:
            progress(counts["rows"])
        if counts["invalid"] and on_error == "abort":
            session.rollback()
            outcome_status = "refused"
            message = f"{counts['invalid']} 行に誤りがあるため、何も取り込みませんでした（--on-error skip で正しい行だけ取り込めます）"
        else:
            differ.finish()
            counts.update(differ.counts)
            counts["skipped"] = counts["invalid"]
            if kind == "residents":
                counts["removed"] = _mark_removed_residents(differ, date.today())
                counts.update(_sync_households(session, municipality.id, run_id, households))
            if kind == "addresses" or (geocode_after and kind in ("residents", "dwellings")):
                from ledgers.registry.geocoding import geocode_municipality

                geo = geocode_municipality(session, municipality.id, only=None if kind == "addresses" else kind)
                counts.update(geo.counts)
                unmatched = geo.unmatched
            if kind in ("residents", "dwellings"):
                from ledgers.registry.geocoding import relink_occupancy

                counts["occupancy_links"] = relink_occupancy(session, municipality.id)
            if dry_run:
                session.rollback()
                outcome_status = "checked"
                message = "確認のみ（dry run）: 何も書き込んでいません"
            else:
                session.commit()
                outcome_status = "succeeded"
    except Exception as exc:
        session.rollback()
        _finish_run(session, run_id, "failed", counts, issues, str(exc)[:500])
        raise
    report = list(issues)
    if unmatched and outcome_status in ("succeeded", "checked"):
        from importers.pipeline import Issue

        report.extend(
            Issue(0, "address", address, "住所が位置参照情報と一致しません（地図に表示できません）", "warning")
            for address in unmatched[: MAX_STORED_ISSUES]
        )
    _finish_run(session, run_id, outcome_status, counts, report, message)
    return ImportOutcome(run_id, outcome_status, counts, issues[:200], unmatched, message)


def _collect_household(households: dict[str, list[str]], columns: dict[str, Any]) -> None:
    """世帯番号 → [address, address_key, address_code, postal_code, householder name] (lists: compact)."""
    household_no = columns["household_no"]
    if not household_no or columns["status"] != ResidentStatus.resident:
        return
    entry = households.get(household_no)
    if entry is None:
        entry = households[household_no] = [
            columns["address"], columns["address_key"], columns["address_code"], columns["postal_code"], "",
        ]
    if columns["is_householder"]:
        entry[4] = columns["name"]
        entry[0], entry[1] = columns["address"], columns["address_key"]


def _finish_run(session: Session, run_id: int, status: str, counts: dict, issues: list, message: str) -> None:
    run = session.get(ImportRun, run_id)
    run.status, run.counts, run.message, run.finished_at = status, dict(counts), message, utcnow()
    session.add(run)
    session.flush()
    rows = [
        {"municipality_id": run.municipality_id, "run_id": run_id, "line_no": issue.line_no, "field": issue.field or "",
         "value": _text(issue.value)[:200], "reason": issue.reason[:200], "severity": issue.severity}
        for issue in issues
    ]
    for start in range(0, len(rows), BATCH):
        _bulk_insert(session, ImportIssue.__table__, rows[start : start + BATCH])
    session.commit()


def issues_of(session: Session, municipality_id: int, run_id: int) -> Iterator[ImportIssue]:
    yield from session.execute(
        select(ImportIssue)
        .where(ImportIssue.municipality_id == municipality_id, ImportIssue.run_id == run_id)
        .order_by(ImportIssue.line_no, ImportIssue.id)
    ).scalars()


def runs_of(session: Session, municipality_id: int, limit: int = 50) -> list[ImportRun]:
    return list(
        session.execute(
            select(ImportRun).where(ImportRun.municipality_id == municipality_id).order_by(ImportRun.id.desc()).limit(limit)
        ).scalars()
    )

