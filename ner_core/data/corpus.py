"""Reading, writing and splitting corpora in the standard formats.

=============  ==========================================  ==========================
format         file names                                  module
=============  ==========================================  ==========================
``csv``        ``.csv`` (Kaggle ``Sentence #,Word,POS,Tag``)  :mod:`.formats.kaggle`
``conll``      ``.conll .iob .iob2 .bio .tsv``, ``.txt`` *    :mod:`.formats.conll`
``jsonl``      ``.jsonl .json`` (tokens+tags or text+spans)  :mod:`.formats.jsonl`
``spacy``      ``.spacy`` (spaCy ``DocBin``)                :mod:`.formats.docbin`
=============  ==========================================  ==========================

\* A ``.txt`` may hold CoNLL or running text: it is CoNLL when its lines look like CoNLL (:func:`.formats.conll.not_conll`,
the one rule); a ``.txt`` of running text is refused as a corpus, and read as text where tags are not needed
(:func:`load_unlabelled`).

A ``.zip`` holding one file is read as that file (``x.csv.zip``). Every file is read as a stream
within a size cap, text decoded as described in :mod:`.formats.source` (UTF-8, UTF-16 with a BOM, or
latin-1, never a silent fallback), one sentence at a time, and at most ``$NER_MAX_IMPORT_SENTENCES``
sentences (default 2,000,000) and ``$NER_MAX_IMPORT_TOKENS`` tokens (default 30,000,000) are read:
a file over a limit is refused when the limit is reached. Equal strings of one file (words, tags,
POS tags) are stored once. Any well-formed tag is accepted (:mod:`.tag_schemes`) and every file is
held in IOB2: IOB1, BIOES and BILOU are converted on reading and ``I-`` tags that began an entity
are repaired, all counted in the :class:`CorpusFile` report. A token of only zero-width or format characters (U+200B,
U+FEFF ...) is no token: dropped, and counted (an entity keeps its visible tokens). A reader returns every sentence of a
file or raises :class:`CorpusError` naming the file and the line; nothing is ever half-loaded.
Writers produce a file chunk by chunk, its tags in IOB2 or another scheme of :data:`.tag_schemes.SCHEMES`.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .cache import parsed
from .formats import conll, docbin, jsonl, kaggle, text
from .formats.base import CorpusError, Place, RawSentence, Reading, Sentence
from .formats.source import Source, detect_encoding, max_bytes, text_lines
from .tag_schemes import SCHEMES, IOB2Converter, as_iob2, from_iob2
from .tags import OUTSIDE
from .tokenize import TokenStyle, invisible

__all__ = [
    "CONLL_SUFFIXES", "COVERING", "EXPORTS", "FORMATS", "SPAN_FORMATS", "CorpusError", "CorpusFile", "Sentence", "Split", "corpus_bytes",
    "default_corpus_path", "format_corpus", "format_of", "load_corpus", "load_corpus_bytes", "load_split", "load_text", "load_unlabelled",
    "read_corpus", "read_corpus_bytes", "split_corpus", "split_indices", "write_corpus",
]

CONLL_SUFFIXES = (".conll", ".iob", ".iob2", ".bio", ".txt", ".tsv")
FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv",), "conll": CONLL_SUFFIXES, "jsonl": (".jsonl", ".json"), "spacy": (".spacy",),
}
"""Format name -> the file suffixes read and written as that format."""
EXPORTS: dict[str, str] = {"csv": ".csv", "conll": ".conll", "jsonl": ".jsonl", "spacy": ".spacy",
                           "prodigy": ".jsonl", "label-studio": ".json"}
"""Format name -> the suffix of a file written in it: the formats read, and two annotation tools' own task files
(read back as ``jsonl``)."""
SPAN_FORMATS = ("spacy", "prodigy", "label-studio")
"""Export formats that hold entity spans, not tags: written from IOB2, in no other tag scheme."""
MARKED_UP = tuple(suffix for suffixes in FORMATS.values() for suffix in suffixes if suffix not in (".txt", ".tsv"))
"""Suffixes of files that are never plain text (a ``.txt`` or ``.tsv`` may be)."""
DEFAULT_CORPUS_ENV = "NER_CORPUS"
SPLITS = ("train", "val", "test")
"""The parts of every split, in order (:func:`split_indices`)."""
MAX_SENTENCES_ENV, DEFAULT_MAX_SENTENCES = "NER_MAX_IMPORT_SENTENCES", 2_000_000
MAX_TOKENS_ENV, DEFAULT_MAX_TOKENS = "NER_MAX_IMPORT_TOKENS", 30_000_000
_READERS: dict[str, Callable[[Iterable[str], Reading], Iterator[RawSentence]]] = {
    "csv": kaggle.read, "conll": conll.read, "jsonl": jsonl.read,
}
_WRITERS: dict[str, Callable[[Iterable[Sentence]], Iterator[str]]] = {
    "csv": kaggle.write, "conll": conll.write, "jsonl": jsonl.write, "prodigy": jsonl.write_prodigy,
    "label-studio": jsonl.write_label_studio,
}


@dataclass(frozen=True)
class Split:
    train: list[Sentence]
    val: list[Sentence]
    test: list[Sentence]
    sources: tuple[str, ...] = field(default=(), compare=False)  # a summary line per file read
    val_name: str = field(default="val split", compare=False)  # what messages call the val part: a dev file's name where given

    def part(self, name: str) -> list[Sentence]:
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}: expected {', '.join(SPLITS)}")
        return getattr(self, name)


@dataclass(frozen=True)
class CorpusFile:
    """A corpus file read: its sentences (IOB2) and what reading it took."""

    name: str
    sentences: list[Sentence]
    format: str  # a key of FORMATS; for a file read for its words, how it was read ("text", "read as CoNLL, tags ignored")
    encoding: str | None  # None for the binary DocBin
    scheme: str  # the tag scheme the file used: IOB2, IOB1, BIOES, BILOU ("" for raw text, or a file read for its words)
    converted: dict[str, int]  # tag changes made to reach IOB2, e.g. {"I->B": 3, "S->B": 5}
    notes: dict[str, int]  # other things counted, e.g. {"comment lines skipped": 2}
    tag_lines: dict[str, Place] = field(default_factory=dict)  # each tag as written (not O) -> where it first is
    first_converted: int | None = None  # the sentence (counted from 1) of the first tag changed to reach IOB2

    @property
    def tokens(self) -> int:
        return sum(len(s) for s in self.sentences)

    def summary(self) -> str:
        """One line: format, encoding, sizes, and what was converted or skipped."""
        parts = [f"{self.name}: {self.format}", *([self.encoding] if self.encoding else []),
                 f"{len(self.sentences):,} sentence{'s' * (len(self.sentences) != 1)}, {self.tokens:,} token{'s' * (self.tokens != 1)}" + (f", tags {self.scheme}" if self.scheme else "")]
        if self.converted:
            changes = ", ".join(f"{k} {v:,}" for k, v in sorted(self.converted.items()))
            where = f"; the first in the file's sentence {self.first_converted:,}" if self.first_converted else ""
            parts.append(f"repaired ({changes} tags: I- tags that began an entity, read as B-{where})" if self.scheme == "IOB2" else
                         f"converted to IOB2 ({changes} tags{where})")
        parts += [f"{k}: {v:,}" for k, v in sorted(self.notes.items())]
        return ", ".join(parts)

    def as_written(self, tags: Iterable[str]) -> list[str]:
        """The file's tags of the types of ``tags`` (IOB2, as read), as the file writes them, in the order they first
        appear, each with its first line and its IOB2 reading where that differs: ``S-PROTEIN (line 12; read as
        B-PROTEIN)``. ``tags`` themselves where the file's tags are not known (a file read for its words)."""
        tags = set(tags)
        types = {tag[2:] for tag in tags if tag != "O"}
        written = sorted(((line, tag) for tag, line in self.tag_lines.items() if tag[2:] in types),
                         key=lambda lt: lt[0] if isinstance(lt[0], int) else 0)  # by line; a binary file's in order of reading
        if not written:
            return sorted(tags)
        named = []
        for line, tag in written:
            place = [f"line {line}" if isinstance(line, int) else line] if line else []
            notes = place + [f"read as {as_iob2(tag)}"] * (as_iob2(tag) != tag)
            named.append(f"{tag} ({'; '.join(notes)})" if notes else tag)
        return named


