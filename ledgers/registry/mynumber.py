"""個人番号 (My Number) protection: check digit, encryption at rest, masking.

The number is never stored in clear, never written to logs, audit details or change history,
and shown only masked. The key comes from ``VS_MY_NUMBER_KEY`` (URL-safe base64 of 32 bytes) or,
on a single machine, from ``var/my_number.key`` created at first use with mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.codes import is_valid_my_number, my_number_check_digit
from core.keys import load_key, write_key_file
from core.settings import Settings

__all__ = ["MASK", "decrypt", "encrypt", "fingerprint", "is_valid_my_number", "mask", "my_number_check_digit"]

KEY_VERSION = "v1"
MASK = "************"


def mask(value_present: bool) -> str:
    """What the UI shows: nothing of the number itself."""
    return MASK if value_present else ""


def _key_file() -> Path:
    return Settings.from_env().my_number_key_path


class MissingKey(RuntimeError):
    """No 個人番号 key is configured (a production server never makes one up by itself)."""


def generate_key_file(path: Path | None = None) -> Path:
    """Write a new random key (URL-safe base64 of 32 bytes, mode 0600); refuses to overwrite one.
    Run once per deployment (``victim-support keys init``); the demo does it for its own var/."""
    made = write_key_file(path or _key_file())
    _key.cache_clear()
    return made


@lru_cache(maxsize=1)
def _key() -> bytes:
    """The key from VS_MY_NUMBER_KEY or the key file. Every instance of a deployment must use the
    same key, so none is generated here unless VS_GENERATE_MY_NUMBER_KEY=1 (demo and tests)."""
    settings = Settings.from_env()
    path = _key_file()
    key = load_key(
        settings.my_number_key,
        path,
        generate=settings.generate_my_number_key,
        missing=MissingKey(
            f"個人番号の暗号鍵がありません: VS_MY_NUMBER_KEY を設定するか、鍵ファイル {path} を置いてください"
            "（victim-support keys init で作れます。すべてのサーバーで同じ鍵を使います）"
        ),
    )
    if len(key) != 32:
        raise ValueError("VS_MY_NUMBER_KEY must be 32 bytes (URL-safe base64)")
    return key


@lru_cache(maxsize=4)
def _fingerprint_key(key: bytes) -> bytes:
    # a key of its own, derived from the encryption key (one key is never used for two purposes)
    return hashlib.blake2b(b"my-number-fingerprint", key=key, digest_size=32).digest()


def fingerprint(value: str, context: str) -> str:
    """A keyed digest of the number (for "has it changed?" without decrypting): equal numbers give
    equal fingerprints, and without the key it cannot be searched through the 10^11 numbers."""
    return hashlib.blake2b(f"{context}\x1f{value}".encode(), key=_fingerprint_key(_key()), digest_size=16).hexdigest()


def encrypt(value: str, context: str) -> str:
    """Ciphertext bound to ``context`` (municipality code + 宛名番号), so it cannot be moved to another row."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, value.encode("ascii"), context.encode())
    return f"{KEY_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str, context: str) -> str:
    version, _, body = token.partition(":")
    if version != KEY_VERSION:
        raise ValueError("unknown 個人番号 key version")
    raw = base64.urlsafe_b64decode(body)
    return AESGCM(_key()).decrypt(raw[:12], raw[12:], context.encode()).decode("ascii")
