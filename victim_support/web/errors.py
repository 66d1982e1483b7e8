"""Errors as pages (browser) or problem details (API, RFC 9457); never a stack trace."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from core.errors import DomainError
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


# msgspec's names of JSON types in its messages (`int | null`), as staff read them.
_TYPE_NAMES = {
    "str": "文字列",
    "int": "整数",
    "float": "数値",
    "decimal": "数値",
    "bool": "真偽値 true / false",
    "array": "配列",
    "object": "オブジェクト",
    "null": "null",
    "bytes": "バイト列",
    "date": "日付",
    "datetime": "日時",
    "time": "時刻",
    "uuid": "UUID",
    "duration": "期間",
}
_LENGTH_UNITS = {"str": "文字", "bytes": "バイト", "array": "件", "object": "件"}
_BOUNDS = {">=": "以上", "<=": "以下", ">": "より大きい値", "<": "より小さい値"}
_LENGTH_BOUNDS = {">=": "以上", "<=": "以内"}


def _types(names: str) -> str:
    return "または".join(f"「{_TYPE_NAMES.get(name.strip(), name.strip())}」" for name in names.split("|"))


# The common msgspec validation messages (after Litestar has cut off their " - at `$.…`" path)
# in Japanese. A pattern whose name group is set names the field itself (the error is reported at
# the object that lacks or has it). Anything else is shown as msgspec wrote it.
_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"Object missing required field `(?P<name>[^`]+)`"), lambda m: "必須の項目です。指定してください"),
    (
        re.compile(r"Object contains unknown field `(?P<name>[^`]+)`"),
        lambda m: "この項目はありません（項目名を確認してください）",
    ),
    (
        re.compile(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`"),
        lambda m: f"{_types(m['want'])}で指定してください（{_types(m['got'])}が指定されました）",
    ),
    (
        re.compile(r"Expected `(?P<type>str|bytes|array|object)` of length (?P<op>>=|<=) (?P<n>\d+)"),
        lambda m: f"{m['n']}{_LENGTH_UNITS[m['type']]}{_LENGTH_BOUNDS[m['op']]}で指定してください",
    ),
    (
        re.compile(r"Expected `(?:int|float)` (?P<op>>=|<=|>|<) (?P<n>\S+)"),
        lambda m: f"{m['n']}{_BOUNDS[m['op']]}で指定してください",
    ),
    (re.compile(r"Expected `int` that's a multiple of (?P<n>\d+)"), lambda m: f"{m['n']}の倍数で指定してください"),
    (
        re.compile(r"Expected `str` matching regex (?P<regex>.+)"),
        lambda m: f"書式が正しくありません（正規表現 {m['regex']}）",
    ),
    (
        re.compile(r"Invalid RFC3339 encoded date"),
        lambda m: "日付は YYYY-MM-DD の形式で指定してください（例: 2026-11-20）",
    ),
    (
        re.compile(r"Invalid RFC3339 encoded datetime"),
        lambda m: "日時は RFC 3339 の形式で指定してください（例: 2026-11-20T09:30:00+09:00）",
    ),
    (re.compile(r"Invalid RFC3339 encoded time"), lambda m: "時刻は hh:mm:ss の形式で指定してください"),
    (
        re.compile(r"Expected `datetime` with a timezone component"),
        lambda m: "日時には時差（例: +09:00）を付けてください",
    ),
    (re.compile(r"Expected `datetime` with no timezone component"), lambda m: "日時には時差を付けずに指定してください"),
    (re.compile(r"Invalid (?:enum )?value (?P<value>.+)"), lambda m: f"{m['value']} は指定できない値です"),
    (re.compile(r"(?:Integer value|Number) out of range"), lambda m: "数値が範囲を超えています"),
    (re.compile(r"Invalid decimal string"), lambda m: "数値の形式が正しくありません"),
    (re.compile(r"Invalid UUID"), lambda m: "UUID の形式が正しくありません"),
]
_BODY = "data"  # Litestar's key for the request body itself
_BODY_LABEL = "リクエスト本文"


def validation_message(key: str, message: str) -> tuple[str, str]:
    """The field path and a Japanese message for one Litestar / msgspec validation error
    (``key`` as Litestar reports it: ``house_no``, ``members[0]``, ``data`` for the body)."""
    for pattern, japanese in _MESSAGES:
        m = pattern.fullmatch(message)
        if m is not None:
            name = m.groupdict().get("name")
            if name is not None:  # reported at the object: the path goes on to the field
                key = name if key in ("", _BODY) else f"{key}.{name}"
            message = japanese(m)
            break
    else:
        if key == _BODY and message == f"'{_BODY}'":  # no body, or JSON null
            message = "JSON のオブジェクトを送ってください"
    return (_BODY_LABEL if key == _BODY else key), message


def _validation_detail(exc: ValidationException) -> tuple[str, str | None]:
    """The detail of a validation error and, when there is exactly one field at fault, its path."""
    errors = [e for e in exc.extra if isinstance(e, dict)] if isinstance(exc.extra, list) else []
    if not errors:
        return TITLES[400], None
    described = [validation_message(str(e.get("key", "")), str(e.get("message", ""))) for e in errors]
    detail = TITLES[400] + ": " + "; ".join(f"{key}: {message}" if key else message for key, message in described)
    field = described[0][0] if len(described) == 1 else ""
    return detail, (field if field and field != _BODY_LABEL else None)


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
        detail, field = _validation_detail(exc)
        return _respond(request, 400, detail, {"field": field} if field else None)
    if status == 400 and detail.startswith("JSON is malformed: "):  # msgspec's DecodeError, via Litestar
        detail = "JSON の書式に誤りがあります（" + detail.removeprefix("JSON is malformed: ") + "）"
    if status == 404 and detail == "Not Found":
        detail = "指定されたページまたはデータはありません"
    if status == 405:
        detail = TITLES[405]
    return _respond(request, status, detail)


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    # Honest about what is known: a read saved nothing; a write may have been saved before the error
    # (e.g. a certificate issued, then its PDF failed), so the user is asked to look before retrying.
    if request.method in ("GET", "HEAD"):
        detail = "表示中に予期しないエラーが発生しました（データは変更されていません）。"
    else:
        detail = (
            "処理中に予期しないエラーが発生しました。保存されたかどうかは台帳や一覧で確かめてから、"
            "必要な場合だけ操作をやり直してください。"
        )
    return _respond(request, HTTP_500_INTERNAL_SERVER_ERROR, detail + "解決しない場合は管理者に連絡してください")


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
