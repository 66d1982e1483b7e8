"""Helpers shared by the HTML controllers of every area."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from core.settings import Settings
from victim_support.web.context import SESSION_COOKIE, RequestContext

# The body of a browser form: url-encoded, or multipart when it carries files.
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def page(name: str, ctx: RequestContext | None, status_code: int = 200, **context: Any) -> Template:
    return Template(name, context={"ctx": ctx, **context}, status_code=status_code)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def session_cookie(request: Request, value: str, *, expire: bool = False) -> Cookie:
    settings: Settings = request.app.state.settings
    return Cookie(
        key=SESSION_COOKIE,
        value="" if expire else value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=0 if expire else None,
    )


def form_bool(form: dict[str, Any], name: str) -> bool:
    return str(form.get(name, "")).lower() in {"on", "1", "true", "yes"}


def form_str(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def form_date(form: dict[str, Any], name: str, label: str) -> date | None:
    """An ISO date from a form field, or a DomainError naming the field."""
    from core.errors import DomainError

    value = form_str(form, name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{label}の日付が正しくありません: {value}（例: 2026-11-24）", field=name) from None


def safe_next(target: str | None) -> str:
    """Only same-site paths after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not target.startswith("/\\"):
        return target
    return "/"
