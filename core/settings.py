"""Settings, read from the environment in one place, with defaults that work on a fresh clone.

Every environment variable the project reads is a field here (the README lists them). Code that
needs one calls ``Settings.from_env()`` when it needs it, so a changed environment (a test's
``monkeypatch.setenv``) is seen at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/victim_support.db"
READER_MODES = ("auto", "process", "inline")


# The checkout this code runs from, if any (decided once: Settings are read on every request that
# needs one, and the answer never changes while the process runs).
_CHECKOUT = Path(__file__).resolve().parent.parent
_IN_CHECKOUT = (_CHECKOUT / "pyproject.toml").is_file()


def _home() -> Path:
    """Where relative paths (``var/``, a relative SQLite file) live: the checkout when run from one
    (``make run``), else the current directory (an installed wheel)."""
    configured = os.environ.get("VS_HOME")
    if configured:
        return Path(configured).resolve()
    return _CHECKOUT if _IN_CHECKOUT else Path.cwd()


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # Base folder of relative paths; var/ below it holds the SQLite file, photos, uploads and keys.
    home: Path = field(default_factory=_home)
    # Idle timeout of a browser session (minutes without a request).
    session_idle_minutes: int = 30
    # Absolute lifetime of a browser session (hours), whatever the activity.
    session_max_hours: int = 12
    # Failed logins within the window that lock an account, and for how long.
    lockout_threshold: int = 5
    lockout_window_minutes: int = 15
    lockout_minutes: int = 15
    # Failed logins from one client address (any accounts) within the window that block the address.
    address_failure_threshold: int = 20
    # Secure cookies when served over HTTPS (set VS_SECURE_COOKIES=1 behind TLS).
    secure_cookies: bool = False
    debug: bool = False
    # Folders; None = below ``var/``.
    data_dir: Path | None = None
    photo_dir: Path | None = None
    upload_dir: Path | None = None
    # 個人番号 key: the key itself (URL-safe base64 of 32 bytes) or the file holding it.
    my_number_key: str | None = field(default=None, repr=False)
    my_number_key_file: Path | None = None
    # Make the key file when it is missing: only the demo (make run) and the tests; production
    # servers must be given the same key (an instance that made its own could not read the others').
    generate_my_number_key: bool = False
    # Audit checkpoints: the signing key (outside the database) and the file they are appended to.
    audit_key: str | None = field(default=None, repr=False)
    audit_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    # Minutes between the checkpoints each app instance writes by itself (0: only by hand).
    audit_checkpoint_minutes: float = 60
    # TrueType font embedded in certificates (None = the IPAexGothic shipped with the package).
    certificate_font: Path | None = None
    # How imports read a file: auto (a second process for large files), process, inline.
    import_reader: str = "auto"
    # Seconds without a heartbeat after which a running background job is taken as interrupted.
    job_stale_seconds: int = 60
    # Web assets; None = the ones inside the installed package.
    templates_dir: Path | None = None
    static_dir: Path | None = None

    @classmethod
    def from_env(cls) -> Settings:
        reader = os.environ.get("VS_IMPORT_READER") or "auto"
        if reader not in READER_MODES:
            raise ValueError(f"VS_IMPORT_READER must be one of {', '.join(READER_MODES)}: {reader!r}")
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            session_idle_minutes=_int("VS_SESSION_IDLE_MINUTES", 30),
            session_max_hours=_int("VS_SESSION_MAX_HOURS", 12),
            lockout_threshold=_int("VS_LOCKOUT_THRESHOLD", 5),
            lockout_window_minutes=_int("VS_LOCKOUT_WINDOW_MINUTES", 15),
            lockout_minutes=_int("VS_LOCKOUT_MINUTES", 15),
            address_failure_threshold=_int("VS_ADDRESS_FAILURE_THRESHOLD", 20),
            secure_cookies=os.environ.get("VS_SECURE_COOKIES") == "1",
            debug=os.environ.get("VS_DEBUG") == "1",
            data_dir=_path("VS_DATA_DIR"),
            photo_dir=_path("VS_PHOTO_DIR"),
            upload_dir=_path("VS_UPLOAD_DIR"),
            my_number_key=os.environ.get("VS_MY_NUMBER_KEY") or None,
            my_number_key_file=_path("VS_MY_NUMBER_KEY_FILE"),
            generate_my_number_key=os.environ.get("VS_GENERATE_MY_NUMBER_KEY") == "1",
            audit_key=os.environ.get("VS_AUDIT_KEY") or None,
            audit_key_file=_path("VS_AUDIT_KEY_FILE"),
            audit_checkpoint_file=_path("VS_AUDIT_CHECKPOINT_FILE"),
            audit_checkpoint_minutes=float(os.environ.get("VS_AUDIT_CHECKPOINT_MINUTES") or 60),
            certificate_font=_path("VS_CERT_FONT"),
            import_reader=reader,
            job_stale_seconds=_int("VS_JOB_STALE_SECONDS", 60),
            templates_dir=_path("VS_TEMPLATES_DIR"),
            static_dir=_path("VS_STATIC_DIR"),
        )

    # Resolved folders -----------------------------------------------------------------------------

    @property
    def var_dir(self) -> Path:
        return self.data_dir or self.home / "var"

    @property
    def photos(self) -> Path:
        return self.photo_dir or self.var_dir / "photos"

    @property
    def uploads(self) -> Path:
        return self.upload_dir or self.var_dir / "uploads"

    @property
    def my_number_key_path(self) -> Path:
        return self.my_number_key_file or self.var_dir / "my_number.key"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.var_dir / "audit.key"

    @property
    def audit_checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.var_dir / "audit-checkpoints.jsonl"

    def resolve(self, path: Path) -> Path:
        """A relative path (of a SQLite URL) taken from ``home``."""
        return path if path.is_absolute() else self.home / path


# Documentation of every variable, for the README table and ``victim-support --help``.
ENVIRONMENT = (
    ("DATABASE_URL", "sqlite:///var/victim_support.db", "database (SQLite file, or postgresql://…)"),
    ("VS_HOME", "the checkout, else the current folder", "base of relative paths and of var/"),
    ("VS_DATA_DIR", "var/", "folder of photos, uploads and the 個人番号 key file"),
    ("VS_PHOTO_DIR", "var/photos", "survey photos"),
    ("VS_UPLOAD_DIR", "var/uploads", "files uploaded for import"),
    ("VS_MY_NUMBER_KEY", "(unset)", "個人番号 encryption key, URL-safe base64 of 32 bytes"),
    ("VS_MY_NUMBER_KEY_FILE", "var/my_number.key", "file holding that key (`victim-support keys init` makes it)"),
    ("VS_GENERATE_MY_NUMBER_KEY", "0", "1: make the key file when missing (demo and tests only)"),
    ("VS_AUDIT_KEY", "(unset)", "key signing the audit checkpoints, URL-safe base64 of 32 bytes"),
    ("VS_AUDIT_KEY_FILE", "var/audit.key", "file holding that key (`victim-support keys init` makes it)"),
    ("VS_AUDIT_CHECKPOINT_FILE", "var/audit-checkpoints.jsonl", "where signed checkpoints are appended"),
    ("VS_AUDIT_CHECKPOINT_MINUTES", "60", "minutes between the checkpoints each app instance writes (0: off)"),
    ("VS_CERT_FONT", "bundled IPAexGothic", "TrueType font embedded in certificates"),
    ("VS_IMPORT_READER", "auto", "auto, process or inline: how imports read a file"),
    ("VS_JOB_STALE_SECONDS", "60", "seconds without a heartbeat before a background job shows as interrupted"),
    ("VS_TEMPLATES_DIR", "the package's", "override the page templates"),
    ("VS_STATIC_DIR", "the package's", "override the static files"),
    ("VS_SESSION_IDLE_MINUTES", "30", "idle timeout of a browser session"),
    ("VS_SESSION_MAX_HOURS", "12", "absolute lifetime of a browser session"),
    ("VS_LOCKOUT_THRESHOLD", "5", "failed logins that lock an account"),
    ("VS_LOCKOUT_WINDOW_MINUTES", "15", "window in which they are counted"),
    ("VS_LOCKOUT_MINUTES", "15", "how long the account stays locked"),
    ("VS_ADDRESS_FAILURE_THRESHOLD", "20", "failed logins from one client address that block it"),
    ("VS_SECURE_COOKIES", "0", "1 behind TLS: cookies marked Secure"),
    ("VS_DEBUG", "0", "1: debug mode (never in production)"),
)
