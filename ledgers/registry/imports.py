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

import csv
import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Index, Table, case, func, insert, literal, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core.clock import today_jst, utcnow
from core.text import readable
from importers.pipeline import Issue
from ledgers.registry import mynumber
from ledgers.registry.bulk import bulk_insert, bulk_update, insert_records
from ledgers.registry.import_reader import (
    SHAPES,
    RecordShape,
    RowsBatch,
    read_batches,
    row_hash,
    text_of,
)
from ledgers.registry.locations import geocode_municipality, relink_occupancy
from ledgers.registry.models import (
    AddressPoint,
    Dwelling,
    GaijiMapping,
    ImportIssue,
    ImportRun,
    Land,
    RegisterChange,
    RegisteredHousehold,
    Resident,
    ResidentStatus,
    TaxRecord,
)

log = logging.getLogger(__name__)
KINDS = ("residents", "dwellings", "land", "tax", "addresses")
BATCH = 5000
PROGRESS_EVERY = 10_000
MAX_STORED_ISSUES = 10_000
HIDDEN = "（非表示）"  # what the change history shows for a 個人番号


class ImportRefused(Exception):
    """The file cannot be imported as it is (abort mode with invalid rows, or an unreadable layout)."""


class ImportFailed(ImportRefused):
    """The import stopped on the file (wrong encoding, missing column, binary data …). The run is
    recorded as failed with a readable message; nothing else was written."""

    def __init__(self, run_id: int, message: str) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.message = message


@dataclass
class ImportOutcome:
    run_id: int
    status: str  # succeeded | refused | checked (dry run) | failed
    counts: dict[str, int]
    issues: list[Any] = field(default_factory=list)  # the first issues (importers.pipeline.Issue)
    unmatched_addresses: list[str] = field(default_factory=list)
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (logged; the benchmark prints them)


# ---------------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class KindSpec:
    """How the records of one kind (``import_reader.SHAPES``) land in one table."""

    table: Table
    entity: str  # name used in RegisterChange
    shape: RecordShape

    @property
    def key_fields(self) -> tuple[str, ...]:
        return self.shape.key_fields

    @property
    def compared(self) -> tuple[str, ...]:
        return self.shape.compared

    @property
    def secret(self) -> tuple[str, ...]:
        return self.shape.secret


