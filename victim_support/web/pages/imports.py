"""Admin pages: upload a ledger file, import it in the background, follow its progress, read the report."""

from __future__ import annotations

import csv
import hashlib
import io
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

from core.errors import DomainError
from ledgers.registry import imports
from ledgers.registry.models import ImportRun
from core.audit import record
from victim_support.jobs import JobRunner
from core.settings import Settings
from victim_support.web.context import RequestContext, provide_context, require_acting
from victim_support.web.pages.common import form_bool, form_str, is_htmx, page

KIND_LABELS = {
    "residents": "住民記録（住民基本台帳）",
    "dwellings": "家屋（固定資産課税台帳）",
    "land": "土地（固定資産課税台帳）",
    "tax": "個人住民税",
    "addresses": "位置参照情報（住所）",
}
STATUS_LABELS = {
    "running": "取込中",
    "succeeded": "完了",
    "refused": "中止（誤りあり）",
    "checked": "確認のみ",
    "failed": "失敗",
    "interrupted": "中断",
}
MAX_UPLOAD = 4 * 1024 * 1024 * 1024  # a whole city's register in one CSV
RUNNER = JobRunner()


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
    def index(self, db: Session, ctx: RequestContext) -> Template:
        municipality = require_acting(ctx)
        ctx.require("registry.import")
        from importers.layout import list_presets, load_preset

        presets = [(name, load_preset(name)) for name in list_presets()]
        runs = imports.runs_of(db, municipality.id)
        gaiji = imports.gaiji_map_of(db, municipality.id)
        return page("imports/index.html", ctx, presets=presets, runs=runs, kinds=KIND_LABELS,
                    statuses=STATUS_LABELS, run_status=imports.run_status, gaiji_count=len(gaiji))

    @post("/", sync_to_thread=True, request_max_body_size=MAX_UPLOAD)
    def upload(
        self,
        request: Request,
        db: Session,
        ctx: RequestContext,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Redirect:
        municipality = require_acting(ctx)
        ctx.require("registry.import")
        from importers.layout import LayoutError, load_layout, load_preset

        kind = form_str(data, "kind")
        if kind not in KIND_LABELS:
            raise DomainError("取り込む台帳の種類を選んでください", field="kind")
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise DomainError("取り込むファイルを選んでください", field="file")
        mapping = data.get("mapping")
        try:
            if isinstance(mapping, UploadFile) and mapping.filename:
                upload_dir = Settings.from_env().uploads
                upload_dir.mkdir(parents=True, exist_ok=True)
                mapping_path = upload_dir / f"{uuid.uuid4().hex}-{Path(mapping.filename).name[-60:]}"
                mapping_path.write_bytes(mapping.file.read())
                try:
                    layout = load_layout(mapping_path)
                finally:
                    mapping_path.unlink(missing_ok=True)
            else:
                preset = form_str(data, "layout")
                if not preset:
                    raise DomainError("レイアウト（プリセット）を選ぶか、マッピングファイルを指定してください", field="layout")
                layout = load_preset(preset)
        except LayoutError as exc:
            raise DomainError(f"レイアウトの誤り: {exc}", field="mapping") from None
        except UnicodeDecodeError:
            raise DomainError("マッピングファイルは UTF-8 の TOML で用意してください", field="mapping") from None
        on_error = "skip" if form_str(data, "on_error") == "skip" else "abort"
        dry_run = form_bool(data, "dry_run")
        upload_dir = Settings.from_env().uploads
        upload_dir.mkdir(parents=True, exist_ok=True)
        stored = upload_dir / f"{uuid.uuid4().hex}-{Path(upload.filename).name[-80:]}"
        lines, sha256 = _store_upload(upload, stored)
        key = uuid.uuid4().hex
        engine = request.app.state.engine
        user_id, actor = ctx.user.id, ctx.actor
        municipality_id = municipality.id

        def work(progress) -> None:  # noqa: ANN001
            from core.tenancy import Municipality

            with Session(engine, expire_on_commit=False) as session:
                target = session.get(Municipality, municipality_id)

                def on_rows(rows: int) -> None:
                    progress.rows = rows

                try:
                    outcome = imports.import_file(
                        session, target, kind, stored, layout, on_error=on_error, dry_run=dry_run,
                        user_id=user_id, progress=on_rows, file_name=Path(upload.filename).name, file_sha256=sha256,
                    )
                    progress.run_id = outcome.run_id
                    record(session, actor, f"import.{kind}", "import_run", outcome.run_id,
                           {"file": upload.filename, "layout": layout.name, "status": outcome.status,
                            "counts": outcome.counts})
                    session.commit()
                finally:
                    stored.unlink(missing_ok=True)

        RUNNER.submit(key, lines - (1 if getattr(layout, "header", False) else 0), work)
        return Redirect(f"/admin/imports/jobs/{key}")

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
        ctx.require("registry.import")
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

    @get("/jobs/{key:str}", sync_to_thread=True)
    def job(self, request: Request, ctx: RequestContext, key: str) -> Template | Redirect:
        require_acting(ctx)
        ctx.require("registry.import")
        progress = RUNNER.get(key)
        if progress is None:
            raise NotFoundException("この取込はこのサーバーでは実行されていません（一覧で結果を確認してください）")
        if progress.done and progress.run_id and not is_htmx(request):
            return Redirect(f"/admin/imports/{progress.run_id}")
        template = "imports/_progress.html" if is_htmx(request) else "imports/job.html"
        return page(template, ctx, key=key, progress=progress)

    @get("/{run_id:int}", sync_to_thread=True)
    def run_page(self, db: Session, ctx: RequestContext, run_id: int) -> Template:
        ctx.require("registry.import")
        run = _run_in_tenant(db, ctx, run_id)
        issues = list(imports.issues_of(db, run.municipality_id, run_id))[:500]
        return page("imports/run.html", ctx, run=run, issues=issues, kinds=KIND_LABELS, statuses=STATUS_LABELS,
                    status=imports.run_status(run))

    @get("/{run_id:int}/report.csv", sync_to_thread=True)
    def report(self, db: Session, ctx: RequestContext, run_id: int) -> Response:
        ctx.require("registry.import")
        run = _run_in_tenant(db, ctx, run_id)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["行", "項目", "値", "理由", "重要度"])
        for issue in imports.issues_of(db, run.municipality_id, run_id):
            writer.writerow([issue.line_no, issue.field, issue.value, issue.reason,
                             "誤り" if issue.severity == "error" else "注意"])
        # UTF-8 with BOM: opens correctly in Excel on a municipal PC
        return Response(
            ("\ufeff" + out.getvalue()).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="import-{run_id}-report.csv"'},
        )
