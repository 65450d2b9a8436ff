"""Raw text: running text split into sentences and tokenised with spaCy, or one pre-tokenised sentence a line.

Running text is read a paragraph at a time (a blank line ends one), so a sentence wrapped over
several lines stays whole. A line longer than :data:`MAX_LINE` characters is refused with its
number: it is not text a person annotates sentence by sentence. Every token gets the tag ``O``.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from ..tokenize import tokenize
from .base import RawSentence, Reading

MAX_LINE = 100_000  # characters


def read(lines: Iterable[str], reading: Reading, tokenized: bool = False) -> Iterator[RawSentence]:
    """The sentences of raw text, from its lines; ``tokenized``: one sentence a line, tokens split on whitespace."""
    paragraph: list[str] = []
    for line_no, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if len(line) > MAX_LINE:
            raise reading.error(f"a line of {len(line):,} characters, over the limit of {MAX_LINE:,}: split it into "
                                "sentences or paragraphs", line_no)
        if tokenized:
            if line.split():
                yield _untagged(line.split())
            continue
        if line.strip():
            paragraph.append(line)
        elif paragraph:
            yield from _sentences(paragraph)
            paragraph = []
    yield from _sentences(paragraph)


def _sentences(paragraph: list[str]) -> Iterator[RawSentence]:
    for words in tokenize(" ".join(paragraph)) if paragraph else ():
        yield _untagged(words)


def _untagged(words: list[str]) -> RawSentence:
    return tuple(words), ("O",) * len(words), None