SPECS: dict[str, KindSpec] = {
    "residents": KindSpec(Resident.__table__, "resident", SHAPES["residents"]),
    "dwellings": KindSpec(Dwelling.__table__, "dwelling", SHAPES["dwellings"]),
    "land": KindSpec(Land.__table__, "land", SHAPES["land"]),
    "tax": KindSpec(TaxRecord.__table__, "tax_record", SHAPES["tax"]),
    "addresses": KindSpec(AddressPoint.__table__, "address_point", SHAPES["addresses"]),
}


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
    session: Session,
    municipality_id: int,
    kind: str,
    layout_name: str,
    path: Path,
    *,
    on_error: str,
    dry_run: bool,
    user_id: int | None,
    file_name: str | None = None,
    file_sha256: str | None = None,
) -> ImportRun:
    """The run record, committed at once so that an interrupted import leaves a trace.
    ``file_name`` / ``file_sha256``: the name the user gave and the digest, when the caller has
    them (an upload is stored under a name of its own and hashed while it is written)."""
    run = ImportRun(
        municipality_id=municipality_id,
        kind=kind,
        layout_name=layout_name,
        file_name=(file_name or path.name)[-200:],
        file_sha256=file_sha256 or _file_digest(path),
        file_size=path.stat().st_size,
        on_error=on_error,
        dry_run=dry_run,
        status="running",
        host=socket.gethostname(),
        pid=os.getpid(),
        started_by_id=user_id,
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
    """Compares records (``import_reader``) with the table's current rows and writes the difference.

    The table's rows of the municipality are held as key → (id, hash, is a resident); each key
    found in the file is taken out, so what is left at the end is what the file no longer has."""

    def __init__(
        self, session: Session, spec: KindSpec, municipality_id: int, municipality_code: str, run_id: int
    ) -> None:
        self.session, self.spec, self.mid, self.code, self.run_id = (
            session,
            spec,
            municipality_id,
            municipality_code,
            run_id,
        )
        table, shape = spec.table, spec.shape
        key_columns = [table.c[k] for k in spec.key_fields]
        self.key_index = [shape.index(k) for k in spec.key_fields]
        self.has_hash = "row_hash" in table.c
        self.existing: dict[Any, tuple[int, int, bool]] = {}
        single = len(key_columns) == 1
        keys = len(key_columns)
        if self.has_hash:
            flag = (table.c.status == ResidentStatus.resident) if spec.entity == "resident" else literal(False)
            query = select(table.c.id, table.c.row_hash, flag, *key_columns).where(
                table.c.municipality_id == municipality_id
            )
            for row in session.execute(query.execution_options(yield_per=20_000)):
                self.existing[row[3] if single else tuple(row[3:])] = (row[0], row[1], bool(row[2]))
        else:  # small reference tables (address points): hash the stored values
            compared = [table.c[c] for c in spec.compared]
            for row in session.execute(
                select(table.c.id, *key_columns, *compared).where(table.c.municipality_id == municipality_id)
            ):
                key = row[1] if single else tuple(row[1 : 1 + keys])
                self.existing[key] = (row[0], row_hash(tuple(row[1 + keys :])), False)
        # 世帯番号 whose members were added, changed or removed: only these 世帯 are derived again
        # (None: every 世帯, after a first load)
        self.household_at = shape.index("household_no") if spec.entity == "resident" else None
        self.touched: set[str] | None = None if not self.existing else set()
        self.inserts: list[tuple] = []  # records with their hash appended
        self.changed: list[tuple[int, tuple]] = []
        self.counts = {"added": 0, "changed": 0, "unchanged": 0}
        self.now = utcnow()
        self.constants = {
            name: value
            for name, value in (
                ("municipality_id", municipality_id),
                ("created_at", self.now),
                ("updated_at", self.now),
                ("last_run_id", run_id),
            )
            if name in table.c
        }

    def add_batch(self, records: list[tuple]) -> None:
        """Records as ``import_reader`` makes them: the columns, then the row hash."""
        existing, counts = self.existing, self.counts
        if not existing:  # a first import (or every known row already matched): all new
            self.inserts.extend(records)
            counts["added"] += len(records)
        else:
            index = self.key_index
            first = index[0]
            for record in records:
                key = record[first] if len(index) == 1 else tuple(record[i] for i in index)
                found = existing.pop(key, None)
                if found is None:
                    self.inserts.append(record)
                    counts["added"] += 1
                    if self.household_at is not None and self.touched is not None:
                        self.touched.add(record[self.household_at])
                elif found[1] == record[-1]:
                    counts["unchanged"] += 1
                else:
                    self.changed.append((found[0], record))
                    counts["changed"] += 1
        if len(self.inserts) >= BATCH:
            self.flush_inserts()
        if len(self.changed) >= BATCH:
            self.flush_changes()

    def flush_inserts(self) -> None:
        if not self.inserts:
            return
        columns = self.spec.shape.columns
        records = self.inserts
        if self.has_hash:
            columns = (*columns, "row_hash")
        else:
            records = [record[:-1] for record in records]
        insert_records(self.session, self.spec.table, columns, records, self.constants)
        self.inserts = []

    def flush_changes(self) -> None:
        """Record each changed field (old → new), then update the rows."""
        if not self.changed:
            return
        table, spec = self.spec.table, self.spec
        ids = [row_id for row_id, _ in self.changed]
        old_rows = {row.id: row for row in self.session.execute(select(table).where(table.c.id.in_(ids))).mappings()}
        changes, updates = [], []
        for row_id, record in self.changed:
            new = spec.shape.decode(record[:-1])
            old = old_rows[row_id]
            if self.household_at is not None and self.touched is not None:
                self.touched.update((old["household_no"], new["household_no"]))
            key_text = "/".join(str(new[k]) for k in spec.key_fields)
            context = f"{self.code}:{new[spec.key_fields[0]]}"
            for column in spec.compared:
                old_value = old[column]
                new_value = new[column]
                if column in spec.secret:
                    old_plain = mynumber.decrypt(old_value, context) if old_value else ""
                    if old_plain == (new_value and mynumber.decrypt(new_value, context)):
                        continue
                    changes.append(
                        self._change(key_text, column, HIDDEN if old_value else "", HIDDEN if new_value else "")
                    )
                    continue
                if text_of(old_value) != text_of(new_value):
                    changes.append(self._change(key_text, column, text_of(old_value), text_of(new_value)))
            values = {c: new[c] for c in spec.compared}
            values["id"] = row_id
            if self.has_hash:
                values.update(row_hash=record[-1], updated_at=self.now)
            for derived in ("name_key", "kana_key", "address_key", "location_key"):
                if derived in new and derived in table.c:
                    values[derived] = new[derived]
            if "last_run_id" in table.c:
                values["last_run_id"] = self.run_id
            updates.append(values)
        bulk_update(self.session, table, updates)
        bulk_insert(self.session, RegisterChange.__table__, changes)
        self.changed = []

    def _change(self, key: str, column: str, old: str, new: str) -> dict[str, Any]:
        return {
            "municipality_id": self.mid,
            "run_id": self.run_id,
            "entity": self.spec.entity,
            "key": key[:60],
            "field": column,
            "old_value": old,
            "new_value": new,
        }

    def finish(self) -> None:
        self.flush_inserts()
        self.flush_changes()

    def missing(self, residents_only: bool = False) -> list[tuple[Any, int]]:
        """(key, id) of the rows the file did not have."""
        return [(key, found[0]) for key, found in self.existing.items() if found[2] or not residents_only]


# Files at least this large into an empty table: build the table's search indexes after the load.
DEFER_INDEXES_FROM_BYTES = 8 << 20


def _defer_indexes(session: Session, table: Table) -> list[Index]:
    """Before a first load into an empty table, drop its non-unique indexes; ``_restore_indexes``
    builds them again before the commit. Sorting a million keys once is several times faster than
    inserting them one by one. DDL is transactional on both databases: a failed or killed import
    leaves the indexes as they were. On PostgreSQL the drop locks the (empty) table until the
    commit; if another transaction is using it, the load simply keeps the indexes."""
    if session.execute(select(literal(1)).select_from(table).limit(1)).first() is not None:
        return []
    indexes = [index for index in table.indexes if not index.unique]
    if not indexes:
        return []
    try:
        with session.begin_nested():
            connection = session.connection()
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL lock_timeout = '3s'")
            for index in indexes:
                index.drop(connection)
    except OperationalError:
        return []
    finally:
        if session.connection().dialect.name == "postgresql":
            session.connection().exec_driver_sql("SET LOCAL lock_timeout = 0")
    return indexes


def _restore_indexes(session: Session, indexes: list[Index]) -> None:
    connection = session.connection()
    for index in indexes:
        index.create(connection)


def _mark_removed_residents(differ: _Differ, as_of: date) -> int:
    """Residents of the register who are absent from a full extract: kept, marked 消除 (never deleted)."""
    gone = differ.missing(residents_only=True)
    if not gone:
        return 0
    table = Resident.__table__
    updates = [
        {
            "id": row_id,
            "status": ResidentStatus.removed,
            "status_reason": "抽出データに存在しない",
            "status_since": as_of,
            "updated_at": differ.now,
            "last_run_id": differ.run_id,
        }
        for _key, row_id in gone
    ]
    for start in range(0, len(updates), BATCH):
        bulk_update(differ.session, table, updates[start : start + BATCH])
    if differ.touched is not None:
        ids = [row_id for _key, row_id in gone]
        for start in range(0, len(ids), BATCH):
            differ.touched.update(
                differ.session.execute(
                    select(table.c.household_no).where(table.c.id.in_(ids[start : start + BATCH]))
                ).scalars()
            )
    changes = [
        differ._change(
            key if isinstance(key, str) else key[0], "status", ResidentStatus.resident, ResidentStatus.removed
        )
        for key, _ in gone
    ]
    for start in range(0, len(changes), BATCH):
        bulk_insert(differ.session, RegisterChange.__table__, changes[start : start + BATCH])
    return len(gone)


HOUSEHOLD_FIELDS = ("address", "address_key", "address_code", "postal_code", "householder_name")


def _derived_households(municipality_id: int, only: list[str] | None = None):  # noqa: ANN202  (a SELECT)
    """The 世帯 as the residents say after the import: one row per 世帯番号 of the people living
    here, with the householder's address and name (or, without a householder, the first member's
    address and no name)."""
    table = Resident.__table__
    ranked = (
        select(
            table.c.household_no,
            table.c.address,
            table.c.address_key,
            table.c.address_code,
            table.c.postal_code,
            case((table.c.is_householder, table.c.name), else_=literal("")).label("householder_name"),
            func.row_number()
            .over(partition_by=table.c.household_no, order_by=(table.c.is_householder.desc(), table.c.id))
            .label("rank"),
        )
        .where(
            # for a few 世帯, reach them by the 世帯番号 index (``+ 0`` keeps SQLite off the municipality's)
            (table.c.municipality_id + 0 if only is not None else table.c.municipality_id) == municipality_id,
            table.c.status == ResidentStatus.resident,
            table.c.household_no != "",
            *([table.c.household_no.in_(only)] if only is not None else []),
        )
        .subquery()
    )
    return select(ranked.c.household_no, *(ranked.c[c] for c in HOUSEHOLD_FIELDS)).where(ranked.c.rank == 1)


def _sync_households(
    session: Session,
    municipality_id: int,
    run_id: int,
    only: set[str] | None = None,
    defer_indexes: bool = False,
) -> dict[str, int]:
    """Bring the 世帯 table (registered_household) in line with the residents, in the database.

    ``only``: the 世帯番号 whose members changed (a re-import); None: all. A first load is one
    INSERT … SELECT; otherwise the derived 世帯 are compared and each changed field is recorded as
    a 異動."""
    if only is not None:
        sync = _HouseholdSync(session, municipality_id, run_id, only=[])
        numbers = sorted(number for number in only if number)
        for start in range(0, len(numbers), 1000):
            chunk = numbers[start : start + 1000]
            sync.load_existing(chunk)
            sync.add((row[0], list(row[1:])) for row in session.execute(_derived_households(municipality_id, chunk)))
        return sync.counts()
    sync = _HouseholdSync(session, municipality_id, run_id)
    derived = _derived_households(municipality_id)
    if not sync.existing:
        table = sync.table
        now = literal(sync.now, type_=table.c.created_at.type)
        subquery = derived.subquery()
        deferred = _defer_indexes(session, table) if defer_indexes else []
        postgres = session.connection().dialect.name == "postgresql"
        if postgres:  # sort the residents by 世帯番号 in memory, not in temporary files
            session.connection().exec_driver_sql("SET LOCAL work_mem = '256MB'")
        result = session.execute(
            insert(table).from_select(
                ["municipality_id", "household_no", *HOUSEHOLD_FIELDS, "created_at", "updated_at"],
                select(literal(municipality_id), *subquery.c, now, now),
            )
        )
        if postgres:
            session.connection().exec_driver_sql("SET LOCAL work_mem TO DEFAULT")
        _restore_indexes(session, deferred)
        sync.added = result.rowcount or 0
        return sync.counts()
    rows = session.execute(derived.execution_options(yield_per=20_000))
    while chunk := rows.fetchmany(20_000):
        sync.add((row[0], list(row[1:])) for row in chunk)
    return sync.counts()


class _HouseholdSync:
    """Compares derived 世帯 (世帯番号 → address, householder) with the 世帯 table and writes the difference."""

    compared = ("address", "address_code", "postal_code", "householder_name")

    def __init__(self, session: Session, municipality_id: int, run_id: int, only: list[str] | None = None) -> None:
        self.session, self.mid, self.run_id = session, municipality_id, run_id
        self.table = RegisteredHousehold.__table__
        self.existing: dict[str, Any] = {}
        self.now = utcnow()
        self.added = self.changed = 0
        if only is None:
            self.load_existing(None)

    def load_existing(self, only: list[str] | None) -> None:
        """The stored 世帯 (all, or those numbered in ``only``) to compare with."""
        table = self.table
        query = select(table.c.id, table.c.household_no, *(table.c[c] for c in self.compared)).where(
            table.c.municipality_id == self.mid
        )
        if only is not None:
            query = query.where(table.c.household_no.in_(only))
        self.existing = {row[1]: row for row in self.session.execute(query.execution_options(yield_per=20_000))}

    def add(self, items: Iterable[tuple[str, list[str]]]) -> None:
        compared, now, mid = self.compared, self.now, self.mid
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for household_no, entry in items:
            values = dict(zip(HOUSEHOLD_FIELDS, (value or "" for value in entry)))
            old = self.existing.pop(household_no, None)
            if old is None:
                inserts.append(
                    {
                        "municipality_id": mid,
                        "household_no": household_no,
                        **values,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                self.added += 1
                continue
            diff = {k: values[k] for i, k in enumerate(compared) if (old[2 + i] or "") != values[k]}
            if diff:
                updates.append({"id": old[0], **values, "updated_at": now})
                changes.extend(
                    {
                        "municipality_id": mid,
                        "run_id": self.run_id,
                        "entity": "registered_household",
                        "key": household_no,
                        "field": k,
                        "old_value": old[2 + compared.index(k)] or "",
                        "new_value": v,
                    }
                    for k, v in diff.items()
                )
                self.changed += 1
        for start in range(0, len(inserts), BATCH):
            bulk_insert(self.session, self.table, inserts[start : start + BATCH])
        for start in range(0, len(updates), BATCH):
            bulk_update(self.session, self.table, updates[start : start + BATCH])
        for start in range(0, len(changes), BATCH):
            bulk_insert(self.session, RegisterChange.__table__, changes[start : start + BATCH])

    def counts(self) -> dict[str, int]:
        return {"households_added": self.added, "households_changed": self.changed}


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
    reader: str = "auto",
    defer_indexes: bool | None = None,
    file_name: str | None = None,
    file_sha256: str | None = None,
) -> ImportOutcome:
    """Import one file; see the module docstring. Commits (or rolls back) itself.

    ``reader``: ``auto`` reads large files in a second process (``import_reader.read_batches``),
    ``process`` or ``inline`` force one way. ``defer_indexes``: build the table's indexes after a
    first load into an empty table (``None``: for files of ``DEFER_INDEXES_FROM_BYTES`` or more)."""
    if kind not in KINDS:
        raise ImportRefused(f"不明な種類です: {kind}（{', '.join(KINDS)} のいずれか）")
    if layout.kind != kind:
        raise ImportRefused(f"レイアウト {layout.name} は {layout.kind} 用です（{kind} の取込には使えません）")
    if on_error not in ("abort", "skip"):
        raise ImportRefused("--on-error は abort か skip です")
    run = start_run(
        session,
        municipality.id,
        kind,
        layout.name,
        path,
        on_error=on_error,
        dry_run=dry_run,
        user_id=user_id,
        file_name=file_name,
        file_sha256=file_sha256,
    )
    run_id = run.id
    counts = {"rows": 0, "valid": 0, "invalid": 0, "warnings": 0}
    issues: list[Any] = []
    outcome_status, message, unmatched = "failed", "", []
    spec = SPECS[kind]
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def phase(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 2)
        clock[0] = now

    try:
        gaiji = gaiji_map_of(session, municipality.id)
        differ = _Differ(session, spec, municipality.id, municipality.code, run_id)
        if defer_indexes is None:
            defer_indexes = path.stat().st_size >= DEFER_INDEXES_FROM_BYTES
        deferred = _defer_indexes(session, spec.table) if defer_indexes and not differ.existing else []
        phase("existing")
        for batch in read_batches(path, layout, gaiji, kind, municipality.code, on_error, reader):
            if isinstance(batch, RowsBatch):
                counts.update(rows=batch.rows, invalid=batch.invalid, warnings=batch.warnings)
                counts["valid"] = batch.rows - batch.invalid
                issues.extend(batch.issues)
                if progress is not None:
                    progress(batch.rows)
                if not (batch.invalid and on_error == "abort"):
                    differ.add_batch(batch.records)
        if counts["invalid"] and on_error == "abort":
            session.rollback()
            outcome_status = "refused"
            message = (
                f"{counts['invalid']} 行に誤りがあるため、何も取り込みませんでした"
                "（--on-error skip で正しい行だけ取り込めます）"
            )
        else:
            differ.finish()
            phase("rows")
            _restore_indexes(session, deferred)
            phase("indexes")
            counts.update(differ.counts)
            counts["skipped"] = counts["invalid"]
            if kind == "residents":
                counts["removed"] = _mark_removed_residents(differ, today_jst())
                counts.update(_sync_households(session, municipality.id, run_id, differ.touched, bool(deferred)))
                phase("households")
            if kind == "addresses" or (geocode_after and kind in ("residents", "dwellings")):
                geo = geocode_municipality(session, municipality.id, only=None if kind == "addresses" else kind)
                counts.update(geo.counts)
                unmatched = geo.unmatched
            if kind in ("residents", "dwellings"):
                counts["occupancy_links"] = relink_occupancy(session, municipality.id)
            phase("geocode_and_links")
            if dry_run:
                session.rollback()
                outcome_status = "checked"
                message = "確認のみ（dry run）: 何も書き込んでいません"
            else:
                session.commit()
                outcome_status = "succeeded"
            phase("commit")
    except Exception as exc:
        session.rollback()
        message = failure_message(exc)
        _finish_run(session, run_id, "failed", counts, issues, message)
        if isinstance(exc, (ValueError, UnicodeError, LookupError, csv.Error, OSError)):
            # a problem of the file or its layout: one readable line for the user, the run says why
            raise ImportFailed(run_id, message) from exc
        raise
    report = list(issues)
    if unmatched and outcome_status in ("succeeded", "checked"):
        report.extend(
            Issue(0, "address", address, "住所が位置参照情報と一致しません（地図に表示できません）", "warning")
            for address in unmatched[:MAX_STORED_ISSUES]
        )
    _finish_run(session, run_id, outcome_status, counts, report, message)
    log.info("import run %s (%s, %s rows): %s; seconds %s", run_id, kind, counts.get("rows"), outcome_status, timings)
    return ImportOutcome(run_id, outcome_status, counts, issues[:200], unmatched, message, timings)


def failure_message(exc: BaseException) -> str:
    """The first line of an error, readable (bytes of a binary file as \\xNN), at most 500 characters."""
    lines = str(exc).strip().splitlines()
    return readable(lines[0] if lines else type(exc).__name__)[:500]


def _finish_run(session: Session, run_id: int, status: str, counts: dict, issues: list, message: str) -> None:
    run = session.get(ImportRun, run_id)
    run.status, run.counts, run.message, run.finished_at = status, dict(counts), message, utcnow()
    session.add(run)
    session.flush()
    rows = [
        {
            "municipality_id": run.municipality_id,
            "run_id": run_id,
            "line_no": issue.line_no,
            "field": issue.field or "",
            "value": readable(text_of(issue.value))[:200],
            "reason": readable(issue.reason)[:200],
            "severity": issue.severity,
        }
        for issue in issues
    ]
    for start in range(0, len(rows), BATCH):
        bulk_insert(session, ImportIssue.__table__, rows[start : start + BATCH])
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
            select(ImportRun)
            .where(ImportRun.municipality_id == municipality_id)
            .order_by(ImportRun.id.desc())
            .limit(limit)
        ).scalars()
    )
