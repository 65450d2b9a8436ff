"""CoNLL / IOB text: one token a line, the token first and the tag last, a blank line between sentences.

Reading: a line holding a tab is split on tabs (ASCII spaces around a field are dropped);
otherwise on runs of ASCII spaces. Only ``\\n`` ends a line (a trailing ``\\r`` is dropped), so a
token may hold any other whitespace, such as U+0085 or U+00A0. With three or more columns the
second is taken as the POS tag. ``-DOCSTART-`` lines are skipped, and so is a comment line that
begins a sentence with ``#`` and does not end in a tag (``# id 17 domain=news``, as MultiCoNER
writes); a line of only whitespace or zero-width characters (a lone U+FEFF; :func:`~ner_core.data.tokenize.invisible`)
separates sentences, and is counted; a U+FEFF that begins a token line (files concatenated) is dropped, and counted. A
token of only such characters is dropped where every corpus is read (:mod:`ner_core.data.corpus`).

Sniffing (:func:`not_conll`), the one rule for a ``.txt`` (or text piped in), which may hold CoNLL or running text:
CoNLL when most of its token lines (the first :data:`SNIFF_LINES` lines; ``-DOCSTART-`` and comment lines aside) hold
2 or more columns and end in a well-formed tag of any scheme, and one of those tags is ``O``; else running text
("Take the I-95", "Flying the B-52": a sentence's last word may look like a tag, but a corpus tags most words ``O``).

Writing: tab-separated ``token<TAB>POS<TAB>tag`` (``token<TAB>tag`` without POS). A token that
holds whitespace other than a tab, ``\\n`` or ``\\r`` is written as it is and reads back unchanged
with this reader (tools that split on any whitespace would split it). A token or POS tag holding a
tab, ``\\n`` or ``\\r``, beginning or ending with a space, or equal to ``-DOCSTART-`` cannot be
written and raises :class:`~ner_core.data.formats.base.CorpusError`.
"""
from __future__ import annotations

import itertools
from typing import Iterable, Iterator, Sequence

from ..tag_schemes import tag_problem
from ..tags import OUTSIDE
from ..tokenize import invisible
from .base import MAX_LINE, CorpusError, RawSentence, Reading, Sentence

DOCSTART = "-DOCSTART-"
SNIFF_LINES = 1000  # the lines of a .txt looked at to tell CoNLL from running text
_UNWRITABLE = ("\t", "\n", "\r", "\x00 ", " \x00")  # in texts joined by NUL between NULs: a break, or a space at an end


def _fields(line: str) -> list[str]:
    if "\t" in line:
        fields = line.split("\t")
        return [f.strip(" ") for f in fields] if " " in line else fields
    return [f for f in line.split(" ") if f]


def read(lines: Iterable[str], reading: Reading) -> Iterator[RawSentence]:
    """The sentences of a CoNLL file, one by one, from its lines (split on ``\\n`` only, ends kept or not)."""
    words: list[str] = []
    pos: list[str] = []
    tags: list[str] = []
    has_pos = True
    good = reading.checker.good
    for line_no, line in enumerate(lines, start=1):
        line = line.removesuffix("\n").removesuffix("\r")
        if len(line) > MAX_LINE:
            raise reading.error(f"a line of {len(line):,} characters, over the limit of {MAX_LINE:,}: not a token line", line_no)
        if line[:1] == "\ufeff" and line.lstrip("\ufeff")[:1].strip():  # a BOM before a token, where files were concatenated
            line = line.lstrip("\ufeff")
            reading.notes["byte order marks (U+FEFF) dropped from the start of a token line"] += 1
        if invisible(line):
            if line.strip(" \t"):  # e.g. a lone U+FEFF between sentences, as some published files hold (spaces and tabs: a blank line)
                reading.notes["blank lines holding invisible characters (U+FEFF, U+200B, no-break spaces) read as sentence breaks"] += 1
            if words:
                yield tuple(words), tuple(tags), tuple(pos) if has_pos else None
                words, pos, tags, has_pos = [], [], [], True
            continue
        fields = _fields(line)
        if fields[0] == DOCSTART:
            continue
        if not words and line.startswith("#") and tag_problem(fields[-1]) is not None:
            reading.notes["comment lines skipped"] += 1
            continue
        if len(fields) < 2:
            raise reading.error("expected at least 2 columns (token ... tag), got 1", line_no)
        if not fields[0]:
            raise reading.error("empty token: the line begins with its separator; a token line is the token, then the tag "
                                "(a token that is a space cannot be told from the separator: write it in JSONL)", line_no)
        words.append(fields[0])
        tag = fields[-1]
        tags.append(tag if tag in good else reading.tag(tag, line_no))
        if len(fields) >= 3:
            pos.append(fields[1])
        else:
            has_pos = False
    if words:
        yield tuple(words), tuple(tags), tuple(pos) if has_pos else None


