"""What every format module shares: the sentence, the error, and the state of one read."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..tag_schemes import TagChecker
from ..tokenize import TokenStyle

MAX_LINE = 100_000  # characters of a line of text or of a token line: past it, not text a person annotates

RawSentence = tuple[tuple[str, ...], tuple[str, ...], "tuple[str, ...] | None"]
"""A sentence as a reader finds it: words, tags (well formed, any scheme), POS tags or ``None``."""


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


Place = int | str | None
"""Where in a file: a line number of a text file, or a place in a binary one (``"doc 3"``)."""


@dataclass
class Reading:
    """One file being read: its name for messages, a tag checker, counts of what was changed, and where each tag first appears."""

    name: str
    notes: Counter = field(default_factory=Counter)
    checker: TagChecker = field(default_factory=TagChecker)
    ignore_tags: bool = False  # read for its words only: a malformed tag is no error
    style: TokenStyle | None = None  # running text tokenised as a dataset's corpus is (None: spaCy's)
    first_lines: dict[str, Place] = field(default_factory=dict)  # tag as written (not O) -> where it first is

    def error(self, reason: str, line: Place = None) -> CorpusError:
        """``reason`` prefixed with the file and the place: ``name:12:`` for a line, ``name, doc 3:`` in a binary file."""
        if line is None:
            return CorpusError(f"{self.name}: {reason}")
        return CorpusError(f"{self.name}:{line}: {reason}" if isinstance(line, int) else f"{self.name}, {line}: {reason}")

    def tag(self, tag: str, line: Place) -> str:
        """``tag`` if well formed, else raise naming its place (``O`` when tags are ignored); a reader calls it at least
        for the first appearance of each tag, and that place is kept."""
        if self.ignore_tags:
            return "O"
        problem = self.checker.problem(tag)
        if problem is not None:
            raise self.error(problem, line)
        if tag != "O":
            self.first_lines.setdefault(tag, line)
        return tag
