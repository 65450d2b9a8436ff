"""The writing systems (scripts) of text, from the Unicode names of its letters: ``LATIN``, ``CYRILLIC``,
``CJK``, ``ARABIC`` … A pool for a corpus in one script should not fill with sentences its model cannot
read; a ranking of such sentences means little."""
from __future__ import annotations

import functools
import unicodedata
from collections import Counter
from typing import Iterable, Sequence

OWN_SHARE = 0.01  # a script is a corpus's own when it writes at least this share of the corpus's letters


@functools.lru_cache(maxsize=100_000)
def word_scripts(word: str) -> tuple[tuple[str, int], ...]:
    """``(script, letters)`` for each script of ``word``'s letters (digits and punctuation have none)."""
    if word.isascii():
        letters = sum(c.isalpha() for c in word)
        return (("LATIN", letters),) if letters else ()
    counts = Counter(unicodedata.name(c, "UNNAMED").split()[0] for c in word if c.isalpha())
    return tuple(counts.items())


def letter_scripts(sentences: Iterable[Sequence[str]]) -> Counter[str]:
    """Letters per script over all the words of ``sentences``."""
    counts: Counter[str] = Counter()
    for words in sentences:
        for word in words:
            for script, letters in word_scripts(word):
                counts[script] += letters
    return counts


def own_scripts(sentences: Iterable[Sequence[str]]) -> frozenset[str]:
    """The scripts that write at least :data:`OWN_SHARE` of the letters of ``sentences`` (a corpus)."""
    counts = letter_scripts(sentences)
    total = sum(counts.values())
    return frozenset(s for s, n in counts.items() if n >= OWN_SHARE * total)


def foreign_script(words: Sequence[str], own: frozenset[str]) -> str | None:
    """The main script of ``words`` when most of their letters are in scripts outside ``own`` (none: no
    check), else ``None``."""
    if not own:
        return None
    counts = letter_scripts([words])
    foreign = {s: n for s, n in counts.items() if s not in own}
    if not foreign or 2 * sum(foreign.values()) <= sum(counts.values()):
        return None
    return max(foreign, key=foreign.__getitem__)


def foreign_note(sentences: Sequence[Sequence[str]], own: frozenset[str]) -> str | None:
    """How many ``sentences`` are mostly in scripts outside ``own`` (a model's, see ``Tagger.scripts``; none: no
    check), as a note, or ``None``."""
    counts = Counter(script for words in sentences if (script := foreign_script(words, own)))
    if not counts:
        return None
    return (f"{sum(counts.values()):,} of {len(sentences):,} sentences are mostly in a script the model never trained on "
            f"({', '.join(f'{s} {n:,}' for s, n in counts.most_common())}): its output on them means little")
