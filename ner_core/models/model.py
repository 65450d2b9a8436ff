"""The neural CRF tagger of both families.

Inputs: word features (GloVe word + char CNN + casing embeddings) and/or frozen MiniLM word
features. Encoder: a BiLSTM ("Bi-LSTM-CRF", and the fusion of both inputs) or one feed-forward
layer ("BERT-FF"). Emission scores go to a linear-chain CRF, which gives the loss, the Viterbi
tags and each token's marginal probabilities.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..data.corpus import Sentence
from ..data.tags import OUTSIDE, TagSet
from .crf import CRF
from .device import module_device
from .features import CASINGS, Batch, Vocab, word_key
from .glove import GLOVE_DIM, glove_vectors

HEADS = ("lstm", "ff")
CHAR_ENCODERS = ("cnn", "lstm")


class Margins:
    """The training-only softmax-margin settings a model config holds: ``recall_margin``,
    ``margin_types`` and ``type_margins`` (see :meth:`CRFModel.crf_loss`); and its tagging-only
    ``start_bias`` (see :meth:`CRFModel.tagging_bias`)."""

    recall_margin: float
    margin_types: tuple[str, ...]
    type_margins: tuple[tuple[str, float], ...]
    start_bias: float

    def check_types(self, types: Sequence[str]) -> None:
        """Refuse margin types that are not among the model's entity ``types``."""
        unknown = (set(self.margin_types) | {t for t, _ in self.type_margins}) - set(types)
        if unknown:
            raise ValueError(f"unknown margin types: {', '.join(sorted(unknown))}; the types are {', '.join(types)}")

    def label_margins(self, labels: Sequence[str]) -> Tensor:
        """Training cost per gold label: ``type_margins`` where given, else ``recall_margin`` for
        the types of ``margin_types`` (all when empty), 0 for ``O`` and the other types."""
        per_type, types, margin = dict(self.type_margins), self.margin_types, self.recall_margin
        return torch.tensor([
            0.0 if t == OUTSIDE else per_type.get(t[2:], margin if not types or t[2:] in types else 0.0) for t in labels
        ])


