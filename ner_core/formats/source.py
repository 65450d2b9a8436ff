"""The bytes of a corpus file (plain or a one-member zip, within a size cap) and their text.

Size: a file, or what a zip member expands to, may hold at most ``$NER_MAX_UPLOAD_MB`` megabytes
(default 200). A zip member is refused on its declared size before anything is inflated, and is
read as a stream that stops one byte past the cap, so a zip bomb never fills memory.

Encoding, in this order: a UTF-8 or UTF-16 byte-order mark decides; else UTF-8 if the whole file
decodes; else latin-1, but only when the file holds no valid multi-byte UTF-8 sequence at all (a
latin-1 file such as the GMB corpus). A file with UTF-8 text *and* an invalid byte is refused with
the line of that byte rather than read as latin-1 ("MÃ¼ller"). The encoding used is reported;
a caller may force one instead.
"""
from __future__ import annotations

import codecs
import io
import os
import zipfile
from pathlib import Path

from .base import CorpusError

MAX_MB_ENV = "NER_MAX_UPLOAD_MB"
DEFAULT_MAX_MB = 200
_CHUNK = 1 << 20


def max_bytes() -> int:
    """The size cap in bytes: ``$NER_MAX_UPLOAD_MB`` megabytes (default 200)."""
    value = os.environ.get(MAX_MB_ENV, str(DEFAULT_MAX_MB))
    try:
        megabytes = float(value)
    except ValueError:
        raise CorpusError(f"{MAX_MB_ENV}={value!r} is not a number of megabytes") from None
    return int(megabytes * 1_000_000)


def _over(name: str, what: str, limit: int) -> CorpusError:
    return CorpusError(f"{name}: {what}, over the limit of {limit / 1e6:,.1f} MB (set {MAX_MB_ENV} to allow more)")


def read_source(source: Path | bytes, name: str, limit: int) -> tuple[bytes, str]:
    """The bytes of a corpus (from a path or held in memory) and the name that decides its format.

    A ``.zip`` must hold exactly one file; the name is then the archive's without ``.zip``
    (``x.csv.zip`` -> ``x.csv``), or the member's when that leaves no suffix.
    """
    if not name.lower().endswith(".zip"):
        size = len(source) if isinstance(source, bytes) else source.stat().st_size
        if size > limit:
            raise _over(name, f"{size / 1e6:,.1f} MB", limit)
        return (source if isinstance(source, bytes) else source.read_bytes()), name
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise CorpusError(f"{name}: a zipped corpus must hold exactly one file, found {len(members)}")
            member = members[0]
            if member.file_size > limit:
                raise _over(name, f"{member.filename} expands to {member.file_size / 1e6:,.1f} MB", limit)
            chunks, total = [], 0
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise _over(name, f"{member.filename} expands to more than its declared size", limit)
                    chunks.append(chunk)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError) as err:
        raise CorpusError(f"{name}: not a valid zip archive ({err})") from None
    inner = name[:-4]
    return b"".join(chunks), inner if Path(inner).suffix else member.filename


def decode(raw: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """The text of ``raw`` and the encoding used (see the module docstring); ``encoding`` forces one."""
    if encoding is None:
        if raw.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not raw.startswith(codecs.BOM_UTF32_LE):
            encoding = "utf-16"
        elif b"\x00" in raw[:65536]:
            raise CorpusError(f"{name}: not a text file (it holds NUL bytes; UTF-16 needs a byte-order mark)")
    if encoding is not None:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise CorpusError(f"{name}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as err:
            raise _undecodable(raw, name, err) from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        # Each valid multi-byte sequence decodes to one character, each invalid byte to one.
        if len(raw.decode("utf-8", "surrogateescape")) == len(raw):
            return raw.decode("latin-1"), "latin-1"
        raise _undecodable(raw, name, err, ", yet the file holds UTF-8 text elsewhere") from None


def _undecodable(raw: bytes, name: str, err: UnicodeDecodeError, context: str = "") -> CorpusError:
    line = raw[: err.start].decode(err.encoding, errors="replace").count("\n") + 1
    return CorpusError(
        f"{name}:{line}: byte 0x{raw[err.start]:02x} is not valid {err.encoding}{context}; save the file as UTF-8"
    )
