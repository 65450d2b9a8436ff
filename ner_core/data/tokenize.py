"""Free text -> sentences of tokens, with spaCy's rule-based English tokenizer and sentencizer."""
from __future__ import annotations

import functools
from typing import NamedTuple, Sequence


class Token(NamedTuple):
    text: str
    start: int  # character offset in the original text


@functools.lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 5_000_000
    return nlp


def tokenize_with_offsets(text: str) -> list[list[Token]]:
    """Sentences of non-whitespace tokens with their character offsets; ``[]`` for blank text."""
    doc = _nlp()(text)
    sentences = [[Token(t.text, t.idx) for t in sent if not t.is_space] for sent in doc.sents]
    return [s for s in sentences if s]


def tokenize(text: str) -> list[list[str]]:
    """Sentences of tokens; ``[]`` for blank text."""
    return [[t.text for t in sentence] for sentence in tokenize_with_offsets(text)]


def join_tokens(words: Sequence[str]) -> tuple[str, list[Token]]:
    """Text of ``words`` joined by single spaces, and each word as a :class:`Token` of it."""
    tokens, position = [], 0
    for word in words:
        tokens.append(Token(word, position))
        position += len(word) + 1
    return " ".join(words), tokens