def not_conll(lines: Iterable[str]) -> tuple[int, str] | None:
    """``None`` when ``lines`` (a file's first :data:`SNIFF_LINES` are looked at) look like CoNLL: most token lines hold
    a token and a well-formed tag, one of them ``O``; else the first line that does not, and its text (``(0, "")``: no
    token line or no ``O``)."""
    token_lines = tagged = 0
    outside = False  # a line tagged O: running text whose lines end in "I-95" or "B-movie" has none
    first: tuple[int, str] | None = None
    starts = True  # the next token line begins a sentence (where a comment line may stand)
    for line_no, line in enumerate(itertools.islice(lines, SNIFF_LINES), start=1):
        line = line.removesuffix("\n").removesuffix("\r").lstrip("\ufeff")
        if invisible(line):
            starts = True
            continue
        fields = _fields(line)
        if fields[0] == DOCSTART or starts and line.startswith("#") and tag_problem(fields[-1]) is not None:
            continue
        starts, token_lines = False, token_lines + 1
        if len(fields) >= 2 and tag_problem(fields[-1]) is None:
            tagged, outside = tagged + 1, outside or fields[-1] == OUTSIDE
        elif first is None:
            first = line_no, line
    return None if 2 * tagged > token_lines and outside else first or (0, "")


def _unwritable(texts: Sequence[str]) -> str | None:
    """The first of ``texts`` CoNLL cannot hold, or ``None``: one substring scan of them all, the culprit
    searched only on failure (a regex over them was 3x slower)."""
    joined = "\x00" + "\x00".join(texts) + "\x00"
    if not any(bad in joined for bad in _UNWRITABLE) and DOCSTART not in texts:
        return None
    return next((t for t in texts if t == DOCSTART or any(bad in f"\x00{t}\x00" for bad in _UNWRITABLE)), None)


def _check_writable(texts: tuple[str, ...]) -> None:
    bad = _unwritable(texts)
    if bad is not None:
        raise CorpusError(
            f"cannot write {bad!r} to CoNLL: a token or POS tag may not hold a tab or line break, "
            f"begin or end with a space, or be {DOCSTART}"
        )


def check(sentence: Sentence) -> None:
    """:class:`CorpusError` with the reason if ``sentence`` cannot be written to CoNLL."""
    if not all(sentence.words):
        raise CorpusError("cannot write an empty token to CoNLL")
    _check_writable(sentence.words)
    if sentence.pos is not None:
        _check_writable(sentence.pos)


def problem(sentences: Sequence[Sentence]) -> str | None:
    """Why ``sentences`` cannot be written to CoNLL (the writer's message for the first culprit), or ``None``."""
    texts = [t for s in sentences for t in (*s.words, *(s.pos or ()))]
    if all(texts) and _unwritable(texts) is None:  # one scan of them all; sentence by sentence only to say why
        return None
    try:
        for n, sentence in enumerate(sentences):
            _check_nth(n, sentence)
    except CorpusError as err:
        return str(err)
    return None


def _check_nth(n: int, sentence: Sentence) -> None:
    """:func:`check`, its message naming sentence ``n`` (0-based, as the app and ``--json`` number them) and the way out."""
    try:
        check(sentence)
    except CorpusError as err:
        raise CorpusError(f"sentence {n}: {err}; write JSONL (.jsonl) or CSV instead, which hold any token") from None


def write(sentences: Iterable[Sentence]) -> Iterator[str]:
    """The CoNLL text in chunks, one per sentence (its lines and the blank line after it)."""
    for n, sentence in enumerate(sentences):
        _check_nth(n, sentence)
        if sentence.pos is None:
            lines = [f"{word}\t{tag}\n" for word, tag in zip(sentence.words, sentence.tags)]
        else:
            lines = [f"{w}\t{p}\t{t}\n" for w, p, t in zip(sentence.words, sentence.pos, sentence.tags)]
        yield "".join(lines) + "\n"
