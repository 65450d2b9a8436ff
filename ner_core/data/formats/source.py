"""A corpus file's bytes as a bounded stream (plain or a one-member zip, within a size cap) and its text.

Size: a file, or what a zip member expands to, may hold at most ``$NER_MAX_UPLOAD_MB`` megabytes
(default 200). A zip member is refused on its declared size before anything is inflated, and every
read goes through a stream that counts bytes and stops one byte past the cap, so a zip bomb never
fills memory. Nothing is ever read whole: a file is opened once to choose its encoding and once
more to read its lines (:func:`text_lines`), both chunk by chunk.

Encoding, in this order: a UTF-8 or UTF-16 byte-order mark decides; else UTF-8 if the whole file
decodes; else latin-1, but only when the file holds no valid multi-byte UTF-8 sequence at all (a
latin-1 file such as the GMB corpus). A file with UTF-8 text *and* an invalid byte is refused with
the line of that byte rather than read as latin-1 ("MÃ¼ller"). The encoding used is reported;
a caller may force one instead.
"""
from __future__ import annotations

import codecs
import io
import itertools
import os
import re
import zipfile
import zlib
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from .base import CorpusError

MAX_MB_ENV = "NER_MAX_UPLOAD_MB"
DEFAULT_MAX_MB = 200
_CHUNK = 1 << 20
_NUL_WINDOW = 65536  # NUL bytes are looked for in the first 64 KiB
_ZIP_ERRORS = (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as surrogateescape decodes it


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


def _bad_zip(name: str, err: BaseException) -> CorpusError:
    return CorpusError(f"{name}: not a valid zip archive ({err})")


class _Capped(io.RawIOBase):
    """Reads ``stream`` and raises once more than ``limit`` bytes came out (zip errors as :class:`CorpusError`)."""

    def __init__(self, stream: BinaryIO, name: str, member: str | None, limit: int) -> None:
        self._stream, self._name, self._member, self._limit, self._count = stream, name, member, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            n = self._stream.readinto(memoryview(buffer)[: self._limit - self._count + 1])
        except _ZIP_ERRORS as err:
            raise _bad_zip(self._name, err) from None
        self._count += n
        if self._count > self._limit:
            what = f"{self._member} expands to more than its declared size" if self._member else "more bytes than its size"
            raise _over(self._name, what, self._limit)
        return n


class Source:
    """A corpus (a path, bytes held in memory, or a one-member zip of either), checked and ready to open.

    ``inner`` is the name that decides the format: for a ``.zip`` the archive's name without
    ``.zip`` (``x.csv.zip`` -> ``x.csv``), or the member's when that leaves no suffix.
    """

    def __init__(self, source: Path | bytes, name: str, limit: int) -> None:
        self.source, self.name, self.limit, self.inner = source, name, limit, name
        self._member: zipfile.ZipInfo | None = None
        if not name.lower().endswith(".zip"):
            size = len(source) if isinstance(source, bytes) else source.stat().st_size
            if size > limit:
                raise _over(name, f"{size / 1e6:,.1f} MB", limit)
            return
        with self._archive() as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise CorpusError(f"{name}: a zipped corpus must hold exactly one file, found {len(members)}")
        self._member = members[0]
        if self._member.file_size > limit:
            raise _over(name, f"{self._member.filename} expands to {self._member.file_size / 1e6:,.1f} MB", limit)
        inner = name[:-4]
        self.inner = inner if Path(inner).suffix else self._member.filename

    def _archive(self) -> zipfile.ZipFile:
        try:
            return zipfile.ZipFile(io.BytesIO(self.source) if isinstance(self.source, bytes) else self.source)
        except _ZIP_ERRORS as err:
            raise _bad_zip(self.name, err) from None

    @contextmanager
    def open(self) -> Iterator[io.BufferedReader]:
        """The bytes from the start, as a stream that refuses to go past the cap (bytes in memory are not copied)."""
        with ExitStack() as stack:
            if self._member is None:
                stream = io.BytesIO(self.source) if isinstance(self.source, bytes) else open(self.source, "rb")
            else:
                archive = stack.enter_context(self._archive())
                try:
                    stream = archive.open(self._member)
                except _ZIP_ERRORS as err:
                    raise _bad_zip(self.name, err) from None
            stack.enter_context(stream)
            member = self._member.filename if self._member else None
            yield stack.enter_context(io.BufferedReader(_Capped(stream, self.name, member, self.limit), _CHUNK))

    def read(self) -> bytes:
        """All the bytes (within the cap): for the binary formats only."""
        with self.open() as stream:
            return stream.read()


def detect_encoding(source: Source, encoding: str | None = None) -> str:
    """The encoding of ``source``'s text (see the module docstring), checked over every byte in one
    streaming pass; ``encoding`` forces one (still checked)."""
    with source.open() as stream:
        head = stream.read(_CHUNK)
        chunks = itertools.chain([head], iter(lambda: stream.read(_CHUNK), b""))
        if encoding is None:
            if head.startswith(codecs.BOM_UTF8):
                encoding = "utf-8-sig"
            elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(codecs.BOM_UTF32_LE):
                encoding = "utf-16"
            elif b"\x00" in head[:_NUL_WINDOW]:
                raise CorpusError(f"{source.name}: not a text file (it holds NUL bytes; UTF-16 needs a byte-order mark)")
            else:
                return _utf8_or_latin1(chunks, source.name)
        _check(chunks, encoding, source.name)
        return encoding


def _check(chunks: Iterable[bytes], encoding: str, name: str) -> None:
    """Raise naming the line of the first byte that ``encoding`` cannot decode."""
    try:
        b" ".decode(encoding, "ignore")  # refuses a codec that is not a text encoding, such as base64
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise CorpusError(f"{name}: unknown encoding {encoding!r}") from None
    newlines = 0
    for chunk in itertools.chain(chunks, [None]):
        try:
            newlines += decoder.decode(chunk or b"", final=chunk is None).count("\n")
        except UnicodeDecodeError as err:  # err.object: the bytes held back from before, then this chunk
            line = newlines + err.object[: err.start].decode(err.encoding, "replace").count("\n") + 1
            raise _undecodable(name, line, err.object[err.start], err.encoding) from None


def _utf8_or_latin1(chunks: Iterable[bytes], name: str) -> str:
    """``utf-8``, or ``latin-1`` when no valid multi-byte UTF-8 sequence exists anywhere; else refused
    with the line of the first invalid byte (as soon as both were seen)."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    size = chars = newlines = 0
    bad: tuple[int, int] | None = None  # line and value of the first byte that is not UTF-8
    for chunk in itertools.chain(chunks, [None]):
        text = decoder.decode(chunk or b"", final=chunk is None)
        size, chars = size + len(chunk or b""), chars + len(text)
        if bad is None:
            found = None if text.isascii() else _ESCAPED_BYTE.search(text)
            if found is None:
                newlines += text.count("\n")
            else:
                bad = newlines + text.count("\n", 0, found.start()) + 1, ord(found.group()) - 0xDC00
        # Each valid multi-byte sequence decodes to one character, each invalid byte to one.
        if bad is not None and chars + len(decoder.getstate()[0]) < size:
            raise _undecodable(name, bad[0], bad[1], "utf-8", ", yet the file holds UTF-8 text elsewhere")
    return "utf-8" if bad is None else "latin-1"


def _undecodable(name: str, line: int, byte: int, encoding: str, context: str = "") -> CorpusError:
    return CorpusError(f"{name}:{line}: byte 0x{byte:02x} is not valid {encoding}{context}; save the file as UTF-8")


def text_lines(source: Source, encoding: str, newline: str) -> Iterator[str]:
    """The lines of ``source`` decoded as ``encoding`` (checked by :func:`detect_encoding`), ends kept,
    read as a stream. ``newline=""`` ends a line at ``\\n``, ``\\r\\n`` or ``\\r`` (CSV); ``"\\n"`` at ``\\n`` only.

    Text is decoded a megabyte at a time and split up to its last ``\\n`` by :class:`io.StringIO`
    (faster than iterating :class:`io.TextIOWrapper`); ``\\n`` ends a line in both modes, so none is cut.
    """
    with source.open() as stream, io.TextIOWrapper(stream, encoding, newline="") as text:
        pending: list[str] = []  # text after the last \n so far
        for chunk in iter(lambda: text.read(_CHUNK), ""):
            cut = chunk.rfind("\n") + 1
            if cut:
                yield from io.StringIO("".join(pending) + chunk[:cut], newline=newline)
                pending = []
            pending.append(chunk[cut:])
        yield from io.StringIO("".join(pending), newline=newline)
