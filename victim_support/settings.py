"""Settings read from the environment, with defaults that work on a fresh clone."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///var/victim_support.db"


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # Idle timeout of a browser session (minutes without a request).
    session_idle_minutes: int = 30
    # Absolute lifetime of a browser session (hours), whatever the activity.
    session_max_hours: int = 12
    # Failed logins within the window that lock an account, and for how long.
    lockout_threshold: int = 5
    lockout_window_minutes: int = 15
    lockout_minutes: int = 15
    # Secure cookies when served over HTTPS (set VS_SECURE_COOKIES=1 behind TLS).
    secure_cookies: bool = False
    templates_dir: Path = field(default_factory=lambda: REPO_ROOT / "templates")
    static_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parent / "static")
    debug: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            session_idle_minutes=_int("VS_SESSION_IDLE_MINUTES", 30),
            session_max_hours=_int("VS_SESSION_MAX_HOURS", 12),
            lockout_threshold=_int("VS_LOCKOUT_THRESHOLD", 5),
            lockout_window_minutes=_int("VS_LOCKOUT_WINDOW_MINUTES", 15),
            lockout_minutes=_int("VS_LOCKOUT_MINUTES", 15),
            secure_cookies=os.environ.get("VS_SECURE_COOKIES") == "1",
            debug=os.environ.get("VS_DEBUG") == "1",
        )
