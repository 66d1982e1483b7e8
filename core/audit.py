"""Append-only, hash-chained audit log (監査ログ): the tables, appending in the caller's transaction, verifying."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, Session, SQLModel

from core.clock import utcnow


class AuditEntry(SQLModel, table=True):
    """One recorded action. ``entry_hash`` = SHA-256 over ``prev_hash`` and this entry's fields,
    so changing or deleting any entry breaks the chain from that point on."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = None
    actor_name: str = Field(default="", max_length=80)
    home_municipality: str = Field(default="", max_length=6)
    acting_municipality: str = Field(default="", max_length=6, index=True)
    disaster_number: str = Field(default="", max_length=20)
    action: str = Field(max_length=60)
    target_type: str = Field(default="", max_length=40)
    target_id: str = Field(default="", max_length=60)
    detail: str = Field(default="")  # JSON text; never personal numbers
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """Single-row lock point for appending to the chain (row-locked on PostgreSQL)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who is acting, and for which municipality (recorded with every entry)."""

    user_id: int | None = None
    username: str = "system"
    home_municipality: str = ""
    acting_municipality: str = ""
    disaster_number: str = ""


SYSTEM_ACTOR = Actor()


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def entry_hash(entry: AuditEntry) -> str:
    payload = json.dumps(
        [
            entry.seq,
            _timestamp(entry.at),
            entry.actor_id,
            entry.actor_name,
            entry.home_municipality,
            entry.acting_municipality,
            entry.disaster_number,
            entry.action,
            entry.target_type,
            entry.target_id,
            entry.detail,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((entry.prev_hash + payload).encode("utf-8")).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str = "",
    target_id: str | int = "",
    detail: dict[str, Any] | None = None,
    *,
    disaster_number: str | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction (committed with the change it records).

    The head row is locked (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the
    write lock), so concurrent writers from several app instances extend one chain in order.
    """
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()  # populate_existing: never trust a copy cached by an earlier transaction
    entry = AuditEntry(
        seq=head.last_seq + 1,
        at=utcnow(),
        actor_id=actor.user_id,
        actor_name=actor.username,
        home_municipality=actor.home_municipality,
        acting_municipality=actor.acting_municipality,
        disaster_number=disaster_number if disaster_number is not None else actor.disaster_number,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
        prev_hash=head.last_hash,
        entry_hash="",
    )
    entry.entry_hash = entry_hash(entry)
    # Plain INSERT / UPDATE statements rather than the unit of work: one is written on every view
    # of a household and every issuance, and the head stays locked until the caller commits.
    values = {column.name: getattr(entry, column.name) for column in AuditEntry.__table__.columns if column.name != "id"}
    entry.id = session.execute(insert(AuditEntry).values(values).returning(AuditEntry.id)).scalar_one()
    session.execute(
        update(AuditHead).where(AuditHead.id == head.id).values(last_seq=entry.seq, last_hash=entry.entry_hash)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(head, "last_seq", entry.seq)  # the loaded head shows the new end of the chain
    set_committed_value(head, "last_hash", entry.entry_hash)
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    entry_id: int | None
    message: str


def verify(session: Session) -> tuple[int, list[ChainProblem]]:
    """Walk the chain; return the number of entries checked and every problem found."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for entry in rows:
        count += 1
        if entry.seq != expected_seq:
            problems.append(
                ChainProblem(
                    entry.seq,
                    entry.id,
                    f"entries {expected_seq}..{entry.seq - 1} are missing (deleted) before entry {entry.seq}",
                )
            )
        if entry.prev_hash != expected_prev:
            problems.append(
                ChainProblem(entry.seq, entry.id, f"entry {entry.seq}: link to the previous entry is broken")
            )
        if entry_hash(entry) != entry.entry_hash:
            problems.append(
                ChainProblem(entry.seq, entry.id, f"entry {entry.seq} was modified (hash does not match its content)")
            )
        expected_prev = entry.entry_hash
        expected_seq = entry.seq + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        problems.append(
            ChainProblem(
                head.last_seq,
                None,
                f"the chain should end at entry {head.last_seq} but ends at {expected_seq - 1}: "
                "the last entries were deleted or the head was altered",
            )
        )
    return count, problems
