"""The Kaggle "Annotated Corpus for NER" CSV: ``Sentence #,Word,POS,Tag``, one token a row.

Cells are written spreadsheet-safe and read back unescaped (:mod:`.csv_safety`).
"""
from __future__ import annotations

import csv
import io
from itertools import count
from typing import Iterable, Iterator

from .base import MAX_LINE, RawSentence, Reading, Sentence
from .csv_safety import escape_cell, unescape_cell

HEADER = ["Sentence #", "Word", "POS", "Tag"]


def read(lines: Iterable[str], reading: Reading) -> Iterator[RawSentence]:
    """The sentences of a Kaggle CSV, one by one, from its lines (line ends kept, as ``newline=""`` reads them)."""
    rows = csv.reader(lines)
    start = [1]  # the line the record being read starts on: a quote left open runs a record over many lines
    try:
        yield from _read_rows(rows, reading, start)
    except csv.Error as err:
        reason = str(err)
        if "field larger than field limit" in reason:
            reason = (f"a field longer than {csv.field_size_limit():,} characters: not a token (is a quote (\") "
                      "left open, or is this not a corpus file?)")
        raise reading.error(f"unreadable CSV: {reason}", start[0]) from None


def _read_rows(rows, reading: Reading, start: list[int]) -> Iterator[RawSentence]:
    header = next(rows, None)
    if header is None:
        raise reading.error("the file is empty")
    if [h.strip() for h in header] != HEADER:
        got = ",".join(header)
        raise reading.error(f"expected the header {','.join(HEADER)}, got " + (repr(got) if got.strip() else f"a blank line {got!r}"), 1)
    words: list[str] = []
    pos: list[str] = []
    tags: list[str] = []
    good = reading.checker.good
    start[0] = rows.line_num + 1
    for row in rows:
        line, end = start[0], rows.line_num
        start[0] = end + 1
        if not row:
            continue
        spanning = [cell for cell in row if "\n" in cell or "\r" in cell]  # a quoted token holding a line break (as written)
        if end > line and spanning and (len(row) != 4 or any("," in cell for cell in spanning)):  # or rows swallowed
            raise reading.error(f"a quote (\") opened here is never closed: the cell runs on to line {end}", line)
        if len(row) != 4:
            raise reading.error(f"expected 4 columns (Sentence #,Word,POS,Tag), got {len(row)}", line)
        sid, word, tag_pos, tag = row
        if sid.strip():
            if words:
                yield tuple(words), tuple(tags), tuple(pos) if any(pos) else None  # no POS column written
            words, pos, tags = [], [], []
        elif not words:
            raise reading.error("the first row of a sentence must carry its 'Sentence #'", line)
        if not word:
            raise reading.error("empty word", line)
        if (size := sum(map(len, row)) + 3) > MAX_LINE:  # as a CoNLL token line
            raise reading.error(f"a row of {size:,} characters, over the limit of {MAX_LINE:,}: not a token row", line)
        words.append(unescape_cell(word) if word[:1] == "'" else word)
        pos.append(unescape_cell(tag_pos) if tag_pos[:1] == "'" else tag_pos)
        tag = tag.strip()
        tags.append(tag if tag in good else reading.tag(tag, line))
    if words:
        yield tuple(words), tuple(tags), tuple(pos) if any(pos) else None  # no POS column written


def write(sentences: Iterable[Sentence], numbers: Iterable[int] | None = None) -> Iterator[str]:
    """The CSV text in chunks: the header, then one chunk per sentence, numbered by ``numbers`` (default 1, 2, ...)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # the csv module quotes a cell holding \r only then
    writer.writerow(HEADER)
    yield _take(out)
    for n, sentence in zip(count(1) if numbers is None else numbers, sentences):
        pos = sentence.pos or ("",) * len(sentence)
        writer.writerows([f"Sentence: {n}" if i == 0 else "", escape_cell(word), escape_cell(p), tag]
                         for i, (word, p, tag) in enumerate(zip(sentence.words, pos, sentence.tags)))
        yield _take(out)


def _take(out: io.StringIO) -> str:
    """What ``out`` holds, emptying it."""
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text
