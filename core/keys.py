"""Key files of a deployment (the 個人番号 key, the audit checkpoint key): 32 random bytes, URL-safe
base64, mode 0600, written once and never overwritten. Every app server must use the same keys, so a
server only reads them; the demo, ``victim-support keys init`` and the tests make them."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

KEY_BYTES = 32


def write_key_file(path: Path) -> Path:
    """A new random key in ``path`` (0600); FileExistsError when there is one already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)))
    return path


def load_key(configured: str | None, path: Path, *, generate: bool, missing: Exception) -> bytes:
    """The key given in the environment (``configured``), else read from ``path``; a missing file is
    made when ``generate`` (demo, tests), else ``missing`` is raised."""
    if configured:
        return base64.urlsafe_b64decode(configured)
    if not path.exists():
        if not generate:
            raise missing
        write_key_file(path)
    return base64.urlsafe_b64decode(path.read_bytes().strip())
