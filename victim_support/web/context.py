"""Who is asking and for which tenant: resolved once per request from the session or token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from sqlalchemy import select
from sqlmodel import Session

from core.accounts import User, UserSession
from core.audit import Actor
from core.errors import DomainError
from core.settings import Settings
from core.tenancy import Municipality, get_by_code
from ledgers.disasters.models import Disaster
from ledgers.disasters.services import require_disaster
from victim_support.accounts import services as accounts
from victim_support.accounts.security import token_digest

SESSION_COOKIE = "vs_session"
PRE_SESSION_COOKIE = "vs_pre"  # anonymous visitor (login form), for its CSRF token
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(NotAuthorizedException):
    """No valid browser session: HTML requests are sent to the login page."""


@dataclass
class RequestContext:
    user: User
    access: accounts.Access
    municipality: Municipality | None = None  # acting municipality (tenant)
    disaster: Disaster | None = None  # acting disaster (browser)
    browser_session: UserSession | None = None
    csrf_token: str = ""

    home_code: str = ""  # the user's home municipality, recorded in the audit log

    @property
    def actor(self) -> Actor:
        return Actor(
            user_id=self.user.id,
            username=self.user.username,
            home_municipality=self.home_code,
            acting_municipality=self.municipality.code if self.municipality else "",
            disaster_number=self.disaster.number if self.disaster else "",
        )

    # The one permission check of pages, the API and downloads: it always knows the municipality
    # and the disaster (or that the action is municipality-wide).

    def require(self, permission: str, disaster: Disaster) -> None:
        """``permission`` for an action on ``disaster`` (of the acting municipality)."""
        municipality_id = self.municipality.id if self.municipality else None
        if disaster is None or disaster.municipality_id != municipality_id:
            raise PermissionDeniedException("この操作を行う権限がありません")
        if not self.access.can(permission, municipality_id, disaster.id):
            raise PermissionDeniedException("この操作を行う権限がありません")

    def require_municipal(self, permission: str) -> None:
        """``permission`` for a municipality-wide action (imports, new disasters, issuer settings):
        a grant limited to one disaster never allows it."""
        municipality_id = self.municipality.id if self.municipality else None
        if not self.access.can(permission, municipality_id, None):
            raise PermissionDeniedException("この操作は災害を限定しない権限が必要です")

    def require_here(self, permission: str) -> None:
        """``permission`` where the user is working: the acting disaster when one is chosen (a grant
        limited to it suffices), else the whole municipality."""
        if self.disaster is not None:
            self.require(permission, self.disaster)
        else:
            self.require_municipal(permission)

    def require_listing(self, permission: str) -> None:
        """``permission`` for at least one disaster (the listing is then limited to the user's scope)."""
        if not self.access.can_somewhere(permission, self.municipality.id if self.municipality else None):
            raise PermissionDeniedException("この操作を行う権限がありません")

    def can(self, permission: str) -> bool:
        municipality_id = self.municipality.id if self.municipality else None
        disaster_id = self.disaster.id if self.disaster else None
        return self.access.can(permission, municipality_id, disaster_id)


def provide_db(state: State) -> Iterator[Session]:
    session = Session(state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _home_code(db: Session, user: User) -> str:
    if user.home_municipality_id is None:
        return ""
    home = db.get(Municipality, user.home_municipality_id)
    return home.code if home else ""


def _load_browser_session(
    db: Session, raw: str
) -> tuple[UserSession, User | None, Municipality | None, Disaster | None] | None:
    """The session row of a cookie with its user and its acting municipality and disaster, in one
    query (every browser request starts here). Acting municipality and disaster are only candidates:
    the caller checks them against the user's grants."""
    found = db.execute(
        select(UserSession, User, Municipality, Disaster)
        .outerjoin(User, User.id == UserSession.user_id)
        .outerjoin(Municipality, Municipality.id == UserSession.acting_municipality_id)
        .outerjoin(Disaster, Disaster.id == UserSession.acting_disaster_id)
        .where(UserSession.token_hash == token_digest(raw))
    ).one_or_none()
    return tuple(found) if found is not None else None


def browser_context(request: Request, db: Session, *, allow_mfa_pending: bool = False) -> RequestContext:
    """The signed-in user of a browser request, or LoginRequired."""
    settings: Settings = request.app.state.settings
    raw = request.cookies.get(SESSION_COOKIE)
    loaded = _load_browser_session(db, raw) if raw else None
    if loaded is None:
        raise LoginRequired("ログインしてください")
    row, user, acting, disaster = loaded
    if accounts.session_expired(settings, row):
        db.delete(row)
        db.commit()  # the expired session row is removed
        raise LoginRequired("ログインしてください")
    if row.user_id is None:
        raise LoginRequired("ログインしてください")
    if row.mfa_pending and not allow_mfa_pending:
        raise LoginRequired("二要素認証を完了してください")
    if user is None or not user.is_active:
        raise LoginRequired("ログインしてください")
    if accounts.touch_session(db, row):
        db.commit()  # at most once a minute; kept even if the request then fails
    access = accounts.access_for(db, user)
    context = RequestContext(user=user, access=access, browser_session=row, csrf_token=accounts.csrf_token_for(raw))
    if row.acting_municipality_id is not None and access.can_enter(row.acting_municipality_id):
        context.municipality = acting
        if row.acting_disaster_id is not None:
            scope = access.disaster_scope(row.acting_municipality_id)
            if (
                disaster
                and disaster.municipality_id == row.acting_municipality_id
                and (scope is None or disaster.id in scope)
            ):
                context.disaster = disaster
    if user.home_municipality_id is not None and acting is not None and acting.id == user.home_municipality_id:
        context.home_code = acting.code  # staff at home: no second lookup
    else:
        context.home_code = _home_code(db, user)
    return context


def provide_context(request: Request, db: Session) -> RequestContext:
    return browser_context(request, db)


def provide_api_context(request: Request, db: Session) -> RequestContext:
    """Bearer token (machine clients) for the JSON API."""
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise NotAuthorizedException("Authorization: Bearer <token> が必要です")
    user = accounts.user_for_token(db, raw.strip())
    if user is None:
        raise NotAuthorizedException("トークンが無効です（期限切れまたは失効）")
    db.commit()
    context = RequestContext(user=user, access=accounts.access_for(db, user))
    context.home_code = _home_code(db, user)
    return context


def enter_municipality(db: Session, context: RequestContext, code: str) -> Municipality:
    """Scope an API request to the municipality in its path; 403 without a grant there."""
    municipality = get_by_code(db, code)
    if municipality is None or not context.access.can_enter(municipality.id):
        # Same answer for "does not exist" and "not yours": no probing of other tenants.
        raise PermissionDeniedException(f"地方公共団体 {code} のデータを扱う権限がありません")
    context.municipality = municipality
    return municipality


def enter_disaster(db: Session, context: RequestContext, code: str, number: str, permission: str) -> Disaster:
    """Scope an API request to the municipality and disaster in its path: 403 without a grant in
    the municipality, 404 for a disaster outside the user's scope, 403 without ``permission``."""
    municipality = enter_municipality(db, context, code)
    disaster = require_disaster(db, municipality.id, number)
    scope = context.access.disaster_scope(municipality.id)
    if scope is not None and disaster.id not in scope:
        raise NotFoundException(f"災害番号 {number} の災害はありません")
    context.disaster = disaster
    context.require(permission, disaster)
    return disaster


def require_acting(context: RequestContext) -> Municipality:
    if context.municipality is None:
        raise NotFoundException("対象の団体を選択してください")
    return context.municipality


def acting_disaster(context: RequestContext, permission: str) -> Disaster:
    """The disaster the user is acting for (browser), when the user holds ``permission`` for it."""
    require_acting(context)
    if context.disaster is None:
        raise DomainError("先に対象の災害を選択してください")
    context.require(permission, context.disaster)
    return context.disaster
