"""Inference: tag tokenised sentences with a trained model, in length-sorted batches."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import torch

from ..data.scripts import own_scripts
from ..data.tags import TagSet
from ..data.tokenize import TokenStyle
from .checkpoint import load_checkpoint
from .checkpoint_dirs import CheckpointError
from .detector import WeakSentenceDetector
from .device import resolve_device
from .features import Batch, length_batches
from .model import CRFTagger

Batches = list[tuple[list[int], Batch]]
"""Sentence indices in batches of similar length, each with its encoded :class:`Batch` (:meth:`Tagger.batches`)."""


@dataclass(frozen=True)
class TaggedSentence:
    """A model's output for one sentence: a tag and its marginal probability per token."""

    words: tuple[str, ...]
    tags: tuple[str, ...]
    probs: tuple[float, ...]

    def rows(self) -> list[dict[str, object]]:
        """One flat record per token, for tables."""
        return [{"token": w, "tag": t, "probability": round(p, 3)} for w, t, p in zip(self.words, self.tags, self.probs)]


class Tagger:
    """A trained model ready to tag; load one with :meth:`from_checkpoint`."""

    def __init__(self, model: CRFTagger, meta: dict[str, Any] | None = None, batch_size: int = 256) -> None:
        self.model, self.meta, self.batch_size = model.eval(), meta or {}, batch_size  # tags where its weights are

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, device: str | None = None) -> "Tagger":
        """The tagger at ``path`` on ``device`` (see :func:`~ner_core.models.device.resolve_device`; ``None``: ``$NER_DEVICE``);
        a sentence detector's checkpoint is refused (:class:`CheckpointError`)."""
        model, meta = load_checkpoint(path)
        if isinstance(model, WeakSentenceDetector):
            raise CheckpointError(f"{path}: a sentence detector (whether a sentence holds a rare type), not a tagger: "
                                  "give a tagger or a pipeline (e.g. voted or bilstm_crf)")
        return cls(model.to(resolve_device(device)), meta)

    @property
    def labels(self) -> list[str]:
        return self.model.vocab.labels

    @property
    def words(self) -> list[str]:
        """The words it trained with (none for a fine-tuned encoder, whose tokenizer reads any)."""
        return self.model.vocab.words[2:]  # past PAD and UNK

    @functools.cached_property
    def scripts(self) -> frozenset[str]:
        """The writing systems of :attr:`words` (see :func:`~ner_core.data.scripts.own_scripts`); none: any."""
        return own_scripts([self.words])

    @property
    def token_style(self) -> TokenStyle | None:
        """How its training sentences wrote hyphenated words and possessives (``None``: not recorded, before stop 49):
        text it tags is tokenised alike."""
        style = self.meta.get("token_style")
        return TokenStyle(**style) if style else None

    @property
    def masked(self) -> tuple[str, ...]:
        """The types set to ``O`` in training (a strong tagger: the weak types; a weak one: the strong)."""
        return tuple(self.meta.get("train", {}).get("mask_types", ()))

    @property
    def tagset(self) -> TagSet:
        """The model's entity types (from its label list; which are weak is a pipeline's to say)."""
        return TagSet.from_labels(self.labels)

    def batches(self, sentences: Sequence[Sequence[str]]) -> Iterator[tuple[list[int], Batch]]:
        """The model's inputs for the non-empty ``sentences``: their indices in batches of similar length, each
        with its encoded batch (what :meth:`tag` computes; a pipeline encodes once for models that
        read alike: :meth:`~ner_core.models.model.CRFTagger.reads_like`)."""
        for chunk in length_batches(sentences, self.batch_size):
            yield chunk, self.model.batch([sentences[i] for i in chunk])

    def _predict(self, sentences: Sequence[Sequence[str]], batches: Batches | None
                 ) -> Iterator[tuple[int, list[str], list[float], torch.Tensor]]:
        """Yield ``(index, tags, probs, marginals)`` for each non-empty sentence, batched by length."""
        for chunk, batch in batches if batches is not None else self.batches(sentences):
            tags, probs, marginals = self.model.predict(batch)
            for b, i in enumerate(chunk):
                yield i, tags[b], probs[b], marginals[b, : len(sentences[i])]

    def tag(self, sentences: Sequence[Sequence[str]], batches: Batches | None = None) -> list[TaggedSentence]:
        """Tag every sentence (a sequence of tokens); an empty sentence gives an empty result. ``batches``:
        the sentences already encoded (:meth:`batches`)."""
        return self.tag_with_marginals(sentences, batches)[0]

    def marginals(self, sentences: Sequence[Sequence[str]], batches: Batches | None = None) -> list[torch.Tensor]:
        """Per-token distributions over :attr:`labels`, one ``(len, K)`` tensor per sentence."""
        return self.tag_with_marginals(sentences, batches)[1]

    def tag_with_marginals(self, sentences: Sequence[Sequence[str]], batches: Batches | None = None
                           ) -> tuple[list[TaggedSentence], list[torch.Tensor]]:
        """:meth:`tag` and :meth:`marginals` from one pass of the model."""
        tagged = [TaggedSentence(tuple(s), (), ()) for s in sentences]
        marginals = [torch.zeros(len(s), len(self.labels)) for s in sentences]
        for i, tags, probs, m in self._predict(sentences, batches):
            tagged[i], marginals[i] = TaggedSentence(tuple(sentences[i]), tuple(tags), tuple(probs)), m.clone()
        return tagged, marginals
