"""Errors as pages (browser) or problem details (API, RFC 9457); never a stack trace."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from ledgers.errors import DomainError
from victim_support.web.context import LoginRequired

log = logging.getLogger("victim_support")

TITLES = {
    400: "入力内容に誤りがあります",
    401: "ログインが必要です",
    403: "権限がありません",
    404: "見つかりません",
    405: "この操作はできません",
    409: "他の更新と競合しました",
    413: "ファイルが大きすぎます",
    429: "リクエストが多すぎます",
    500: "システムエラーが発生しました",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(status: int, detail: str, extra: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": TITLES.get(status, "エラー"), "status": status, "detail": detail}
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type="application/problem+json")


def _page(request: Request, status: int, detail: str) -> Response:
    return Template(
        "error.html",
        context={"status": status, "title": TITLES.get(status, "エラー"), "detail": detail},
        status_code=status,
        media_type=MediaType.HTML,
    )


def _respond(request: Request, status: int, detail: str, extra: dict | None = None) -> Response:
    return _problem(status, detail, extra) if is_api(request) else _page(request, status, detail)


def handle_domain_error(request: Request, exc: DomainError) -> Response:
    return _respond(request, exc.status_code, exc.message, {"field": exc.field} if exc.field else None)


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, LoginRequired) and not is_api(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):
            response = Response("", status_code=401)
            response.headers["HX-Redirect"] = "/login"
            return response
        return Redirect(f"/login?next={quote(target)}")
    status = exc.status_code
    detail = exc.detail or TITLES.get(status, "エラー")
    if isinstance(exc, ValidationException):
        detail = "入力内容に誤りがあります: " + "; ".join(
            f"{e.get('key', '')}: {e.get('message', '')}" for e in (exc.extra or []) if isinstance(e, dict)
        ) if isinstance(exc.extra, list) else "入力内容に誤りがあります"
        return _respond(request, 400, detail)
    if status == 404 and detail == "Not Found":
        detail = "指定されたページまたはデータはありません"
    if status == 405:
        detail = TITLES[405]
    return _respond(request, status, detail)


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _respond(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "処理中に予期しないエラーが発生しました。入力内容は保存されていません。時間をおいて再度お試しいただき、解決しない場合は管理者に連絡してください",
    )


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
