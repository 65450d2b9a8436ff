"""Reading and writing corpora: the Kaggle CSV (plain or zipped) and CoNLL/IOB text files.

Both readers either return every sentence of a file or raise :class:`CorpusError` naming the
file and the line; nothing is ever half-loaded.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .tags import is_known_tag

KAGGLE_HEADER = ["Sentence #", "Word", "POS", "Tag"]
CONLL_SUFFIXES = (".conll", ".iob", ".iob2", ".bio", ".txt", ".tsv")
DEFAULT_CORPUS_ENV = "NER_CORPUS"


class CorpusError(ValueError):
    """A corpus file that cannot be read; the message names the file and, where known, the line."""


@dataclass(frozen=True)
class Sentence:
    """One tokenised sentence with its gold IOB2 tags (and POS tags where the file has them)."""

    words: tuple[str, ...]
    tags: tuple[str, ...]
    pos: tuple[str, ...] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if len(self.words) != len(self.tags):
            raise ValueError(f"{len(self.words)} words but {len(self.tags)} tags")
        if self.pos is not None and len(self.pos) != len(self.words):
            raise ValueError(f"{len(self.words)} words but {len(self.pos)} POS tags")

    def __len__(self) -> int:
        return len(self.words)


@dataclass(frozen=True)
class Split:
    train: list[Sentence]
    val: list[Sentence]
    test: list[Sentence]

    def part(self, name: str) -> list[Sentence]:
        if name not in ("train", "val", "test"):
            raise ValueError(f"unknown split {name!r}: expected train, val or test")
        return getattr(self, name)


def default_corpus_path() -> Path:
    """``$NER_CORPUS`` if set, else ``../shared/data/ner_dataset.csv.zip`` beside the checkout."""
    env = os.environ.get(DEFAULT_CORPUS_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ner_dataset.csv.zip"


# ---------------------------------------------------------------- reading


def read_corpus(path: str | os.PathLike) -> list[Sentence]:
    """Read a Kaggle CSV (``.csv`` / ``.csv.zip``) or CoNLL file (``.conll``, ``.txt``, ...)."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: no such file")
    text = _read_text(path)
    name = path.name.lower()
    if name.endswith((".csv", ".csv.zip", ".zip")):
        return _parse_kaggle(text, path)
    if name.endswith(CONLL_SUFFIXES):
        return _parse_conll(text, path)
    raise CorpusError(
        f"{path}: unknown corpus format; expected .csv, .csv.zip (Kaggle) or one of "
        f"{', '.join(CONLL_SUFFIXES)} (CoNLL)"
    )


