"""Append-only, hash-chained audit log (監査ログ): the tables, appending in the caller's transaction, verifying."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, Session, SQLModel

from core.clock import utcnow
from core.keys import load_key
from core.settings import Settings


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
    values = {
        column.name: getattr(entry, column.name) for column in AuditEntry.__table__.columns if column.name != "id"
    }
    entry.id = session.execute(insert(AuditEntry).values(values).returning(AuditEntry.id)).scalar_one()
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == head.id)
        .values(last_seq=entry.seq, last_hash=entry.entry_hash)
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


# ---------------------------------------------------------------- signed checkpoints (anchors)
#
# The hash chain shows any change made *inside* the chain, but someone with write access to the
# database could delete the tail and reset the head, or recompute every hash. A checkpoint is the
# head (seq, hash) at a moment, signed with HMAC-SHA256 under a key kept outside the database
# (VS_AUDIT_KEY or its key file) and written outside it (one JSON line per checkpoint in the
# checkpoint file, which operators also ship elsewhere: syslog, another server, paper). Verifying
# against the checkpoints detects both rewrites: the entry at a checkpointed seq must still exist
# with the same hash.


class MissingAuditKey(RuntimeError):
    """No key to sign or check checkpoints with."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    entry_hash: str
    at: str  # ISO timestamp, UTC
    signature: str

    def payload(self) -> bytes:
        return f"victim-support audit checkpoint v1|{self.seq}|{self.entry_hash}|{self.at}".encode()

    def to_json(self) -> str:
        return json.dumps(
            {"seq": self.seq, "entry_hash": self.entry_hash, "at": self.at, "signature": self.signature},
            separators=(",", ":"),
        )


def audit_key(settings: Settings | None = None, *, create: bool = False) -> bytes:
    """The checkpoint key: VS_AUDIT_KEY (URL-safe base64), else the key file; ``create`` makes the
    file (0600) when missing (``victim-support keys init``, the demo, the tests)."""
    settings = settings or Settings.from_env()
    path = settings.audit_key_path
    return load_key(
        settings.audit_key,
        path,
        generate=create or settings.generate_my_number_key,
        missing=MissingAuditKey(
            f"監査ログの署名鍵がありません: VS_AUDIT_KEY を設定するか、鍵ファイル {path} を置いてください"
            "（victim-support keys init で作れます）"
        ),
    )


def _sign(key: bytes, checkpoint: Checkpoint) -> str:
    return hmac.new(key, checkpoint.payload(), hashlib.sha256).hexdigest()


def make_checkpoint(session: Session, key: bytes) -> Checkpoint:
    """The signed head of the chain as it is now (read in the caller's transaction)."""
    head = session.get(AuditHead, 1)
    seq, last = (head.last_seq, head.last_hash) if head is not None else (0, GENESIS_HASH)
    unsigned = Checkpoint(seq, last, utcnow().astimezone(UTC).isoformat(timespec="seconds"), "")
    return Checkpoint(unsigned.seq, unsigned.entry_hash, unsigned.at, _sign(key, unsigned))


def write_checkpoint(session: Session, settings: Settings | None = None) -> tuple[Checkpoint, Path]:
    """Append a signed checkpoint to the checkpoint file; returns it and the file."""
    settings = settings or Settings.from_env()
    checkpoint = make_checkpoint(session, audit_key(settings))
    path = settings.audit_checkpoint_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(checkpoint.to_json() + "\n")
    return checkpoint, path


def read_checkpoints(path: Path) -> list[Checkpoint]:
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            found.append(Checkpoint(int(data["seq"]), str(data["entry_hash"]), str(data["at"]), str(data["signature"])))
    return found


def verify_checkpoints(session: Session, checkpoints: list[Checkpoint], key: bytes) -> list[ChainProblem]:
    """Each checkpoint must carry a valid signature, and the chain must still hold its entry."""
    problems: list[ChainProblem] = []
    if not checkpoints:
        return problems
    seqs = sorted({c.seq for c in checkpoints if c.seq > 0})
    stored = (
        dict(session.execute(select(AuditEntry.seq, AuditEntry.entry_hash).where(AuditEntry.seq.in_(seqs))).all())
        if seqs
        else {}
    )
    for checkpoint in checkpoints:
        if not hmac.compare_digest(_sign(key, checkpoint), checkpoint.signature):
            problems.append(
                ChainProblem(
                    checkpoint.seq,
                    None,
                    f"checkpoint at entry {checkpoint.seq} ({checkpoint.at}): "
                    "the signature is wrong (forged or signed with another key)",
                )
            )
            continue
        if checkpoint.seq == 0:
            continue
        if checkpoint.seq not in stored:
            problems.append(
                ChainProblem(
                    checkpoint.seq,
                    None,
                    f"entry {checkpoint.seq}, signed in the checkpoint of "
                    f"{checkpoint.at}, is gone: the chain was cut back",
                )
            )
        elif stored[checkpoint.seq] != checkpoint.entry_hash:
            problems.append(
                ChainProblem(
                    checkpoint.seq,
                    None,
                    f"entry {checkpoint.seq} differs from the checkpoint of {checkpoint.at}: the chain was rewritten",
                )
            )
    return problems
