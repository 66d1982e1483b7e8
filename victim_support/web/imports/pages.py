"""Admin pages: upload a ledger file, import it as a background job (core/jobs.py), follow its progress
from any instance, run an interrupted one again, read the report."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Response, Template
from sqlmodel import Session

from core import jobs
from core.audit import record
from core.csvfile import csv_bytes
from core.errors import DomainError
from core.jobs import BackgroundJob
from core.settings import Settings
from importers.fields import KINDS as KIND_SPECS
from ledgers.registry import import_job, imports
from ledgers.registry.models import ImportRun
from victim_support.jobs import wake_runner
from victim_support.web.common import form_bool, form_str, is_htmx, page
from victim_support.web.context import RequestContext, provide_context, require_acting

# The kinds the import accepts, named as importers.fields names them (one source for both).
KIND_LABELS = {kind: KIND_SPECS[kind].ja for kind in imports.KINDS}
STATUS_LABELS = {
    "running": "取込中",
    "succeeded": "完了",
    "refused": "中止（誤りあり）",
    "checked": "確認のみ",
    "failed": "失敗",
    "interrupted": "中断",
}
MAX_UPLOAD = 4 * 1024 * 1024 * 1024  # a whole city's register in one CSV


def _store_upload(upload: UploadFile, path: Path) -> tuple[int, str]:
    """Write an uploaded file to ``path``; return its number of lines (for the progress bar) and
    its SHA-256, both in the same pass: a register can be gigabytes, so it is not read back."""
    lines = 0
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for chunk in iter(lambda: upload.file.read(1 << 20), b""):
            out.write(chunk)
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return max(lines, 1), digest.hexdigest()


def _job_in_tenant(request: Request, db: Session, ctx: RequestContext, job_id: int) -> BackgroundJob:
    """The import job, as it is now (marked interrupted if its instance stopped answering)."""
    municipality = require_acting(ctx)
    settings: Settings = request.app.state.settings
    job = jobs.get_job(db, job_id, stale_after=settings.job_stale_seconds)
    if job is None or job.kind != import_job.KIND or job.municipality_id != municipality.id:
        raise NotFoundException("取込の処理が見つかりません")
    db.commit()  # keeps an interrupted mark
    return job


def _run_in_tenant(db: Session, ctx: RequestContext, run_id: int) -> ImportRun:
    municipality = require_acting(ctx)
    run = db.get(ImportRun, run_id)
    if run is None or run.municipality_id != municipality.id:
        raise NotFoundException("取込の記録が見つかりません")
    return run


class ImportPages(Controller):
    path = "/admin/imports"
    include_in_schema = False
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: Session, ctx: RequestContext) -> Template:
        municipality = require_acting(ctx)
        ctx.require_municipal("registry.import")
        from importers.layout import list_presets, load_preset

        presets = [(name, load_preset(name)) for name in list_presets()]
        runs = imports.runs_of(db, municipality.id)
        gaiji = imports.gaiji_map_of(db, municipality.id)
        settings: Settings = request.app.state.settings
        pending = [
            job
            for job in jobs.jobs_of(db, municipality.id, import_job.KIND, stale_after=settings.job_stale_seconds)
            if job.state != jobs.SUCCEEDED
        ]
        db.commit()  # keeps interrupted marks
        return page(
            "imports/index.html",
            ctx,
            presets=presets,
            runs=runs,
            kinds=KIND_LABELS,
            statuses=STATUS_LABELS,
            run_status=imports.run_status,
            gaiji_count=len(gaiji),
            jobs=pending,
        )

    @post("/", sync_to_thread=True, request_max_body_size=MAX_UPLOAD)
    def upload(
        self,
        request: Request,
        db: Session,
        ctx: RequestContext,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Redirect:
        municipality = require_acting(ctx)
        ctx.require_municipal("registry.import")
        from importers.layout import LayoutError, load_preset, parse_layout

        kind = form_str(data, "kind")
        if kind not in KIND_LABELS:
            raise DomainError("取り込む台帳の種類を選んでください", field="kind")
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise DomainError("取り込むファイルを選んでください", field="file")
        mapping = data.get("mapping")
        preset = mapping_text = mapping_name = ""
        try:
            if isinstance(mapping, UploadFile) and mapping.filename:
                mapping_name = Path(mapping.filename).name[-60:]
                mapping_text = mapping.file.read().decode("utf-8")
                layout = parse_layout(mapping_text, mapping_name)
            else:
                preset = form_str(data, "layout")
                if not preset:
                    raise DomainError(
                        "レイアウト（プリセット）を選ぶか、マッピングファイルを指定してください", field="layout"
                    )
                layout = load_preset(preset)
        except LayoutError as exc:
            raise DomainError(f"レイアウトの誤り: {exc}", field="mapping") from None
        except UnicodeDecodeError:
            raise DomainError("マッピングファイルは UTF-8 の TOML で用意してください", field="mapping") from None
        if layout.kind != kind:  # refused here, not by a job that would keep the file for a retry in vain
            raise DomainError(
                f"レイアウト {layout.name} は「{KIND_LABELS.get(layout.kind, layout.kind)}」用です"
                "（選んだ台帳の種類と合いません）",
                field="layout",
            )
        on_error = "skip" if form_str(data, "on_error") == "skip" else "abort"
        dry_run = form_bool(data, "dry_run")
        upload_dir = Settings.from_env().uploads
        upload_dir.mkdir(parents=True, exist_ok=True)
        stored = upload_dir / f"{uuid.uuid4().hex}-{Path(upload.filename).name[-80:]}"
        lines, sha256 = _store_upload(upload, stored)
        params = import_job.import_params(
            kind=kind,
            stored_path=stored,
            file_name=Path(upload.filename).name,
            file_sha256=sha256,
            on_error=on_error,
            dry_run=dry_run,
            actor=ctx.actor,
            preset=preset,
            mapping=mapping_text,
            mapping_name=mapping_name,
        )
        try:
            job = jobs.enqueue(
                db,
                import_job.KIND,
                municipality.id,
                params,
                created_by_id=ctx.user.id,
                total=lines - (1 if getattr(layout, "header", False) else 0),
            )
            db.commit()
        except BaseException:
            stored.unlink(missing_ok=True)
            raise
        wake_runner(request.app)
        return Redirect(f"/admin/imports/jobs/{job.id}")

    @post("/gaiji", sync_to_thread=True)
    def gaiji_upload(
        self,
        db: Session,
        ctx: RequestContext,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Redirect:
        """Replace the municipality's 外字 map with an uploaded CSV (code point, replacement, note)."""
        from ledgers.registry.gaiji import GaijiMapError, parse_gaiji_csv, replace_gaiji_map

        municipality = require_acting(ctx)
        ctx.require_municipal("registry.import")
        upload = data.get("gaiji_file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise DomainError("外字表の CSV ファイルを選んでください", field="gaiji_file")
        try:
            entries = parse_gaiji_csv(upload.file.read())
        except GaijiMapError as exc:
            raise DomainError(f"{upload.filename}: {exc}", field="gaiji_file") from None
        replace_gaiji_map(db, municipality.id, entries)
        record(db, ctx.actor, "gaiji.load", "municipality", municipality.code, {"entries": len(entries)})
        db.commit()
        return Redirect(f"/admin/imports/?gaiji={len(entries)}")

    @get("/jobs/{job_id:int}", sync_to_thread=True)
    def job(self, request: Request, db: Session, ctx: RequestContext, job_id: int) -> Template | Redirect:
        """The job's state and progress, read from its row: any instance shows any job."""
        require_acting(ctx)
        ctx.require_municipal("registry.import")
        job = _job_in_tenant(request, db, ctx, job_id)
        run_id = job.result.get("run_id")
        if job.state == jobs.SUCCEEDED and run_id and not is_htmx(request):
            return Redirect(f"/admin/imports/{run_id}")
        template = "imports/_progress.html" if is_htmx(request) else "imports/job.html"
        return page(template, ctx, job=job, kinds=KIND_LABELS)

    @post("/jobs/{job_id:int}/retry", sync_to_thread=True)
    def retry(self, request: Request, db: Session, ctx: RequestContext, job_id: int) -> Redirect:
        """再実行: queue a failed or interrupted import again (its stored file is kept for this)."""
        require_acting(ctx)
        ctx.require_municipal("registry.import")
        job = _job_in_tenant(request, db, ctx, job_id)
        settings: Settings = request.app.state.settings
        job = jobs.retry(db, job.id, stale_after=settings.job_stale_seconds)
        record(
            db,
            ctx.actor,
            "job.retry",
            "background_job",
            job.id,
            {"kind": job.kind, "file": job.params.get("file_name", ""), "attempts": job.attempts},
        )
        db.commit()
        wake_runner(request.app)
        return Redirect(f"/admin/imports/jobs/{job.id}")

    @get("/{run_id:int}", sync_to_thread=True)
    def run_page(self, db: Session, ctx: RequestContext, run_id: int) -> Template:
        ctx.require_municipal("registry.import")
        run = _run_in_tenant(db, ctx, run_id)
        issues = list(imports.issues_of(db, run.municipality_id, run_id))[:500]
        return page(
            "imports/run.html",
            ctx,
            run=run,
            issues=issues,
            kinds=KIND_LABELS,
            statuses=STATUS_LABELS,
            status=imports.run_status(run),
        )

    @get("/{run_id:int}/report.csv", sync_to_thread=True)
    def report(self, db: Session, ctx: RequestContext, run_id: int) -> Response:
        ctx.require_municipal("registry.import")
        run = _run_in_tenant(db, ctx, run_id)
        rows = (
            (issue.line_no, issue.field, issue.value, issue.reason, "誤り" if issue.severity == "error" else "注意")
            for issue in imports.issues_of(db, run.municipality_id, run_id)
        )
        return Response(
            csv_bytes(["行", "項目", "値", "理由", "重要度"], rows),  # UTF-8 with BOM, formula cells guarded
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="import-{run_id}-report.csv"'},
        )
