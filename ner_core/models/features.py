"""Vocabularies and tensor batches: lowercased words (GloVe keys), characters, casing, tags.

A sentence in capitals throughout (a headline, a telex) loses the capitals a tagger finds names by, and every word looks
like an acronym: the shipped Bi-LSTM-CRF scores 0.26 micro F1 on the test split upper-cased. A vocabulary keeps the
forms its training sentences write their words in where that is not lower case (``US``, ``Moscow``), and reads such a
sentence in them (:meth:`Vocab.truecase`): 0.79 there (``benchmarks/all_capitals.py``). A headline in Title Case
("Bush Meets Putin") reads like a row of names (0.50) and is read so too (0.78)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor

PAD, UNK = "<pad>", "<unk>"
MAX_WORD_CHARS = 20  # a word's characters read (the rest cut); every word is padded to this many
MAX_CACHED_WORDS = 200_000  # a vocabulary's memo of encoded words is emptied when it grows past this
CASINGS = ("pad", "lower", "title", "upper", "mixed", "digit", "has_digit", "punct", "other")


def casing(word: str) -> str:
    """A coarse shape class: GloVe is lowercased, so casing is given to the model separately."""
    if word.isdigit():
        return "digit"
    if any(c.isdigit() for c in word):
        return "has_digit"
    if word.islower():
        return "lower"
    if word.isupper():
        return "upper"
    if word[:1].isupper() and word[1:].islower():
        return "title"
    if any(c.isalpha() for c in word):
        return "mixed"
    if all(not c.isalnum() for c in word):
        return "punct"
    return "other"


def word_key(word: str) -> str:
    return word.lower()


@dataclass
class Batch:
    words: Tensor  # (B, T) word ids
    chars: Tensor  # (W, C) char ids of the batch's distinct words (row 0: padding) ...
    char_rows: Tensor  # (B, T) ... and each token's row there
    casing: Tensor  # (B, T) casing ids
    mask: Tensor  # (B, T) bool
    tags: Tensor | None = None  # (B, T) tag ids
    labels: Tensor | None = None  # (B,) sentence labels (the detector's)
    encoder: Tensor | None = None  # (B, T, 384) frozen encoder features
    glove: Tensor | None = None  # (B, T, 50) frozen GloVe vectors (zero where GloVe lacks the word)
    pos: Tensor | None = None  # (B, T) gold POS ids for the auxiliary head (-100: none)

    def to(self, device: torch.device) -> "Batch":
        """The same batch with every tensor on ``device`` (itself when they are there already)."""
        if self.mask.device == device:
            return self
        return Batch(**{k: None if v is None else v.to(device) for k, v in vars(self).items()})


@dataclass
class Vocab:
    """The three vocabularies and the tag list a model was trained with; saved beside its weights."""

    words: list[str]
    chars: list[str]
    labels: list[str]
    cased: list[str] = field(default_factory=list)  # the known words whose usual form is not lower case (a checkpoint
    # saved before it has none, and reads capitals as they come)

    def __post_init__(self) -> None:
        self.case_of = {word_key(w): w for w in self.cased}
        self.word2id = {w: i for i, w in enumerate(self.words)}
        self.char2id = {c: i for i, c in enumerate(self.chars)}
        self.label2id = {t: i for i, t in enumerate(self.labels)}
        self.casing2id = {c: i for i, c in enumerate(CASINGS)}
        self._encoded: dict[str, tuple[int, int, list[int]]] = {}  # word -> its ids (see _ids)

    @classmethod
    def build(cls, sentences: Sequence[Sequence[str]], known: set[str] | dict, labels: Sequence[str], min_count: int = 2) -> "Vocab":
        """Words of the training data that GloVe knows, plus unknown ones seen ``min_count`` times;
        ``labels`` is the model's output list (a :class:`~ner_core.data.tags.TagSet`'s ``labels``)."""
        forms = Counter(w for s in sentences for w in s)
        counts = Counter()
        usual: dict[str, tuple[int, str]] = {}  # word key -> the count and the form of its most frequent form
        for form, n in forms.items():
            key = word_key(form)
            counts[key] += n
            usual[key] = max(usual.get(key, (0, key)), (n, form))
        words = sorted(w for w, n in counts.items() if w in known or n >= min_count)
        chars = sorted({c for s in sentences for w in s for c in w})
        cased = sorted(usual[w][1] for w in words if usual[w][1] != w)
        return cls([PAD, UNK] + words, [PAD, UNK] + chars, list(labels), cased)

    def to_dict(self) -> dict:
        return {"words": self.words, "chars": self.chars, "labels": self.labels, "cased": self.cased}

    def truecase(self, sentence: Sequence[str]) -> Sequence[str]:
        """``sentence`` as the training sentences would write it where it is in capitals (:func:`shouting`) or in
        headline style (:meth:`headline`) and this vocabulary knows their forms. In capitals: each word in capitals, if
        known, in its usual form, else with a capital first (mostly names), and the first word with a capital. In headline
        style: each word after the first written with a capital, if known, in its usual form (unknown ones are mostly
        names). The other words as they are; else ``sentence`` as it is."""
        if not self.case_of:
            return sentence
        if shouting(sentence):
            out = [self._usual(w, w[:1] + w[1:].lower()) if w.isupper() else w for w in sentence]
            out[0] = out[0][:1].upper() + out[0][1:]
            return out
        if self.headline(sentence):
            return [sentence[0]] + [self._usual(w, w) if _capitalised(w) else w for w in sentence[1:]]
        return sentence

    def headline(self, sentence: Sequence[str]) -> bool:
        """Whether ``sentence`` is in headline style: of its words after the first that are usually in lower case here,
        nine in ten or more written with a capital, at least two of them ("Bush Meets Putin In Moscow"); or so of those of 4
        letters or more, at least :data:`TITLED` of them (a style that keeps "in", "of", "to" in lower case). A sentence
        rich in names ("the Security Council met …") is not: its other words stay in lower case."""
        usual_lower = [w for w in sentence[1:] if w[:1].isalpha() and (k := word_key(w)) in self.word2id
                       and k not in self.case_of and (w == k or _capitalised(w))]  # "Anti-American", "1990s" say nothing
        return _titled(usual_lower, 2) or _titled([w for w in usual_lower if len(w) > 3], TITLED)

    def _usual(self, word: str, unknown: str) -> str:
        """``word`` in the form the training sentences usually give it, ``unknown`` if they never do."""
        key = word_key(word)
        return self.case_of.get(key, key) if key in self.word2id else unknown

    def encode(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]] | None = None) -> Batch:
        """Pad ``sentences`` (lists of tokens) into a :class:`Batch`."""
        sentences = [self.truecase(s) for s in sentences]
        n, length = len(sentences), max((len(s) for s in sentences), default=0)
        words = np.zeros((n, length), dtype=np.int64)
        shape = np.zeros((n, length), dtype=np.int64)
        char_rows = np.zeros((n, length), dtype=np.int64)
        distinct: dict[str, int] = {}  # word -> its row of chars (a batch repeats its words: spelled once)
        for b, sentence in enumerate(sentences):
            ids = [self._ids(w) for w in sentence]
            words[b, : len(sentence)] = [i[0] for i in ids]
            shape[b, : len(sentence)] = [i[1] for i in ids]
            char_rows[b, : len(sentence)] = [distinct.setdefault(w, len(distinct) + 1) for w in sentence]
        # every word padded to MAX_WORD_CHARS: a char CNN's max over positions then never depends on the
        # longest word of the batch (a sentence tagged alone and in a batch got different probabilities)
        chars = np.zeros((len(distinct) + 1, MAX_WORD_CHARS), dtype=np.int64)
        for word, row in distinct.items():
            char_ids = self._ids(word)[2]
            chars[row, : len(char_ids)] = char_ids
        lengths = np.array([len(s) for s in sentences])
        mask = np.arange(length)[None, :] < lengths[:, None]
        tag_ids = None
        if tags is not None:
            tag_ids = np.zeros((n, length), dtype=np.int64)
            for b, seq in enumerate(tags):
                tag_ids[b, : len(seq)] = [self.label2id[t] for t in seq]
            tag_ids = torch.from_numpy(tag_ids)
        return Batch(torch.from_numpy(words), torch.from_numpy(chars), torch.from_numpy(char_rows), torch.from_numpy(shape),
                     torch.from_numpy(mask), tag_ids)

    def _ids(self, word: str) -> tuple[int, int, list[int]]:
        """``word``'s id, casing id and char ids, memoised: a corpus repeats its words, and a pipeline's
        taggers encode the same sentences."""
        found = self._encoded.get(word)
        if found is None:
            if len(self._encoded) >= MAX_CACHED_WORDS:
                self._encoded.clear()
            unk_c = self.char2id[UNK]
            found = self._encoded[word] = (self.word2id.get(word_key(word), self.word2id[UNK]), self.casing2id[casing(word)],
                                           [self.char2id.get(c, unk_c) for c in word[:MAX_WORD_CHARS]])
        return found


SHOUTED = 0.75  # a sentence whose words with letters are in capitals at least this often is in capitals (a stray "in",
# a "McCAIN" aside: helper-88)


TITLED = 4  # words usually in lower case, written with a capital, that make a sentence a headline (three: a title,
# "A Memoir of a Life of Soul", tagged art)


def _titled(words: list[str], least: int) -> bool:
    """Whether at least ``least`` of ``words``, and nine in ten of them, are written with a capital."""
    capitalised = sum(map(_capitalised, words))
    return capitalised >= least and capitalised >= 0.9 * len(words)


def _capitalised(word: str) -> bool:
    """A capital, then lower case only ("Meets", "A"; not "US", "McCain", "iPhone")."""
    return word[:1].isupper() and word[1:] == word[1:].lower()


def shouting(sentence: Sequence[str]) -> bool:
    """Whether ``sentence`` is in capitals: two words or more in capitals, and at least :data:`SHOUTED` of its words with
    cased letters."""
    upper = sum(w.isupper() for w in sentence)  # a word with cased letters, all capitals
    return upper >= 2 and upper >= SHOUTED * sum(w.isupper() or any(c.islower() for c in w) for w in sentence)


def length_batches(sentences: Sequence[Sequence[str]], size: int) -> Iterator[list[int]]:
    """Indices of the non-empty sentences, in batches of similar length (less padding)."""
    order = sorted((i for i, s in enumerate(sentences) if len(s)), key=lambda i: len(sentences[i]))
    for start in range(0, len(order), size):
        yield order[start : start + size]
