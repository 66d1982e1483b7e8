"""Decoding of ledger files: CP932 (never ``shift_jis``), UTF-8, BOM sniffing, undecodable bytes, 外字.

* ``cp932`` is Microsoft's Shift_JIS with the NEC and IBM extensions (①, ㈱, 髙 as ``EE E0`` or
  ``FB FC``). Python's ``shift_jis`` codec rejects those and maps ``81 60`` to a different character,
  so a layout that says ``shift_jis`` / ``sjis`` / ``ms932`` / ``windows-31j`` is read as ``cp932``.
* ``auto``: a UTF-8 BOM → ``utf-8-sig``; bytes that are valid UTF-8 → ``utf-8``; else ``cp932``. The
  decision is taken on the first non-ASCII bytes (up to 4 MiB are looked at), without reading the
  whole file: the file is still streamed.
* User-defined characters (外字) at CP932 ``F040``–``F9FC`` decode to the Private Use Area
  ``U+E000``–``U+E757``. They are mapped through the municipality's 外字 map; unmapped ones are kept.
* Undecodable bytes never stop a read: they become lone surrogates (``surrogateescape``) that the
  pipeline finds, reports as an error of the row, and replaces with ``U+FFFD``.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Mapping
from typing import BinaryIO

__all__ = [
    "ENCODINGS",
    "canonical_encoding",
    "sniff_encoding",
    "open_source",
    "text_stream",
    "ERRORS",
    "UNDECODABLE_RE",
    "undecodable_bytes",
    "undecodable_seen",
    "replace_undecodable",
    "PUA_RE",
    "GaijiMapper",
]

ENCODINGS = ("cp932", "utf-8", "utf-8-sig", "auto")
_ALIASES = {
    "cp932": "cp932",
    "ms932": "cp932",
    "windows-31j": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "s-jis": "cp932",
    "x-sjis": "cp932",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "auto": "auto",
}

# Lone surrogates U+DC80..U+DCFF stand for undecodable bytes (surrogateescape).
UNDECODABLE_RE = re.compile("[\udc80-\udcff]+")
# 外字: the whole BMP Private Use Area (CP932 user area decodes to U+E000..U+E757).
PUA_RE = re.compile("[\ue000-\uf8ff]")

ERRORS = "importers.undecodable"
_SEEN = [0]  # number of undecodable byte runs met by any read (a cheap "did anything go wrong" gate)


def _undecodable(exc: UnicodeError):  # noqa: ANN202
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _SEEN[0] += 1
    bad = exc.object[exc.start : exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


codecs.register_error(ERRORS, _undecodable)


def undecodable_seen() -> int:
    return _SEEN[0]


def undecodable_bytes(s: str) -> str:
    """The undecodable bytes hidden in ``s`` as hex (``"81 FF"``), for the report."""
    return " ".join(f"{ord(c) - 0xDC00:02X}" for run in UNDECODABLE_RE.findall(s) for c in run)


def replace_undecodable(s: str) -> str:
    return UNDECODABLE_RE.sub("\ufffd", s)


def canonical_encoding(name: str) -> str:
    """``cp932`` | ``utf-8`` | ``utf-8-sig`` | ``auto``; raises ``ValueError`` for anything else."""
    key = str(name).strip().lower()
    found = _ALIASES.get(key) or _ALIASES.get(key.replace("_", "-"))
    if found is None:
        raise ValueError(f"unsupported encoding {name!r} (use one of {', '.join(ENCODINGS)})")
    return found


def sniff_encoding(sample: bytes) -> str:
    """Decide ``auto`` from the first bytes of a file (see the module docstring)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    first = next((i for i, b in enumerate(sample) if b >= 0x80), None)
    if first is None:
        return "utf-8"  # pure ASCII so far: both read it the same
    window = sample[first : first + 65536]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(window, final=False)
    except UnicodeDecodeError:
        return "cp932"
    return "utf-8"


class _PrefixedRaw(io.RawIOBase):
    """A raw stream that serves ``prefix`` first and then the rest of ``source``."""

    def __init__(self, prefix: bytes, source: BinaryIO, close_source: bool) -> None:
        self._prefix = memoryview(prefix)
        self._source = source
        self._close_source = close_source

    def close(self) -> None:
        if not self.closed and self._close_source:
            self._source.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._source.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


_SNIFF_CHUNK = 1 << 16
_SNIFF_LIMIT = 4 << 20


def open_source(source, encoding: str) -> tuple[BinaryIO, str, bool]:  # noqa: ANN001
    """(binary stream, concrete encoding, owned) for a path or a binary file object.

    ``owned``: the stream was made here, and closing it closes what was opened here (never a file
    object passed in). With ``encoding="auto"`` the first bytes are looked at and put back in front.
    """
    opened = False
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        stream: BinaryIO = open(source, "rb", buffering=1 << 20)  # noqa: SIM115
        opened = True
    else:
        stream = source
    if encoding != "auto":
        return stream, encoding, opened
    chunks: list[bytes] = []
    size = 0
    while size < _SNIFF_LIMIT:
        chunk = stream.read(_SNIFF_CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if max(chunk) >= 0x80:
            break
    sample = b"".join(chunks)
    detected = sniff_encoding(sample)
    prefixed = io.BufferedReader(_PrefixedRaw(sample, stream, close_source=opened), buffer_size=1 << 20)
    return prefixed, detected, True


def text_stream(binary: BinaryIO, encoding: str) -> io.TextIOWrapper:
    """A text stream for the csv module (``newline=''``; undecodable bytes escaped, see above)."""
    stream = io.TextIOWrapper(binary, encoding=encoding, errors=ERRORS, newline="")
    stream._CHUNK_SIZE = 1 << 16  # fewer, larger decode calls
    return stream


class GaijiMapper:
    """Applies a municipality's 外字 map {PUA char: replacement text} to text fields.

    ``apply(s)`` → (mapped text, unmapped PUA chars). Unmapped characters are kept as they are.
    """

    def __init__(self, gaiji_map: Mapping[str, str] | None) -> None:
        table: dict[int, str] = {}
        for key, value in (gaiji_map or {}).items():
            if not isinstance(key, str) or len(key) != 1:
                raise ValueError(f"外字 map keys must be single characters, got {key!r}")
            table[ord(key)] = str(value)
        self._table = table

    def __bool__(self) -> bool:
        return bool(self._table)

    def apply(self, s: str) -> tuple[str, list[str]]:
        mapped = s.translate(self._table) if self._table else s
        unmapped = PUA_RE.findall(mapped)
        return mapped, unmapped
