"""The Kaggle "Annotated Corpus for NER" CSV: ``Sentence #,Word,POS,Tag``, one token a row.

Spreadsheet safety (OWASP "CSV injection"): a cell that begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return, possibly after one or more single quotes, is written with one more
single quote in front (``=1+1`` -> ``'=1+1``, ``'=x`` -> ``''=x``), so no spreadsheet evaluates it.
The reader removes exactly one leading quote from such a cell, so every token reads back as it
was; a cell like ``'s`` (a quote not followed by quotes and one of those characters) is untouched.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Iterable

from .base import RawSentence, Reading, Sentence

HEADER = ["Sentence #", "Word", "POS", "Tag"]
_ESCAPED = re.compile(r"'*[=+\-@\t\r]")
_RISKY_FIRST = frozenset("'=+-@\t\r")


def escape_cell(cell: str) -> str:
    """``cell`` as written to a CSV: one more leading quote where a spreadsheet would see a formula."""
    return "'" + cell if _ESCAPED.match(cell) else cell


def unescape_cell(cell: str) -> str:
    """The inverse of :func:`escape_cell`."""
    return cell[1:] if cell.startswith("'") and _ESCAPED.match(cell, 1) else cell


def read(text: str, reading: Reading) -> list[RawSentence]:
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        return _read_rows(rows, reading)
    except csv.Error as err:
        reason = str(err)
        if "field larger than field limit" in reason:
            reason = f"a field longer than {csv.field_size_limit():,} characters: not a token (is this a corpus file?)"
        raise reading.error(f"unreadable CSV: {reason}", rows.line_num) from None


def _read_rows(rows, reading: Reading) -> list[RawSentence]:
    header = next(rows, None)
    if header is None:
        raise reading.error("the file is empty")
    if [h.strip() for h in header] != HEADER:
        raise reading.error(f"expected the header {','.join(HEADER)}, got {','.join(header)}", 1)
    sentences: list[RawSentence] = []
    words: list[str] = []
    pos: list[str] = []
    tags: list[str] = []
    good = reading.checker.good
    for row in rows:
        line = rows.line_num
        if not row:
            continue
        if len(row) != 4:
            raise reading.error(f"expected 4 columns (Sentence #,Word,POS,Tag), got {len(row)}", line)
        sid, word, tag_pos, tag = row
        if sid.strip():
            if words:
                sentences.append((tuple(words), tuple(tags), tuple(pos)))
            words, pos, tags = [], [], []
        elif not words:
            raise reading.error("the first row of a sentence must carry its 'Sentence #'", line)
        if not word:
            raise reading.error("empty word", line)
        words.append(unescape_cell(word) if word[:1] == "'" else word)
        pos.append(unescape_cell(tag_pos) if tag_pos[:1] == "'" else tag_pos)
        tag = tag.strip()
        tags.append(tag if tag in good else reading.tag(tag, line))
    if words:
        sentences.append((tuple(words), tuple(tags), tuple(pos)))
    return sentences


def write(sentences: Iterable[Sentence]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # the csv module quotes a cell holding \r only then
    writer.writerow(HEADER)
    for n, sentence in enumerate(sentences, start=1):
        pos = sentence.pos or ("",) * len(sentence)
        for i, (word, p, tag) in enumerate(zip(sentence.words, pos, sentence.tags)):
            writer.writerow([f"Sentence: {n}" if i == 0 else "",
                             escape_cell(word) if word[:1] in _RISKY_FIRST else word,
                             escape_cell(p) if p[:1] in _RISKY_FIRST else p, tag])
    return out.getvalue()