def default_corpus_path() -> Path:
    """``$NER_CORPUS`` if set, else ``../shared/data/ner_dataset.csv.zip`` beside the checkout."""
    env = os.environ.get(DEFAULT_CORPUS_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "ner_dataset.csv.zip"


# ---------------------------------------------------------------- reading


def format_of(name: str) -> str:
    """The format a file name implies (see :data:`FORMATS`); a ``.zip`` is named by its content."""
    lower = name.lower().removesuffix(".zip")
    for fmt, suffixes in FORMATS.items():
        if lower.endswith(suffixes):
            return fmt
    known = ", ".join(f"{fmt} ({' '.join(suffixes)})" for fmt, suffixes in FORMATS.items())
    raise CorpusError(f"{name}: unknown corpus format; expected one of: {known}, or one of them zipped")


def load_corpus(path: str | os.PathLike, *, encoding: str | None = None, tags: bool = True, limited: bool = True) -> CorpusFile:
    """Read a corpus file in any format of :data:`FORMATS`; ``encoding`` overrides the detection; without ``tags``
    only its words are read (every tag ``O``, none checked); without ``limited``, past the size limits that new input
    is held to (a dataset's own file, taken in before). Each version of a file is parsed once per machine (:mod:`.cache`)."""
    path = _file(path)
    limits = (_limit(MAX_SENTENCES_ENV, DEFAULT_MAX_SENTENCES), _limit(MAX_TOKENS_ENV, DEFAULT_MAX_TOKENS), max_bytes()) if limited else None
    return parsed(path, (encoding, limits, tags), lambda: _load(path, str(path), encoding, tags, limited))


def load_corpus_bytes(data: bytes, filename: str, *, encoding: str | None = None, tags: bool = True) -> CorpusFile:
    """Read an uploaded corpus held in memory; ``filename`` decides the format and names it in errors."""
    return _load(data, filename, encoding, tags)


def read_corpus(path: str | os.PathLike, limited: bool = True) -> list[Sentence]:
    """The sentences of a corpus file (see :func:`load_corpus`)."""
    return load_corpus(path, limited=limited).sentences


def read_corpus_bytes(data: bytes, filename: str) -> list[Sentence]:
    """The sentences of an uploaded corpus (see :func:`load_corpus_bytes`)."""
    return load_corpus_bytes(data, filename).sentences


def load_text(source: str | os.PathLike | bytes, name: str | None = None, *, tokenized: bool = False,
              encoding: str | None = None, style: TokenStyle | None = None) -> CorpusFile:
    """Read raw text (a path, or bytes named ``name``; plain or zipped) as sentences tagged ``O``: running
    text split and tokenised by spaCy (in ``style``: a dataset's corpus's), or with ``tokenized`` one sentence a
    line. The same size limits and encoding rules as a corpus file; an empty or binary file is refused with the reason."""
    name = name or str(source)
    opened = _source(source, name)
    reading = Reading(name, style=style)
    text_encoding = detect_encoding(opened, encoding)
    with closing(text_lines(opened, text_encoding, "\n")) as lines:
        sentences = _sentences(text.read(lines, reading, tokenized), reading, IOB2Converter())
    if not sentences:
        raise reading.error("no text: the file holds no sentence")
    kind = "one tokenised sentence a line" if tokenized else "text"
    return CorpusFile(name, sentences, kind, text_encoding, "", {}, dict(reading.notes))


UNLABELLED_KINDS = ("auto", "text", "tokens", "corpus")


def load_unlabelled(source: str | os.PathLike | bytes, name: str | None = None, kind: str = "auto",
                    style: TokenStyle | None = None) -> CorpusFile:
    """Sentences to tag or to annotate, their tags (if any) ignored: ``text`` (running text, tokenised in ``style``), ``tokens`` (one
    pre-tokenised sentence a line), ``corpus`` (any corpus format) or ``auto``: a ``.txt`` or bytes without a name
    (stdin) are CoNLL if their lines look like CoNLL (the summary says "read as CoNLL, tags ignored"), stdin is JSON lines
    if its first line is a JSON object, and both are text otherwise; a name without a suffix is text, anything else a corpus file."""
    if kind not in UNLABELLED_KINDS:
        raise CorpusError(f"unknown input kind {kind!r}: use one of {', '.join(UNLABELLED_KINDS)}")
    piped = isinstance(source, bytes) and name in (None, "stdin")
    name = name or ("stdin" if isinstance(source, bytes) else str(source))
    sniffed = False  # a .txt (or stdin) that looks like CoNLL
    inner = name.lower().removesuffix(".zip")
    if kind == "auto":
        if inner.endswith(".txt") or piped:
            opened = _source(source, name)
            sniffed = _not_conll(opened, detect_encoding(opened)) is None
        if piped and not sniffed and _json_lines(_source(source, name)):  # helper-85: its braces were tagged as words
            return replace(load_corpus_bytes(source, f"{name}.jsonl", tags=False), name=name, format="read as JSON lines, tags ignored")
        kind = "corpus" if sniffed or "." in Path(inner).name and not inner.endswith(".txt") else "text"
    if kind in ("text", "tokens") and inner.endswith(MARKED_UP):  # its markup (braces, tags, the spaCy binary) would become words
        raise CorpusError(f"{name}: its name says a {format_of(name)} file, asked to be read as "
                          f"{'running text' if kind == 'text' else 'one tokenised sentence a line'}: its markup would become "
                          "words. Read it by its name (auto) or as a corpus file; to read it as text all the same, give it a .txt name")
    if kind == "corpus":
        if piped and sniffed:  # no name to tell the format by: CoNLL, as its lines said
            return replace(load_corpus_bytes(source, f"{name}.conll", tags=False), name=name, format="read as CoNLL, tags ignored")
        read = load_corpus_bytes(source, name, tags=False) if isinstance(source, bytes) else load_corpus(source, tags=False)
        return replace(read, format="read as CoNLL, tags ignored") if sniffed else read
    return load_text(source, name, tokenized=kind == "tokens", style=style)


def _file(path: str | os.PathLike) -> Path:
    """``path``, refused with the reason unless it is a file."""
    path = Path(path)
    if not path.is_file():
        why = "a directory, not a file" if path.is_dir() else "standard input is not read here: give a file, whose suffix " \
            "names its format" if str(path) == "-" else "no such file"
        raise CorpusError(f"{path}: {why}")
    return path


def _source(source: str | os.PathLike | bytes, name: str) -> Source:
    """A file (a path, or bytes named ``name``) ready to read within the size cap."""
    return Source(source if isinstance(source, bytes) else _file(source), name, max_bytes())


def _not_conll(opened: Source, encoding: str) -> tuple[int, str] | None:
    """For a ``.txt``: ``None`` when its lines look like CoNLL, else the first line that does not (see :func:`conll.not_conll`)."""
    with closing(text_lines(opened, encoding, "\n")) as lines:
        return conll.not_conll(lines)


def _json_lines(opened: Source) -> bool:
    """Whether the first line that holds anything is a JSON object (JSON lines, piped without a name to tell it by)."""
    with closing(text_lines(opened, detect_encoding(opened), "\n")) as lines:
        first = next((line for line in lines if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def _limit(env: str, default: int) -> int:
    """A limit on what one file may hold: ``$env``, else ``default``."""
    value = os.environ.get(env, str(default))
    try:
        return int(value)
    except ValueError:
        raise CorpusError(f"{env}={value!r} is not a whole number") from None


def _load(source: Path | bytes, name: str, encoding: str | None, tags: bool = True, limited: bool = True) -> CorpusFile:
    """Read ``source`` as a stream: the encoding in a first pass over its bytes, the sentences in a second
    (without ``tags``: its words, every tag ``O``)."""
    if not name.lower().endswith(".zip"):
        format_of(name)  # refuse an unknown format before reading anything
    opened = Source(source, name, max_bytes() if limited else sys.maxsize)
    fmt = format_of(opened.inner)
    reading = Reading(name, ignore_tags=not tags)
    converter = IOB2Converter() if tags else None
    if fmt == "spacy":
        text_encoding = None
        sentences = _sentences(docbin.read(opened.read(), reading, opened.limit), reading, converter, limited)
    else:
        text_encoding = detect_encoding(opened, encoding)
        if opened.inner.lower().endswith(".txt") and (prose := _not_conll(opened, text_encoding)) and prose[0]:
            raise reading.error(f"most lines do not hold a token and a tag (O, B-PER, S-drug, ...), so this .txt reads as "
                                f"running text, not as a CoNLL corpus ({prose[1][:60]!r}, for one); running text goes to "
                                "predict, mine or a pool", prose[0])
        with closing(text_lines(opened, text_encoding, "" if fmt == "csv" else "\n")) as lines:
            sentences = _sentences(_READERS[fmt](lines, reading), reading, converter, limited)
    if not sentences:
        raise reading.error("no sentences")
    scheme, changes = (converter.scheme, dict(converter.changes)) if converter else ("", {})
    return CorpusFile(name, sentences, fmt, text_encoding, scheme, changes, dict(reading.notes), reading.first_lines,
                      converter.first if converter else None)


def _sentences(raw: Iterable[RawSentence], reading: Reading, converter: IOB2Converter | None, limited: bool = True) -> list[Sentence]:
    """The sentences read, in IOB2 (no ``converter``: every tag ``O``), their invisible tokens dropped (:func:`_visible`),
    equal strings shared; refused as soon as a limit is passed."""
    name = reading.name
    max_sentences, max_tokens = ((_limit(MAX_SENTENCES_ENV, DEFAULT_MAX_SENTENCES), _limit(MAX_TOKENS_ENV, DEFAULT_MAX_TOKENS))
                                 if limited else (sys.maxsize, sys.maxsize))
    memo: dict[str, str] = {}  # one object per distinct word, tag and POS tag of the file
    share = memo.setdefault
    sentences: list[Sentence] = []
    tokens = 0
    for words, tags, pos in raw:
        tokens += len(words)
        if len(sentences) == max_sentences:
            raise _over_limit(name, "sentences", max_sentences, MAX_SENTENCES_ENV, len(sentences) + 1)
        if tokens > max_tokens:
            raise _over_limit(name, "tokens", max_tokens, MAX_TOKENS_ENV, tokens)
        tags = converter.convert(tags) if converter else ("O",) * len(words)
        if not all(map(str.isascii, words)):
            words, tags, pos = _visible(words, tags, pos, reading)
            if not words:
                continue
        sentences.append(Sentence(tuple(map(share, words, words)), tuple(map(share, tags, tags)),
                                  None if pos is None else tuple(map(share, pos, pos))))
    return sentences


def _visible(words: Sequence[str], tags: Sequence[str], pos: Sequence[str] | None, reading: Reading) -> RawSentence:
    """A sentence (IOB2) without its tokens of only zero-width or format characters (:func:`.tokenize.invisible`; a token of
    only whitespace, such as the default corpus's U+0085, is kept), counted. An entity keeps its visible tokens (begun
    at the first); one with none is dropped, and counted apart."""
    keep = [word.isspace() or not invisible(word) for word in words]
    if all(keep):
        return tuple(words), tuple(tags), None if pos is None else tuple(pos)
    tags = list(tags)
    for i, kept in enumerate(keep):
        if not kept and tags[i][:2] == "B-":
            if i + 1 < len(tags) and tags[i + 1] == "I-" + tags[i][2:]:
                tags[i + 1] = tags[i]  # the entity begins at its next token
            else:
                reading.notes["entities of only whitespace or zero-width characters dropped"] += 1
    reading.notes["tokens of only zero-width characters dropped"] += keep.count(False)
    kept = [i for i, k in enumerate(keep) if k]
    return tuple(words[i] for i in kept), tuple(tags[i] for i in kept), None if pos is None else tuple(pos[i] for i in kept)


def _over_limit(name: str, what: str, limit: int, env: str, count: int) -> CorpusError:
    return CorpusError(f"{name}: more than {limit:,} {what}, the limit per file (stopped reading at {count:,} {what}); "
                       f"set {env} to allow more")


def load_split(train: str | os.PathLike, dev: str | os.PathLike | None = None,
               test: str | os.PathLike | None = None, seed: int = 13) -> Split:
    """A split from one corpus file, or from separate train / dev / test files used as given.

    Only ``train``: the project's seeded 80/10/10 split (:func:`split_corpus`). With ``dev``: the
    files as given (no ``test``: an empty test part). With ``test`` but no ``dev``: the dev part is
    a seeded 10% of the train file's sentences, the rest trains.
    """
    files = {part: load_corpus(p) for part, p in (("train", train), ("val", dev), ("test", test)) if p is not None}
    sources = tuple(f.summary() for f in files.values())
    if dev is None and test is None:
        parts = split_corpus(files["train"].sentences, seed)
        return Split(parts.train, parts.val, parts.test, sources)
    if dev is None:
        sentences = files["train"].sentences
        rest, held_out, rounding = split_indices(len(sentences), seed, (0.9, 0.1, 0.0), covering=sentences)
        return Split([sentences[i] for i in sorted(rest + rounding)], [sentences[i] for i in held_out],
                     files["test"].sentences, sources)
    return Split(files["train"].sentences, files["val"].sentences,
                 files["test"].sentences if test is not None else [], sources, f"dev file {Path(dev).name}")


# ---------------------------------------------------------------- writing


def corpus_bytes(sentences: Iterable[Sentence], fmt: str, scheme: str = "IOB2", numbers: Iterable[int] | None = None) -> bytes:
    """A corpus file's bytes in format ``fmt`` (a key of :data:`EXPORTS`); text formats in UTF-8, their tags in
    ``scheme`` (see :func:`format_corpus`)."""
    if fmt == "spacy":
        _check_scheme(fmt, scheme)
        return docbin.write(sentences)
    return format_corpus(sentences, fmt, scheme, numbers).encode("utf-8")


def format_corpus(sentences: Iterable[Sentence], fmt: str, scheme: str = "IOB2", numbers: Iterable[int] | None = None) -> str:
    """The text of a corpus file: ``fmt`` is a key of :data:`EXPORTS` but ``spacy``; its tags in ``scheme``, one of
    :data:`.tag_schemes.SCHEMES` (the sentences' IOB2 tags converted). ``numbers``: each sentence's number in a csv's
    ``Sentence #`` column (default 1, 2, ...: a dataset passes its own, gaps and all)."""
    return "".join(_chunks(sentences, fmt, scheme, numbers))


def format_problem(sentences: Sequence[Sentence], fmt: str) -> str | None:
    """Why ``sentences`` cannot be written as ``fmt`` (see :func:`corpus_bytes`), without writing them; ``None`` if they can."""
    if fmt not in EXPORTS:
        return _unknown_format(fmt)
    return conll.problem(sentences) if fmt == "conll" else None  # the other formats write any token


def _chunks(sentences: Iterable[Sentence], fmt: str, scheme: str, numbers: Iterable[int] | None) -> Iterator[str]:
    if fmt not in _WRITERS:
        raise CorpusError(_unknown_format(fmt) if fmt != "spacy" else "a .spacy file is binary: write it with corpus_bytes")
    _check_scheme(fmt, scheme)
    if scheme != "IOB2":
        sentences = (Sentence(s.words, from_iob2(s.tags, scheme), s.pos) for s in sentences)
    if fmt == "csv" and numbers is not None:
        return kaggle.write(sentences, numbers)
    return _WRITERS[fmt](sentences)


def _check_scheme(fmt: str, scheme: str) -> None:
    if scheme not in SCHEMES:
        raise CorpusError(f"unknown tag scheme {scheme!r}: use one of {', '.join(SCHEMES)}")
    if fmt in SPAN_FORMATS and scheme != "IOB2":
        raise CorpusError(f"a {fmt} file holds entity spans, not tags: no {scheme} tags to write; choose csv, conll or jsonl")


def _unknown_format(fmt: str) -> str:
    return f"cannot write the format {fmt!r}; use one of {', '.join(EXPORTS)}"


def write_corpus(sentences: Iterable[Sentence], path: str | os.PathLike, fmt: str | None = None, scheme: str = "IOB2",
                 numbers: Iterable[int] | None = None) -> None:
    """Write in ``fmt`` (default: the format the file name implies, see :data:`FORMATS`; not zipped), atomically:
    text formats in UTF-8, chunk by chunk to a temporary file that then replaces ``path``; ``scheme`` and ``numbers``
    as :func:`format_corpus` takes them."""
    path = Path(path)
    if path.name.lower().endswith(".zip"):
        raise CorpusError(f"{path}: cannot write a zip; write the file and zip it")
    fmt = fmt or format_of(path.name)
    if fmt != "spacy":
        chunks = _chunks(sentences, fmt, scheme, numbers)  # checks fmt and scheme before the file is opened
    tmp = path.with_name(path.name + ".tmp-write")
    try:
        if fmt == "spacy":
            tmp.write_bytes(corpus_bytes(sentences, fmt, scheme))
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as out:
                out.writelines(chunks)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- splitting


COVERING = "covering"
"""The name of the split rule that keeps each entity type in every part (a dataset records it: migration 0018)."""


def split_indices(n: int, seed: int = 13, ratios: Sequence[float] = (0.8, 0.1, 0.1),
                  covering: Sequence[Sentence] | None = None) -> tuple[list[int], ...]:
    """Deterministic train/val/test indices: sentences ordered by a seeded SHA-1 of their index.

    The order depends only on ``seed`` and the index, so it is identical on every machine and
    library version, and a corrected sentence never moves to another part. With ``covering`` (the
    ``n`` sentences, as their file tags them), each entity type keeps a share of the val and test
    parts (:func:`_cover_types`).
    """
    if len(ratios) != 3 or abs(sum(ratios) - 1) > 1e-9:
        raise ValueError("ratios must be three numbers summing to 1")
    order = sorted(range(n), key=lambda i: hashlib.sha1(f"{seed}:{i}".encode()).digest())
    n_train, n_val = int(round(n * ratios[0])), int(round(n * ratios[1]))
    parts = order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]
    if covering is not None:
        parts = _cover_types(parts, covering, ratios)
    return tuple(sorted(p) for p in parts)


def _cover_types(parts: Sequence[Sequence[int]], sentences: Sequence[Sentence], ratios: Sequence[float]) -> tuple[list[int], ...]:
    """``parts`` where each entity type of 3 sentences or more has at least half its expected share of sentences in
    the val and the test part, and one at least: a seeded split can leave a rare type out of the test part, and its
    score unmeasured. ``parts`` come in their seeded order, and the type's training sentences move in it (one stays in
    train), each swapped for a sentence of the part whose types it holds enough of, so the sizes stay; a split that
    covers every type so (the default corpus's) is unchanged."""
    types = [{t[2:] for t in s.tags if t != OUTSIDE} for s in sentences]
    total = Counter(t for found in types for t in found)
    covered = [t for t in sorted(total, key=lambda t: (total[t], t)) if total[t] >= 3]
    train, *held = (list(part) for part in parts)
    for part, ratio in zip(held, ratios[1:]):
        want = {t: max(1, int(total[t] * ratio / 2)) for t in covered}
        have = Counter(t for i in part for t in types[i])
        for name in covered:
            while have[name] < want[name] and sum(name in types[i] for i in train) > 1:
                spare = [j for j in part if all(have[t] > want.get(t, 0) for t in types[j])]
                if not spare:
                    break
                back = min(spare, key=lambda j: len(types[j]) > 0)  # a sentence without entities first, else in seeded order
                given = next(i for i in train if name in types[i])
                train.remove(given), part.remove(back), train.append(back), part.append(given)
                have.subtract(types[back]), have.update(types[given])
    return train, *held


def split_corpus(sentences: Sequence[Sentence], seed: int = 13) -> Split:
    """The 80/10/10 split every figure of this project is reported on, each entity type in every part (see
    :func:`split_indices`)."""
    train, val, test = split_indices(len(sentences), seed, covering=sentences)
    return Split([sentences[i] for i in train], [sentences[i] for i in val], [sentences[i] for i in test])