def read_corpus_bytes(data: bytes, filename: str) -> list[Sentence]:
    """Read an uploaded corpus held in memory; ``filename`` decides the format."""
    import tempfile

    suffix = "".join(Path(filename).suffixes[-2:]) or ".txt"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("upload" + suffix)
        path.write_bytes(data)
        try:
            return read_corpus(path)
        except CorpusError as err:
            raise CorpusError(str(err).replace(str(path), filename)) from None


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if path.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise CorpusError(f"{path}: a zipped corpus must hold exactly one file, found {len(members)}")
                raw = archive.read(members[0])
        except zipfile.BadZipFile:
            raise CorpusError(f"{path}: not a valid zip archive") from None
    if b"\x00" in raw[:65536]:
        raise CorpusError(f"{path}: not a text file (it holds NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _check_tag(tag: str, path: Path, line: int) -> str:
    if not is_known_tag(tag):
        raise CorpusError(f"{path}:{line}: unknown tag {tag!r}")
    return tag


def _parse_kaggle(text: str, path: Path) -> list[Sentence]:
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if header is None:
        raise CorpusError(f"{path}: the file is empty")
    if [h.strip() for h in header] != KAGGLE_HEADER:
        raise CorpusError(f"{path}:1: expected the header {','.join(KAGGLE_HEADER)}, got {','.join(header)}")
    sentences: list[Sentence] = []
    words: list[str] = []
    pos: list[str] = []
    tags: list[str] = []
    for row in rows:
        line = rows.line_num
        if not row:
            continue
        if len(row) != 4:
            raise CorpusError(f"{path}:{line}: expected 4 columns (Sentence #,Word,POS,Tag), got {len(row)}")
        sid, word, tag_pos, tag = row
        if sid.strip():
            if words:
                sentences.append(Sentence(tuple(words), tuple(tags), tuple(pos)))
            words, pos, tags = [], [], []
        elif not words:
            raise CorpusError(f"{path}:{line}: the first row of a sentence must carry its 'Sentence #'")
        if not word:
            raise CorpusError(f"{path}:{line}: empty word")
        words.append(word)
        pos.append(tag_pos)
        tags.append(_check_tag(tag.strip(), path, line))
    if words:
        sentences.append(Sentence(tuple(words), tuple(tags), tuple(pos)))
    if not sentences:
        raise CorpusError(f"{path}: no sentences")
    return sentences


def _parse_conll(text: str, path: Path) -> list[Sentence]:
    sentences: list[Sentence] = []
    words: list[str] = []
    pos: list[str] = []
    tags: list[str] = []
    has_pos = True

    def flush() -> None:
        nonlocal words, pos, tags, has_pos
        if words:
            sentences.append(Sentence(tuple(words), tuple(tags), tuple(pos) if has_pos else None))
        words, pos, tags, has_pos = [], [], [], True

    for line_no, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            flush()
            continue
        if fields[0] == "-DOCSTART-":
            continue
        if len(fields) not in (2, 3):
            raise CorpusError(
                f"{path}:{line_no}: expected 2 columns (token tag) or 3 (token POS tag), got {len(fields)}"
            )
        words.append(fields[0])
        tags.append(_check_tag(fields[-1], path, line_no))
        if len(fields) == 3:
            pos.append(fields[1])
        else:
            has_pos = False
    flush()
    if not sentences:
        raise CorpusError(f"{path}: no sentences")
    return sentences


# ---------------------------------------------------------------- writing


def format_corpus(sentences: Iterable[Sentence], fmt: str) -> str:
    """The text of a corpus file: ``fmt`` is ``csv`` (Kaggle) or ``conll``."""
    if fmt == "csv":
        return _format_kaggle(sentences)
    if fmt == "conll":
        return _format_conll(sentences)
    raise CorpusError(f"cannot write the format {fmt!r}; use csv (Kaggle) or conll")


def write_corpus(sentences: Iterable[Sentence], path: str | os.PathLike) -> None:
    """Write (UTF-8) in the format the file name implies (see :func:`read_corpus`), atomically."""
    path = Path(path)
    name = path.name.lower()
    if not name.endswith((".csv",) + CONLL_SUFFIXES):
        raise CorpusError(f"{path}: cannot write this format; use .csv (Kaggle) or .conll")
    text = format_corpus(sentences, "csv" if name.endswith(".csv") else "conll")
    tmp = path.with_name(path.name + ".tmp-write")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def _format_kaggle(sentences: Iterable[Sentence]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KAGGLE_HEADER)
    for n, sentence in enumerate(sentences, start=1):
        pos = sentence.pos or ("",) * len(sentence)
        for i, (word, p, tag) in enumerate(zip(sentence.words, pos, sentence.tags)):
            writer.writerow([f"Sentence: {n}" if i == 0 else "", word, p, tag])
    return out.getvalue()


def _format_conll(sentences: Iterable[Sentence]) -> str:
    lines: list[str] = []
    for sentence in sentences:
        pos = sentence.pos or (None,) * len(sentence)
        for word, p, tag in zip(sentence.words, pos, sentence.tags):
            if any(c.isspace() for c in word + (p or "")):
                raise CorpusError(f"cannot write the token {word!r} to CoNLL: it holds whitespace")
            lines.append(f"{word}\t{p}\t{tag}" if p else f"{word}\t{tag}")
        lines.append("")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- splitting


def split_indices(n: int, seed: int = 13, ratios: Sequence[float] = (0.8, 0.1, 0.1)) -> tuple[list[int], ...]:
    """Deterministic train/val/test indices: sentences ordered by a seeded SHA-1 of their index.

    The order depends only on ``seed`` and the index, so it is identical on every machine and
    library version, and a corrected sentence never moves to another part.
    """
    if len(ratios) != 3 or abs(sum(ratios) - 1) > 1e-9:
        raise ValueError("ratios must be three numbers summing to 1")
    order = sorted(range(n), key=lambda i: hashlib.sha1(f"{seed}:{i}".encode()).digest())
    n_train, n_val = int(round(n * ratios[0])), int(round(n * ratios[1]))
    parts = order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]
    return tuple(sorted(p) for p in parts)


def split_corpus(sentences: Sequence[Sentence], seed: int = 13) -> Split:
    """The 80/10/10 split every figure of this project is reported on."""
    train, val, test = split_indices(len(sentences), seed)
    return Split([sentences[i] for i in train], [sentences[i] for i in val], [sentences[i] for i in test])
