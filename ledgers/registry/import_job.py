"""A ledger import as a background job (kind ``import``, core/jobs.py): what a page queues, and what a
runner on any instance does with it.

The uploaded file is stored under the upload folder before the job is queued; the job's parameters
name it, with the layout (a preset's name, or the mapping's TOML text) and the options. The file is
removed once the import has an outcome (succeeded, refused or checked); a failed or interrupted job
keeps it, so that it can run again. With several instances the upload folder must be shared, at the
same path, by every instance that runs jobs (docs/jobs.md).
"""

from __future__ import annotations

import socket
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlmodel import Session

from core.audit import Actor, record
from core.jobs import JobContext
from core.tenancy import Municipality
from importers.layout import Layout, load_preset, parse_layout
from ledgers.registry import imports

KIND = "import"


def import_params(
    *,
    kind: str,
    stored_path: Path,
    file_name: str,
    file_sha256: str,
    on_error: str,
    dry_run: bool,
    actor: Actor,
    preset: str = "",
    mapping: str = "",
    mapping_name: str = "",
) -> dict[str, Any]:
    """The job's parameters: the ledger kind, the stored file (and the name the user gave it), the layout
    (``preset`` name, or the ``mapping`` TOML text), the options and who started it (for the audit log)."""
    return {
        "kind": kind,
        "stored_path": str(stored_path),
        "file_name": file_name,
        "file_sha256": file_sha256,
        "layout": preset,
        "mapping": mapping,
        "mapping_name": mapping_name,
        "on_error": on_error,
        "dry_run": bool(dry_run),
        "actor": asdict(actor),
    }


def layout_of(params: dict[str, Any]) -> Layout:
    if params.get("mapping"):
        return parse_layout(params["mapping"], params.get("mapping_name") or "mapping.toml")
    return load_preset(params["layout"])


def run_import(ctx: JobContext) -> dict[str, Any]:
    """The handler: import the stored file in one transaction (``imports.import_file``), progress in
    rows, audited as the user who queued it. Returns the import run's id and status."""
    params = ctx.params
    stored = Path(params["stored_path"])
    if not stored.is_file():
        raise FileNotFoundError(
            f"取込ファイルがこのサーバー（{socket.gethostname()}）にありません。もう一度アップロードしてください"
        )
    layout = layout_of(params)
    kind = params["kind"]
    with Session(ctx.engine, expire_on_commit=False) as session:
        municipality = session.get(Municipality, ctx.municipality_id)
        try:
            outcome = imports.import_file(
                session,
                municipality,
                kind,
                stored,
                layout,
                on_error=params["on_error"],
                dry_run=params["dry_run"],
                user_id=ctx.created_by_id,
                progress=lambda rows: ctx.progress(rows),
                file_name=params["file_name"],
                file_sha256=params["file_sha256"],
            )
        except imports.ImportFailed as exc:
            # the run is recorded as failed with a readable message; the audit log says so too
            session.rollback()
            record(
                session,
                Actor(**params["actor"]),
                f"import.{kind}",
                "import_run",
                exc.run_id,
                {
                    "file": params["file_name"],
                    "layout": layout.name,
                    "status": "failed",
                    "message": exc.message,
                    "job": ctx.job_id,
                },
            )
            session.commit()
            raise
        record(
            session,
            Actor(**params["actor"]),
            f"import.{kind}",
            "import_run",
            outcome.run_id,
            {
                "file": params["file_name"],
                "layout": layout.name,
                "status": outcome.status,
                "counts": outcome.counts,
                "job": ctx.job_id,
            },
        )
        session.commit()
    stored.unlink(missing_ok=True)
    return {"run_id": outcome.run_id, "status": outcome.status}
