"""Litestar application factory."""

from __future__ import annotations

import logging
from pathlib import Path

import anyio
from litestar import Litestar, Request
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import ClientException, PermissionDeniedException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import Engine

from core.settings import Settings
from victim_support.accounts.services import csrf_token_for
from victim_support.db import make_engine
from victim_support.jobs import start_background, stop_background
from victim_support.web.context import PRE_SESSION_COOKIE, SESSION_COOKIE, UNSAFE_METHODS, provide_db
from victim_support.web.errors import EXCEPTION_HANDLERS
from victim_support.web.headers import add_security_headers
from victim_support.web.server import on_startup
from victim_support.web.templating import configure_environment

# Bodies larger than this are read only for a logged-in session (an upload of a register file);
# before login nobody can make the server read gigabytes.
PRE_LOGIN_BODY_LIMIT = 1024 * 1024


def _logged_in(engine: Engine, settings: Settings, raw: str | None) -> bool:
    from sqlmodel import Session

    from victim_support.accounts.services import load_session

    with Session(engine.execution_options(sqlite_begin="DEFERRED")) as session:
        row = load_session(session, settings, raw)
        return row is not None and row.user_id is not None and not row.mfa_pending


async def check_body_size(request: Request) -> None:
    if request.method not in UNSAFE_METHODS:
        return
    length = request.headers.get("content-length")
    large = request.headers.get("transfer-encoding", "").lower() == "chunked" or (
        length is not None and (not length.isdigit() or int(length) > PRE_LOGIN_BODY_LIMIT)
    )
    if not large or request.url.path.startswith("/api/"):  # the API authenticates by token first
        return
    state = request.app.state
    if not await anyio.to_thread.run_sync(
        _logged_in, state.engine, state.settings, request.cookies.get(SESSION_COOKIE)
    ):
        raise ClientException("大きなファイルはログインしてから送信してください", status_code=413)


async def check_request(request: Request) -> None:
    await check_body_size(request)
    await check_csrf(request)


async def check_csrf(request: Request) -> None:
    """Every browser form (POST/PUT/PATCH/DELETE outside /api) carries the CSRF token of its
    session: as the ``_csrf`` form field or the ``X-CSRF-Token`` header (HTMX)."""
    if request.method not in UNSAFE_METHODS or request.url.path.startswith("/api/"):
        return
    cookie = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_SESSION_COOKIE)
    sent = request.headers.get("x-csrf-token")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get("_csrf")
    if not cookie or not sent or sent != csrf_token_for(cookie):
        raise PermissionDeniedException(
            "フォームの確認用トークンが一致しません。画面を再読み込みしてから、もう一度操作してください"
        )


def asset_dir(name: str) -> Path:
    """``static`` or ``templates``: inside the installed package (a wheel maps the checkout's top-level
    ``templates/`` there), or at the top of the checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name}/ is missing from the installation ({package})")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    from victim_support.web.routes import API_CONTROLLERS, PAGE_CONTROLLERS

    settings = settings or Settings.from_env()
    engine = engine or make_engine(settings.database_url)
    logging.basicConfig(level=logging.INFO)
    return Litestar(
        route_handlers=[
            *PAGE_CONTROLLERS,
            *API_CONTROLLERS,
            create_static_files_router(
                path="/static", directories=[settings.static_dir or asset_dir("static")], include_in_schema=False
            ),
        ],
        dependencies={"db": Provide(provide_db)},
        before_request=check_request,
        before_send=[add_security_headers],
        on_startup=[on_startup, start_background],
        on_shutdown=[stop_background],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=TemplateConfig(
            directory=settings.templates_dir or asset_dir("templates"),
            engine=JinjaTemplateEngine,
            engine_callback=configure_environment,
        ),
        openapi_config=OpenAPIConfig(
            title="被災者支援システム API",
            version="1",
            path="/schema",
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="API token")}
            ),
            security=[{"bearer": []}],
        ),
        state=State({"engine": engine, "settings": settings}),
        debug=settings.debug,
    )
