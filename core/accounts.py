"""Users, role grants, browser sessions and API tokens."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from core.clock import utcnow


class Role(str, enum.Enum):
    system_admin = "system_admin"  # システム管理者: every municipality
    municipality_admin = "municipality_admin"  # 団体管理者
    staff = "staff"  # 職員 (counter and back-office work)
    surveyor = "surveyor"  # 調査員 (damage surveys)
    viewer = "viewer"  # 閲覧者 / 監査


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(max_length=80)
    home_municipality_id: int | None = Field(default=None, foreign_key="municipality.id")
    password_hash: str = Field(max_length=255)
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled: bool = False
    totp_last_step: int = 0  # last accepted TOTP time step, so a code is used once
    is_active: bool = True
    failed_logins: int = 0
    first_failed_at: datetime | None = None
    # Second-factor failures are counted on their own: a correct password does not reset them.
    totp_failures: int = 0
    totp_first_failed_at: datetime | None = None
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Grant(SQLModel, table=True):
    """A role in one municipality (optionally one disaster), valid for a period.

    Mutual-aid staff (応援職員) get grants from the host municipality they are sent to.
    """

    __tablename__ = "role_grant"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    municipality_id: int | None = Field(default=None, foreign_key="municipality.id", index=True)
    disaster_id: int | None = Field(default=None, foreign_key="disaster.id")
    role: str = Field(max_length=30)  # Role value
    valid_from: date | None = None
    valid_until: date | None = None
    granted_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    agreement: str = Field(default="", max_length=200)  # e.g. 応援協定 name
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class UserSession(SQLModel, table=True):
    """Server-side browser session; only a hash of the cookie value is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    # Login is two steps when a second factor is needed: password ok, TOTP pending.
    mfa_pending: bool = False
    acting_municipality_id: int | None = Field(default=None, foreign_key="municipality.id")
    acting_disaster_id: int | None = Field(default=None, foreign_key="disaster.id")
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ip: str = Field(default="", max_length=64)


class ApiToken(SQLModel, table=True):
    """Bearer token for machine clients; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Failed logins (password or second factor) per client address, whatever the account: an
    address that fails too often in the window is refused for a while (guessing across accounts)."""

    __tablename__ = "login_throttle"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64, unique=True, index=True)
    failures: int = 0
    window_started_at: datetime = Field(default_factory=utcnow)
    blocked_until: datetime | None = None
