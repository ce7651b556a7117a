"""Text files from any exporter: UTF-8 with or without a BOM, UTF-16 (Windows tools), Latin-1."""

from __future__ import annotations

from pathlib import Path

from engine.errors import BadInputError


def read_file(path: Path, *, what: str = "") -> bytes:
    """A file's bytes, or a reason a person can act on (permission denied, a disk error ...); ``what`` names
    the kind of file in the message (``"landmark CSV "``)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot read {what}{path.name}: {exc.strerror or exc}") from None


def decode_text(data: bytes | bytearray, name: str) -> str:
    """A text file's bytes as text: UTF-8 (with or without BOM), UTF-16 with a BOM (Windows exports),
    else Latin-1 (every byte is a character, so a stray byte never stops the read)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise BadInputError(f"{name}: marked as UTF-16 but not valid UTF-16 text") from None
    if len(data) > 3 and data[1:4:2] == b"\x00\x00" and data[0] != 0:
        return data.decode("utf-16-le", errors="replace")      # UTF-16 without its BOM
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
