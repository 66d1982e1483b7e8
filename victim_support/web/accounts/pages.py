"""Login (password + TOTP), logout, and choosing the acting municipality and disaster."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Template
from sqlmodel import Session

from core.audit import Actor, record
from core.settings import Settings
from core.tenancy import Municipality, get_by_code
from ledgers.disasters.services import list_disasters, require_disaster
from victim_support.accounts import security
from victim_support.accounts import services as accounts
from victim_support.web.common import Form, form_str, page, safe_next, session_cookie
from victim_support.web.context import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    LoginRequired,
    RequestContext,
    browser_context,
)


def _login_page(request: Request, error: str | None = None, status_code: int = 200, username: str = "") -> Template:
    cookie = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_SESSION_COOKIE)
    cookies = []
    if not cookie:
        cookie = security.new_token()
        settings: Settings = request.app.state.settings
        cookies.append(
            Cookie(
                key=PRE_SESSION_COOKIE,
                value=cookie,
                path="/",
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookies,
            )
        )
    response = page(
        "login.html",
        None,
        status_code=status_code,
        error=error,
        username=username,
        csrf_token=accounts.csrf_token_for(cookie),
        next=safe_next(request.query_params.get("next")),
    )
    response.cookies.extend(cookies)
    return response


def _pending(request: Request, db: Session) -> RequestContext:
    context = browser_context(request, db, allow_mfa_pending=True)
    if context.browser_session is None or not context.browser_session.mfa_pending:
        raise LoginRequired("ログインしてください")
    return context


class AuthPages(Controller):
    """Login, second factor, logout and the choice of acting municipality/disaster.

    (A Controller rather than plain functions: Litestar 2.25 double-wraps sync_to_thread
    function handlers that share a path between GET and POST.)"""

    include_in_schema = False

    @get("/login", sync_to_thread=True)
    def login_form(self, request: Request) -> Template:
        return _login_page(request)

    @post("/login", sync_to_thread=True)
    def login(self, request: Request, db: Session, data: Form) -> Template | Redirect:
        settings: Settings = request.app.state.settings
        username = form_str(data, "username")
        ip = request.client.host if request.client else ""
        if accounts.address_blocked(db, ip):
            # too many failures from this address (any accounts): refused without checking, same answer
            security.verify_password(None, str(data.get("password", "")))  # same work: no timing oracle
            record(db, Actor(None, username[:80]), "auth.address_blocked", "user", username[:60], {"ip": ip})
            db.commit()
            return _login_page(request, accounts.GENERIC_LOGIN_ERROR, 401, username)
        result = accounts.authenticate(db, settings, username, str(data.get("password", "")))
        if result.user is None:
            user = accounts.find_user(db, username)
            accounts.register_address_failure(db, settings, ip)
            record(
                db,
                Actor(user.id if user else None, username[:80]),
                "auth.login_failed",
                "user",
                username[:60],
                {"ip": ip},
            )
            db.commit()
            return _login_page(request, result.error, 401, username)
        user = result.user
        access = accounts.access_for(db, user)
        if not access.grants:
            db.commit()
            return _login_page(
                request, "このアカウントには現在有効な権限がありません。管理者に確認してください", 403, username
            )
        # A fresh session id at every login (no fixation); any previous session is ended.
        old = accounts.load_session(db, settings, request.cookies.get(SESSION_COOKIE))
        if old is not None:
            accounts.end_session(db, old)
        needs_mfa = access.needs_second_factor or user.totp_enabled
        raw, _row = accounts.start_session(db, user, mfa_pending=needs_mfa, ip=ip)
        record(
            db,
            Actor(user.id, user.username),
            "auth.login" if not needs_mfa else "auth.password_ok",
            "user",
            user.id,
            {"ip": ip},
        )
        db.commit()
        target = safe_next(form_str(data, "next"))
        destination = f"/login/totp?next={target}" if needs_mfa else (target if target != "/" else "/select")
        return Redirect(destination, cookies=[session_cookie(request, raw)])

    @get("/login/totp", sync_to_thread=True)
    def totp_form(self, request: Request, db: Session) -> Template:
        context = _pending(request, db)
        user = context.user
        enrol = None
        if not user.totp_enabled:
            if not user.totp_secret:
                user.totp_secret = security.new_totp_secret()
                db.add(user)
                db.commit()
            uri = security.totp_uri(user.totp_secret, user.username)
            enrol = {"qr_svg": security.totp_qr_svg(uri), "secret": user.totp_secret}
        return page("totp.html", context, enrol=enrol, next=safe_next(request.query_params.get("next")))

    @post("/login/totp", sync_to_thread=True)
    def totp_submit(self, request: Request, db: Session, data: Form) -> Template | Redirect:
        settings: Settings = request.app.state.settings
        context = _pending(request, db)
        user = context.user
        step = None
        if not accounts.is_locked(user) and user.totp_secret:
            step = security.totp_accept(user.totp_secret, form_str(data, "code"), user.totp_last_step)
        if step is None:
            # counted on their own (a correct password does not reset them), and per client address
            accounts.register_second_factor_failure(db, settings, user)
            accounts.register_address_failure(db, settings, request.client.host if request.client else "")
            record(db, context.actor, "auth.totp_failed", "user", user.id)
            locked = accounts.is_locked(user)
            if locked:
                accounts.end_session(db, context.browser_session)
            db.commit()
            if locked:
                return _login_page(request, "確認コードの誤りが続いたため、アカウントを一時的にロックしました", 401)
            enrol = None
            if not user.totp_enabled:
                enrol = {
                    "qr_svg": security.totp_qr_svg(security.totp_uri(user.totp_secret, user.username)),
                    "secret": user.totp_secret,
                }
            return page(
                "totp.html",
                context,
                401,
                enrol=enrol,
                error="確認コードが違います",
                next=safe_next(form_str(data, "next")),
            )
        enrolled_now = not user.totp_enabled
        user.totp_enabled = True
        user.totp_last_step = step
        user.failed_logins = 0
        user.first_failed_at = None
        accounts.second_factor_passed(db, user)
        row = context.browser_session
        row.mfa_pending = False
        raw = accounts.rotate_session(db, row)  # new id once fully authenticated
        record(db, context.actor, "auth.totp_enrolled" if enrolled_now else "auth.login", "user", user.id)
        db.commit()
        target = safe_next(form_str(data, "next"))
        return Redirect(target if target != "/" else "/select", cookies=[session_cookie(request, raw)])

    @post("/logout", sync_to_thread=True)
    def logout(self, request: Request, db: Session) -> Redirect:
        settings: Settings = request.app.state.settings
        row = accounts.load_session(db, settings, request.cookies.get(SESSION_COOKIE))
        if row is not None:
            accounts.end_session(db, row)
            record(db, Actor(row.user_id, ""), "auth.logout", "user", row.user_id or "")
        db.commit()
        return Redirect("/login", cookies=[session_cookie(request, "", expire=True)])

    @get("/select", sync_to_thread=True)
    def select_form(self, request: Request, db: Session) -> Template:
        context = browser_context(request, db)
        choices = []
        for municipality in accounts.municipalities_for(db, context.access):
            scope = context.access.disaster_scope(municipality.id)
            choices.append((municipality, list_disasters(db, municipality.id, only_ids=scope)))
        return page("select.html", context, choices=choices)

    @post("/select", sync_to_thread=True)
    def select_submit(self, request: Request, db: Session, data: Form) -> Redirect:
        context = browser_context(request, db)
        municipality: Municipality | None = get_by_code(db, form_str(data, "municipality"))
        if municipality is None or not context.access.can_enter(municipality.id):
            raise PermissionDeniedException("選択した団体を扱う権限がありません")
        disaster_id = None
        number = form_str(data, "disaster")
        if number:
            disaster = require_disaster(db, municipality.id, number)
            scope = context.access.disaster_scope(municipality.id)
            if scope is not None and disaster.id not in scope:
                raise PermissionDeniedException("選択した災害を扱う権限がありません")
            disaster_id = disaster.id
        row = context.browser_session
        cookies = []
        if row.acting_municipality_id != municipality.id:
            # Switching tenant rotates the session id (and with it the CSRF token).
            cookies.append(session_cookie(request, accounts.rotate_session(db, row)))
        row.acting_municipality_id = municipality.id
        row.acting_disaster_id = disaster_id
        db.add(row)
        context.municipality = municipality
        record(db, context.actor, "session.select", "municipality", municipality.code, {"disaster": number})
        db.commit()
        return Redirect(safe_next(form_str(data, "next")), cookies=cookies)
