"""Raw text: running text split into sentences and tokenised with spaCy, or one pre-tokenised sentence a line.

Running text is read a paragraph at a time (a blank line ends one). A paragraph whose lines look
wrapped at a width (:func:`wrapped`: it ends as a sentence ends, and its breaks fall where a wrap puts
them) is one text, so a sentence wrapped over several lines stays whole; in any other, each line is a text
of its own (headlines, posts or titles, one a line); the summary counts the lines of both kinds. A line longer than :data:`MAX_LINE` characters is refused with its
number: it is not text a person annotates sentence by sentence. A sentence of more than
:data:`MAX_TOKENS` tokens (text without sentence punctuation) is split into pieces of at most that
many (:func:`~ner_core.data.tokenize.even_pieces`, as Predict does), counted with the line it starts on. Every token gets the tag ``O``. Characters that show
nothing (zero-width spaces and joiners, U+FEFF ...: :func:`~ner_core.data.tokenize.invisible`) are read as whitespace:
a line of only such characters is blank, and a token of only such characters is none.
"""
from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Iterable, Iterator

from ..raw_text import readable
from ..tokenize import MAX_SENTENCE_TOKENS as MAX_TOKENS, Token, TokenStyle, even_pieces, invisible, tokenize_with_offsets
from .base import MAX_LINE, RawSentence, Reading


def read(lines: Iterable[str], reading: Reading, tokenized: bool = False) -> Iterator[RawSentence]:
    """The sentences of raw text, from its lines; ``tokenized``: one sentence a line, tokens split on whitespace."""
    paragraph: list[str] = []
    start = 1  # the line the paragraph starts on
    for line_no, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if len(line) > MAX_LINE:
            raise reading.error(f"a line of {len(line):,} characters, over the limit of {MAX_LINE:,}: split it into "
                                "sentences or paragraphs", line_no)
        if tokenized:
            words = [word for word in line.split() if not invisible(word)]
            if words:
                yield from _pieces(words, line_no, reading)
            elif line and not line.isspace():  # not blank to the eye of a program: say it was passed over
                reading.notes["lines of only invisible characters (zero-width spaces, U+FEFF ...) skipped"] += 1
            continue
        if not invisible(line):
            start = start if paragraph else line_no
            paragraph.append(line)
        elif paragraph:
            yield from _paragraph(paragraph, start, reading)
            paragraph = []
    yield from _paragraph(paragraph, start, reading)


def typed_sentences(text: str, style: TokenStyle | None = None) -> list[list[Token]]:
    """The sentences of typed or pasted ``text`` (the Predict page, ``predict --text``), their offsets in it, read as a
    file's lines are (:func:`read`): a paragraph whose lines look wrapped as one text, else each line apart, so that three
    headlines pasted one a line are three sentences, not one (helper-94)."""
    sentences, paragraph, offset = [], [], 0  # paragraph: the (start, end) of its lines
    for line in [*text.splitlines(keepends=True), ""]:
        if not invisible(bare := line.rstrip("\r\n")):
            paragraph.append((offset, offset + len(bare)))
        elif paragraph:  # a blank line, or the end, ends the paragraph
            parts = [(paragraph[0][0], paragraph[-1][1])] if wrapped([text[a:b] for a, b in paragraph]) else paragraph
            sentences += [[Token(t.text, t.start + a) for t in sentence]
                          for a, b in parts for sentence in tokenize_with_offsets(text[a:b], style)]
            paragraph = []
        offset += len(line)
    return sentences


SENTENCE_END = (".", "!", "?", "…", ":", ";", '"', "'", "”", "’", ")")


def wrapped(lines: list[str]) -> bool:
    """Whether a paragraph's lines are one text wrapped at a width: it ends as a sentence ends (a list of headlines,
    titles or posts, one a line, mostly does not), and each break falls where the next word would not have fitted on
    the line (the width taken as its longest line) or at least half of its lines go on in lower case (or follow a line
    ending in a hyphen or comma)."""
    lines = [line.strip() for line in lines]
    if len(lines) < 2:
        return True
    if not lines[-1].endswith(SENTENCE_END):
        return False
    width, junctions = max(map(len, lines)), list(zip(lines, lines[1:]))
    if all(len(before) + 1 + len(after.split()[0]) > width for before, after in junctions):
        return True
    goes_on = [after[:1].islower() or before.endswith(("-", ",")) for before, after in junctions]
    return 2 * sum(goes_on) >= len(goes_on)


def _paragraph(paragraph: list[str], line: int, reading: Reading) -> Iterator[RawSentence]:
    """The sentences of a paragraph made readable (:func:`~ner_core.data.raw_text.readable`: HTML, Windows-1252, words
    hyphenated at a line break), each of the paragraphs that gives (an HTML block element is one) read alone."""
    cleaned = readable("\n".join(paragraph))
    if not cleaned.notes:
        yield from _lines(paragraph, line, reading)
        return
    reading.notes.update(cleaned.notes)
    for part in cleaned.text.split("\n\n"):  # lines counted from the paragraph's first
        if lines := [text for text in part.split("\n") if not invisible(text)]:
            yield from _lines(lines, line, reading)


def _lines(paragraph: list[str], line: int, reading: Reading) -> Iterator[RawSentence]:
    """The sentences of a paragraph: of its lines joined, where they look wrapped, else of each line apart."""
    if wrapped(paragraph):
        if len(paragraph) > 1:
            reading.notes["lines read as running text (joined, then split into sentences)"] += len(paragraph)
        yield from _sentences(paragraph, line, reading)
        return
    reading.notes["lines read one by one (a line break ends a sentence)"] += len(paragraph)
    for offset, text in enumerate(paragraph):
        yield from _sentences([text], line + offset, reading)


def _sentences(paragraph: list[str], line: int, reading: Reading) -> Iterator[RawSentence]:
    """The paragraph's sentences (its lines joined by spaces), each counted from the line its first token is on."""
    ends = list(accumulate(len(text) + 1 for text in paragraph))  # offset just past each line's joining space
    for tokens in tokenize_with_offsets(" ".join(paragraph)) if paragraph else ():
        if reading.style is not None and len(styled := reading.style.apply(tokens)) < len(tokens):
            reading.notes[f"words kept whole as the corpus writes them ({reading.style.examples()})"] += len(set(styled) - set(tokens))
            tokens = styled
        yield from _pieces([t.text for t in tokens], line + bisect_right(ends, tokens[0].start), reading)


def _pieces(words: list[str], line: int, reading: Reading) -> Iterator[RawSentence]:
    """``words`` as one sentence, or split into even pieces of at most :data:`MAX_TOKENS` (counted, with the first line where)."""
    if len(words) > MAX_TOKENS:
        said = f"sentences of over {MAX_TOKENS:,} tokens split into pieces"
        key = next((k for k in reading.notes if k.startswith(said)), f"{said} (the first on line {line})")
        reading.notes[key] += 1
    for piece in even_pieces(words):
        yield tuple(piece), ("O",) * len(piece), None