@dataclass
class ModelConfig(Margins):
    word_features: bool = True  # GloVe words + char CNN + casing
    encoder: str | None = None  # frozen encoder features, "NAME-POOLING": "minilm-first", "/models/bert-base-cased-mean"
    encoder_fingerprint: str = ""  # the encoder's config when the model was built: another one is refused
    encoder_weights: str = ""  # the encoder's weights (sampled) when the model was built: others are refused (older models: unchecked)
    encoder_layers: str = "last"  # the encoder's last layer, or the mean of "all" its layers
    open_vocab: bool = False  # frozen GloVe for every word GloVe knows, plus a trained offset per training word
    pos_tags: tuple[str, ...] = ()  # auxiliary POS-tagging head over these tags, used in training only (empty: off)
    pos_weight: float = 1.0  # weight of the auxiliary POS loss
    head: str = "lstm"  # "lstm" (BiLSTM) or "ff" (one feed-forward layer)
    word_dim: int = 50
    char_dim: int = 30
    char_encoder: str = "cnn"  # "cnn" (max-pooled convolution) or "lstm" (last states of a char BiLSTM)
    char_filters: int = 50  # size of the char feature (CNN filters; the BiLSTM's two directions together)
    char_kernel: int = 3
    casing_dim: int = 8
    hidden: int = 128
    lstm_layers: int = 1
    dropout: float = 0.5
    word_dropout: float = 0.05
    recall_margin: float = 0.0  # training only: softmax-margin cost of every wrong tag at gold entity tokens
    margin_types: tuple[str, ...] = ()  # the entity types that cost applies to (empty: all)
    type_margins: tuple[tuple[str, float], ...] = ()  # training only: (type, cost) pairs overriding recall_margin
    start_bias: float = 0.0  # tagging only: added to every B- emission (chosen on dev after training)

    def __post_init__(self) -> None:
        if self.head not in HEADS:
            raise ValueError(f"unknown head {self.head!r}: expected one of {', '.join(HEADS)}")
        if self.encoder is not None:
            from .encoder import LAYERS, parse_encoder

            parse_encoder(self.encoder)
            if self.encoder_layers not in LAYERS:
                raise ValueError(f"unknown encoder_layers {self.encoder_layers!r}: expected one of {', '.join(LAYERS)}")
        if not self.word_features and self.encoder is None:
            raise ValueError("a model needs word features, an encoder, or both")
        if self.open_vocab and (not self.word_features or self.word_dim != GLOVE_DIM):
            raise ValueError(f"open_vocab needs word features of GloVe's size ({GLOVE_DIM})")
        if self.pos_tags and self.head != "lstm":
            raise ValueError("the auxiliary POS head needs the BiLSTM head")
        if self.char_encoder not in CHAR_ENCODERS:
            raise ValueError(f"unknown char encoder {self.char_encoder!r}: expected cnn or lstm")
        if self.char_encoder == "lstm" and self.char_filters % 2:
            raise ValueError("a char BiLSTM needs an even char_filters (its two directions)")
        if self.recall_margin < 0:
            raise ValueError(f"recall_margin must be non-negative, got {self.recall_margin}")
        self.type_margins = tuple((str(t), float(m)) for t, m in self.type_margins)
        if any(m < 0 for _, m in self.type_margins):
            raise ValueError(f"type_margins must pair entity types with non-negative costs, got {self.type_margins}")
        self.pos_tags, self.margin_types = tuple(self.pos_tags), tuple(self.margin_types)
        for name in ("word_dim", "char_dim", "char_filters", "char_kernel", "hidden", "lstm_layers"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 <= self.dropout < 1 or not 0 <= self.word_dropout < 1:
            raise ValueError("dropout and word_dropout must be in [0, 1)")

    def to_dict(self) -> dict:
        return asdict(self)



def iob2_constraints(labels: list[str]) -> tuple[Tensor, Tensor]:
    """Allowed transitions and start tags of IOB2: ``I-x`` only after ``B-x`` or ``I-x``."""
    k = len(labels)
    allowed = torch.ones(k, k, dtype=torch.bool)
    start = torch.ones(k, dtype=torch.bool)
    for j, tag in enumerate(labels):
        if tag.startswith("I-"):
            start[j] = False
            for i, prev in enumerate(labels):
                allowed[i, j] = prev != OUTSIDE and prev[2:] == tag[2:]
    return allowed, start


@contextmanager
def gpu_memory_hint(doing: str, batch_size: int) -> Iterator[None]:
    """Turn a CUDA out-of-memory error while ``doing`` (training, tagging) into a clear one naming ``--batch-size``."""
    try:
        yield
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        raise DeviceMemoryError(f"the GPU ran out of memory {doing} a batch of {batch_size} sentences: give a smaller "
                                "--batch-size (or --device cpu)") from None


class DeviceMemoryError(ValueError):
    """The GPU's memory does not hold a batch."""


class CRFModel(nn.Module):
    """A tagger whose emission scores ``(B, T, K)`` go to a CRF with IOB2 constraints: the loss
    (with the softmax margin of its config's :class:`Margins`), Viterbi tags and marginals.
    Subclasses set ``config``, ``vocab`` and ``crf`` and give :meth:`emissions`."""

    config: Margins
    vocab: Vocab
    crf: CRF

    def emissions(self, batch) -> Tensor:
        raise NotImplementedError

    def reads_like(self, other: nn.Module) -> bool:
        """Whether one :meth:`batch` of any sentences serves this model and ``other`` (not known here: no)."""
        return False

    @property
    def caches_features(self) -> bool:
        """Whether its first epoch computes features that later epochs read from a cache (frozen encoder features)."""
        return False

    def crf_loss(self, emissions: Tensor, batch) -> Tensor:
        """Mean negative log-likelihood per sentence of ``batch.tags``.

        With a margin the loss is the CRF's softmax-margin (Gimpel & Smith, 2010): at each token
        whose gold tag is an entity, every other tag's emission gets that entity type's margin
        (:meth:`Margins.label_margins`) before the partition function, so missing such an entity
        costs more — the CRF's counterpart of a class weight.
        """
        margins = self.config.label_margins(self.vocab.labels).to(emissions.device)
        if margins.any() and batch.tags is not None:
            cost = margins[batch.tags] * batch.mask  # (B, T): the margin of each token's gold tag
            wrong = torch.ones_like(emissions).scatter_(2, batch.tags.unsqueeze(2), 0.0)
            emissions = emissions + cost.unsqueeze(2) * wrong
        return -self.crf(emissions, batch.tags, batch.mask, reduction="mean")

    def label_margins(self) -> Tensor:
        return self.config.label_margins(self.vocab.labels)

    def tagging_bias(self, start: float | None = None) -> Tensor:
        """Per label ``(K,)``: ``start`` (default the config's ``start_bias``) for ``B-`` labels, 0 for the
        others: added to the emissions when tagging, so that a model that starts too few entities on dev
        (precision above recall), or too many, is set to the balance dev scores best (``training/tagging_bias.py``)."""
        start = self.config.start_bias if start is None else start
        return torch.tensor([start if t.startswith("B-") else 0.0 for t in self.vocab.labels])

    @torch.inference_mode()
    def predict(self, batch) -> tuple[list[list[str]], list[list[float]], Tensor]:
        """Viterbi tags, each tag's marginal probability, and the full marginals ``(B, T, K)``, with the
        config's tagging bias added to the emissions."""
        with gpu_memory_hint("tagging", batch.mask.size(0)):
            emissions = self.emissions(batch).float()
        if self.config.start_bias:
            emissions = emissions + self.tagging_bias().to(emissions.device)
        paths = self.crf.decode(emissions, batch.mask)
        marginals = self.crf.marginals(emissions, batch.mask).cpu()
        labels = self.vocab.labels
        tags = [[labels[i] for i in path] for path in paths]
        chosen = torch.zeros(marginals.shape[:2], dtype=torch.long)  # (B, T): each token's tag on the path
        for b, path in enumerate(paths):
            chosen[b, : len(path)] = torch.tensor(path, dtype=torch.long)
        picked = marginals.gather(2, chosen[:, :, None])[:, :, 0].tolist()  # (B, T): its marginal
        probs = [row[: len(path)] for row, path in zip(picked, paths)]
        return tags, probs, marginals


class CRFTagger(CRFModel):
    """Emission scores from word and/or encoder features through a BiLSTM or a feed-forward layer; a CRF on top."""

    def __init__(self, config: ModelConfig, vocab: Vocab) -> None:
        super().__init__()
        config.check_types(TagSet.from_labels(vocab.labels).types)
        dim = 0
        if config.encoder:
            from .encoder import EncoderError, encoder_info, parse_encoder, weights_fingerprint

            info = encoder_info(parse_encoder(config.encoder)[0])
            weights = weights_fingerprint(info)
            for what, recorded, here in (("config", config.encoder_fingerprint, info.fingerprint), ("weights", config.encoder_weights, weights)):
                if recorded and recorded != here:
                    raise EncoderError(f"the model was trained beside encoder {info.name!r} with {what} fingerprint {recorded}; "
                                       f"the one at {info.path} has {here}: another model, version or fine-tuned copy. Give the "
                                       "encoder it was trained with")
            config = replace(config, encoder_fingerprint=info.fingerprint, encoder_weights=weights)
            dim += info.dim
        self.config, self.vocab = config, vocab
        if config.word_features:
            self.word_emb = nn.Embedding(len(vocab.words), config.word_dim, padding_idx=0)
            self.char_emb = nn.Embedding(len(vocab.chars), config.char_dim, padding_idx=0)
            if config.char_encoder == "cnn":
                self.char_cnn = nn.Conv1d(config.char_dim, config.char_filters, config.char_kernel, padding=config.char_kernel // 2)
            else:
                self.char_lstm = nn.LSTM(config.char_dim, config.char_filters // 2, batch_first=True, bidirectional=True)
            self.casing_emb = nn.Embedding(len(CASINGS), config.casing_dim, padding_idx=0)
            dim += config.word_dim + config.char_filters + config.casing_dim
        if config.head == "lstm":
            self.lstm = nn.LSTM(
                dim, config.hidden, num_layers=config.lstm_layers, batch_first=True, bidirectional=True,
                dropout=config.dropout if config.lstm_layers > 1 else 0.0,
            )
        else:
            self.ff = nn.Linear(dim, 2 * config.hidden)
        self.emit = nn.Linear(2 * config.hidden, len(vocab.labels))
        if config.pos_tags:
            self.pos_ids = {t: i for i, t in enumerate(config.pos_tags)}
            self.pos_head = nn.Linear(2 * config.hidden, len(config.pos_tags))
        allowed, start = iob2_constraints(vocab.labels)
        self.crf = CRF(len(vocab.labels), allowed, start)

    def init_word_vectors(self, vectors: Tensor, found: Tensor) -> None:
        """Copy pre-trained vectors into the rows where ``found`` is true.

        With ``open_vocab`` the GloVe vectors come with each batch instead, and those rows start at
        zero: they hold the trained offset from GloVe.
        """
        if self.config.word_features:
            with torch.no_grad():
                self.word_emb.weight[found] = 0.0 if self.config.open_vocab else vectors[found]

    @property
    def caches_features(self) -> bool:
        return bool(self.config.encoder)

    def reads_like(self, other: nn.Module) -> bool:
        """Whether ``other`` is a model whose :meth:`batch` of any sentences equals this one's (a pipeline's
        taggers trained on one corpus), so that one batch serves both."""
        keys = ("word_features", "open_vocab", "encoder", "encoder_layers")
        return (isinstance(other, CRFTagger) and all(getattr(self.config, k) == getattr(other.config, k) for k in keys)
                and self.vocab.words == other.vocab.words and self.vocab.chars == other.vocab.chars
                and self.vocab.cased == other.vocab.cased)

    def batch(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]] | None = None) -> Batch:
        """Tensors for ``words`` (and ``tags``), with encoder features when the model uses them."""
        batch = self.vocab.encode(words, tags)
        if self.config.open_vocab:
            vectors = glove_vectors([word_key(w) for sentence in words for w in sentence])[0]
            padded = np.zeros((len(words), batch.mask.size(1), GLOVE_DIM), dtype=np.float32)
            padded[batch.mask.numpy()] = vectors  # row-major order of the mask = token order
            batch.glove = torch.from_numpy(padded)
        if self.config.encoder:
            from .encoder import parse_encoder, word_encoder

            name, pooling = parse_encoder(self.config.encoder)
            encoder = word_encoder(pooling, name, self.config.encoder_layers)
            features = encoder(words)
            padded = np.zeros((len(words), batch.mask.size(1), encoder.dim), dtype=np.float32)
            for b, f in enumerate(features):
                padded[b, : len(f)] = f
            batch.encoder = torch.from_numpy(padded)
        return batch.to(module_device(self))

    def encode(self, sentences: Sequence[Sentence]) -> Batch:
        """A training batch: words and gold tags (and gold POS tags for the auxiliary head)."""
        batch = self.batch([s.words for s in sentences], [s.tags for s in sentences])
        if self.config.pos_tags:
            pos = torch.full(batch.mask.shape, -100, dtype=torch.long)  # -100: no POS loss there
            for b, s in enumerate(sentences):
                if s.pos is not None:
                    pos[b, : len(s)] = torch.tensor([self.pos_ids.get(p, -100) for p in s.pos])
            batch.pos = pos
        return batch

    def drop(self, x: Tensor) -> Tensor:
        """Dropout at ``config.dropout`` (read at each call, so a warm start can change it)."""
        return nn.functional.dropout(x, self.config.dropout, self.training)

    def emissions(self, batch: Batch) -> Tensor:
        return self.emit(self.drop(self.hidden_states(batch)))  # (B, T, K)

    def hidden_states(self, batch: Batch) -> Tensor:
        """The encoder's output per token ``(B, T, 2H)``."""
        parts = []
        if self.config.word_features:
            words, glove = batch.words, batch.glove  # (B, T), (B, T, 50) or None
            if self.training and self.config.word_dropout > 0:
                drop = (torch.rand(words.shape, device=words.device) < self.config.word_dropout) & batch.mask
                words = words.masked_fill(drop, 1)  # 1 = UNK
                glove = None if glove is None else glove.masked_fill(drop[:, :, None], 0.0)
            char_feat = self.char_features(batch.chars, batch.char_rows)
            word = self.word_emb(words) if glove is None else self.word_emb(words) + glove
            parts += [word, char_feat, self.casing_emb(batch.casing)]
        if self.config.encoder:
            parts.append(batch.encoder)  # (B, T, the encoder's dim)
        x = self.drop(torch.cat(parts, dim=2))  # (B, T, D)
        if self.config.head == "ff":
            return torch.relu(self.ff(x))
        t = x.size(1)
        packed = nn.utils.rnn.pack_padded_sequence(x, batch.mask.sum(1).cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=t)
        return out

    def char_features(self, chars: Tensor, rows: Tensor) -> Tensor:
        """``(W, C)`` char ids of distinct words and each token's ``(B, T)`` row -> ``(B, T, char_filters)`` features."""
        embedded = self.char_emb(chars)  # (W, C, char_dim)
        if self.config.char_encoder == "cnn":
            features = self.char_cnn(embedded.transpose(1, 2)).max(dim=2).values
        else:
            lengths = (chars != 0).sum(1).clamp(min=1).cpu()  # the padding row: one PAD char
            packed = nn.utils.rnn.pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
            _, (last, _) = self.char_lstm(packed)  # (2, W, filters/2): final forward and backward states
            features = torch.cat([last[0], last[1]], dim=1)
        return features[rows]  # (B, T, char_filters)

    def forward_loss(self, batch: Batch) -> Tensor:
        """Mean negative log-likelihood per sentence (:meth:`CRFModel.crf_loss`), plus the weighted POS loss per sentence, if on."""
        states = self.drop(self.hidden_states(batch))
        loss = self.crf_loss(self.emit(states), batch)
        if self.config.pos_tags and batch.pos is not None:
            pos_loss = nn.functional.cross_entropy(self.pos_head(states).transpose(1, 2), batch.pos, reduction="sum")
            loss = loss + self.config.pos_weight * pos_loss / batch.mask.size(0)
        return loss
