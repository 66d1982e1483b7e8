"""Accounts: login with lockout, server-side sessions, API tokens, grants and permissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, or_, select
from sqlmodel import Session

from core.accounts import ApiToken, Grant, LoginThrottle, Role, User, UserSession
from core.clock import today_jst, utcnow
from core.settings import Settings
from core.tenancy import Municipality
from victim_support.accounts.permissions import ADMIN_ROLES, PERMISSIONS
from victim_support.accounts.security import (
    hash_password,
    new_token,
    password_problem,
    token_digest,
    verify_password,
)


class AccountError(ValueError):
    """A refused account operation, with a message a user can act on."""


# ---------------------------------------------------------------- users and grants


def create_user(
    session: Session,
    username: str,
    password: str,
    display_name: str,
    home_municipality: Municipality | None,
) -> User:
    username = username.strip()
    if not username or len(username) > 80 or any(ch.isspace() for ch in username):
        raise AccountError("ユーザー名は空白を含まない80文字以内で指定してください")
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise AccountError(f"ユーザー名 {username} は既に使われています")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user = User(
        username=username,
        display_name=display_name or username,
        home_municipality_id=home_municipality.id if home_municipality else None,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def add_grant(
    session: Session,
    user: User,
    role: str,
    municipality: Municipality | None,
    *,
    disaster_id: int | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    granted_by: User | None = None,
    agreement: str = "",
) -> Grant:
    if role not in {r.value for r in Role}:
        raise AccountError(f"不明な役割です: {role}")
    if role != Role.system_admin.value and municipality is None:
        raise AccountError("この役割には対象の団体が必要です")
    if valid_from and valid_until and valid_until < valid_from:
        raise AccountError("有効期間の終了日が開始日より前です")
    grant = Grant(
        user_id=user.id,
        municipality_id=municipality.id if municipality else None,
        disaster_id=disaster_id,
        role=role,
        valid_from=valid_from,
        valid_until=valid_until,
        granted_by_id=granted_by.id if granted_by else None,
        agreement=agreement,
    )
    session.add(grant)
    session.flush()
    return grant


def active_grants(session: Session, user_id: int, on: date | None = None) -> list[Grant]:
    on = on or today_jst()
    rows = session.execute(
        select(Grant).where(
            Grant.user_id == user_id,
            Grant.revoked_at.is_(None),
            or_(Grant.valid_from.is_(None), Grant.valid_from <= on),
            or_(Grant.valid_until.is_(None), Grant.valid_until >= on),
        )
    ).scalars()
    return list(rows)


@dataclass(frozen=True)
class Access:
    """What a user may do, computed once per request from their active grants."""

    user: User
    grants: tuple[Grant, ...]

    @property
    def is_system_admin(self) -> bool:
        return any(g.role == Role.system_admin.value for g in self.grants)

    def can(self, permission: str, municipality_id: int | None, disaster_id: int | None = None) -> bool:
        """Whether a grant allows ``permission`` in the municipality for the disaster ``disaster_id``,
        or, with ``disaster_id`` None, for the whole municipality. A grant limited to one disaster
        allows only actions on that disaster: never a municipality-wide one."""
        for grant in self.grants:
            if permission not in PERMISSIONS.get(grant.role, frozenset()):
                continue
            if grant.role == Role.system_admin.value and grant.municipality_id is None:
                return True
            if grant.municipality_id != municipality_id:
                continue
            if grant.disaster_id is not None and grant.disaster_id != disaster_id:
                continue
            return True
        return False

    def can_somewhere(self, permission: str, municipality_id: int | None) -> bool:
        """Whether some grant allows ``permission`` in the municipality, for at least one disaster
        (for listings that are then limited to ``disaster_scope``)."""
        return any(
            permission in PERMISSIONS.get(g.role, frozenset())
            and (
                g.municipality_id == municipality_id
                or (g.role == Role.system_admin.value and g.municipality_id is None)
            )
            for g in self.grants
        )

    def can_enter(self, municipality_id: int) -> bool:
        return self.is_system_admin or any(g.municipality_id == municipality_id for g in self.grants)

    def disaster_scope(self, municipality_id: int) -> set[int] | None:
        """Disasters a user is limited to in a municipality, or None for all of them."""
        if self.is_system_admin:
            return None
        scoped: set[int] = set()
        for grant in self.grants:
            if grant.municipality_id != municipality_id:
                continue
            if grant.disaster_id is None:
                return None
            scoped.add(grant.disaster_id)
        return scoped

    def roles_in(self, municipality_id: int | None) -> list[str]:
        return sorted(
            {g.role for g in self.grants if g.municipality_id == municipality_id or g.municipality_id is None}
        )

    @property
    def needs_second_factor(self) -> bool:
        """TOTP is required for admins and for mutual-aid grants (another municipality's)."""
        home = self.user.home_municipality_id
        return any(g.role in ADMIN_ROLES or (g.municipality_id not in (None, home)) for g in self.grants)


def access_for(session: Session, user: User) -> Access:
    return Access(user=user, grants=tuple(active_grants(session, user.id)))


def municipalities_for(session: Session, access: Access) -> list[Municipality]:
    query = select(Municipality).order_by(Municipality.code)
    if not access.is_system_admin:
        ids = {g.municipality_id for g in access.grants if g.municipality_id is not None}
        query = query.where(Municipality.id.in_(ids or {-1}))
    return list(session.execute(query).scalars())


# ---------------------------------------------------------------- login with lockout


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None


# One answer for a wrong name, a wrong password and a locked account, so that the answer never tells
# whether an account exists (a locked real account and an unknown name must look the same).
GENERIC_LOGIN_ERROR = (
    "ユーザー名またはパスワードが違うか、ログインの失敗が続いたためアカウントが一時的にロックされています。"
    "しばらくしてから再度お試しください"
)


def authenticate(session: Session, settings: Settings, username: str, password: str) -> LoginResult:
    """Check a password; count failures and lock the account after too many.

    The caller commits: failures must be stored even though the login is refused.
    """
    now = utcnow()
    user = session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
    if user is None or not user.is_active:
        verify_password(None, password)  # same work as a real check: no timing oracle
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    if is_locked(user):
        verify_password(None, password)
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    if not verify_password(user.password_hash, password):
        register_failure(session, settings, user)
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    user.failed_logins = 0
    user.first_failed_at = None
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    return LoginResult(user)


def _count_failure(session: Session, settings: Settings, user: User, count: str, since: str) -> None:
    """Add one failure to the counter ``count`` (window start in ``since``); at the threshold within
    the window the account is locked for ``lockout_minutes`` and the counter starts again."""
    now = utcnow()
    window = timedelta(minutes=settings.lockout_window_minutes)
    started = getattr(user, since)
    if started is None or now - started > window:
        setattr(user, since, now)
        setattr(user, count, 0)
    setattr(user, count, getattr(user, count) + 1)
    if getattr(user, count) >= settings.lockout_threshold:
        user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        setattr(user, count, 0)
        setattr(user, since, None)
    session.add(user)


def register_failure(session: Session, settings: Settings, user: User) -> None:
    """Count a failed password; too many in the window lock the account."""
    _count_failure(session, settings, user, "failed_logins", "first_failed_at")


def register_second_factor_failure(session: Session, settings: Settings, user: User) -> None:
    """Count a wrong second-factor code on its own (a correct password never resets it); too many
    in the window lock the account like password failures do."""
    _count_failure(session, settings, user, "totp_failures", "totp_first_failed_at")


def second_factor_passed(session: Session, user: User) -> None:
    user.totp_failures = 0
    user.totp_first_failed_at = None
    session.add(user)


def _throttle_row(session: Session, address: str) -> LoginThrottle | None:
    return session.execute(
        select(LoginThrottle).where(LoginThrottle.address == address[:64]).with_for_update()
    ).scalar_one_or_none()


def address_blocked(session: Session, address: str) -> bool:
    """Whether logins from this client address are refused for now (too many failures)."""
    if not address:
        return False
    row = session.execute(select(LoginThrottle).where(LoginThrottle.address == address[:64])).scalar_one_or_none()
    return row is not None and row.blocked_until is not None and row.blocked_until > utcnow()


def register_address_failure(session: Session, settings: Settings, address: str) -> None:
    """Count a failed password or code from a client address, whatever the account; too many in the
    window block the address for ``lockout_minutes`` (guessing across many accounts, or one code
    after another)."""
    if not address:
        return
    now = utcnow()
    row = _throttle_row(session, address)
    if row is None:
        row = LoginThrottle(address=address[:64], failures=0, window_started_at=now)
    elif now - row.window_started_at > timedelta(minutes=settings.lockout_window_minutes):
        row.window_started_at, row.failures = now, 0
    row.failures += 1
    if row.failures >= settings.address_failure_threshold:
        row.blocked_until = now + timedelta(minutes=settings.lockout_minutes)
        row.failures, row.window_started_at = 0, now
    session.add(row)


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


# ---------------------------------------------------------------- browser sessions


def csrf_token_for(cookie_value: str) -> str:
    """The CSRF token of a browser: derived from its secret cookie, so it changes with every
    session rotation and needs no storage (an attacker's page cannot read the cookie)."""
    return token_digest("csrf:" + cookie_value)[:40]


def start_session(session: Session, user: User, *, mfa_pending: bool, ip: str = "") -> tuple[str, UserSession]:
    """A new session row and its cookie value (only the digest is stored)."""
    raw = new_token()
    row = UserSession(
        token_hash=token_digest(raw),
        user_id=user.id,
        mfa_pending=mfa_pending,
        ip=ip[:64],
    )
    session.add(row)
    session.flush()
    return raw, row


def rotate_session(session: Session, row: UserSession) -> str:
    """Give the session a new id; the old cookie (and its CSRF token) stop working at once."""
    raw = new_token()
    row.token_hash = token_digest(raw)
    row.last_seen_at = utcnow()
    session.add(row)
    return raw


def session_expired(settings: Settings, row: UserSession) -> bool:
    """Idle too long, or older than the absolute lifetime."""
    now = utcnow()
    idle = timedelta(minutes=settings.session_idle_minutes)
    return now - row.last_seen_at > idle or now - row.created_at > timedelta(hours=settings.session_max_hours)


def load_session(session: Session, settings: Settings, raw: str | None) -> UserSession | None:
    if not raw:
        return None
    row = session.execute(select(UserSession).where(UserSession.token_hash == token_digest(raw))).scalar_one_or_none()
    if row is None:
        return None
    if session_expired(settings, row):
        session.delete(row)
        return None
    return row


def touch_session(session: Session, row: UserSession) -> bool:
    """Record activity; True when the row was changed (the caller commits it)."""
    # Only write when a minute has passed: a page load must not always write.
    now = utcnow()
    if now - row.last_seen_at > timedelta(seconds=60):
        row.last_seen_at = now
        session.add(row)
        return True
    return False


def end_session(session: Session, row: UserSession) -> None:
    session.delete(row)


def purge_expired_sessions(session: Session, settings: Settings) -> int:
    cutoff = utcnow() - timedelta(minutes=settings.session_idle_minutes)
    result = session.execute(delete(UserSession).where(UserSession.last_seen_at < cutoff))
    return result.rowcount or 0


# ---------------------------------------------------------------- API tokens

TOKEN_PREFIX = "vst_"


def create_api_token(session: Session, user: User, label: str = "", days: int | None = 365) -> tuple[str, ApiToken]:
    raw = new_token(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        token_hash=token_digest(raw),
        prefix=raw[:12],
        label=label,
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    return raw, token


def user_for_token(session: Session, raw: str) -> User | None:
    token = session.execute(select(ApiToken).where(ApiToken.token_hash == token_digest(raw))).scalar_one_or_none()
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at is not None and token.expires_at < now):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
        session.add(token)
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()
