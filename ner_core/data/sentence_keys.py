"""Keys of sentences: what a model trained on (by words), and whether a sentence's tags changed (words and tags)."""
from __future__ import annotations

import hashlib
from typing import Any, Sequence

from .formats.base import Sentence


def words_key(words: Sequence[str]) -> str:
    """The full hash of a sentence's words (40 hex digits): a duplicate has the same."""
    return hashlib.sha1("\x1f".join(words).encode()).hexdigest()


def spelling_key(words: Sequence[str]) -> str:
    """A hash of a sentence's characters, spaces left out and case aside: the same sentence tokenised another way or
    written in other capitals has the same (``deputy-leader`` and ``deputy - leader``; a test sentence in capitals,
    which the pool would otherwise take in and training learn: helper-83)."""
    return hashlib.sha1("".join("".join(w.split()) for w in words).casefold().encode()).hexdigest()


def sentence_key(sentence: Sentence) -> str:
    """A short hash of a sentence's words: what a model that trained on it has seen."""
    return words_key(sentence.words)[:12]


def tag_fingerprint(sentence: Sentence) -> str:
    """A hash of a sentence's words and tags: it changes when the sentence is corrected."""
    return hashlib.sha1(("\x1f".join(sentence.words) + "\x1e" + "\x1f".join(sentence.tags)).encode()).hexdigest()[:16]


def training_record(sentences: Sequence[Sentence]) -> dict[str, Any]:
    """What a checkpoint records of its training data: the sentence count and every sentence's key."""
    return {"sentences": len(sentences), "keys": " ".join(sorted({sentence_key(s) for s in sentences}))}


def seen_sentences(meta: dict[str, Any], sentences: Sequence[Sentence]) -> int:
    """How many of ``sentences`` a checkpoint with this ``meta`` trained on.

    Raises ``ValueError`` when the checkpoint does not record its training data.
    """
    record = meta.get("trained_on")
    if not record or "keys" not in record:
        raise ValueError("the checkpoint does not record which sentences it trained on, so it cannot be shown "
                         "never to have seen this data; train it with this version of ner_core or start from scratch")
    keys = set(record["keys"].split())
    return sum(sentence_key(s) in keys for s in sentences)
