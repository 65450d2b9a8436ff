"""A transformer encoder fine-tuned end to end under the project's CRF.

Each word is pooled from its sub-words' last hidden states (the first one or their mean) and gets a
small casing embedding (an uncased encoder such as MiniLM cannot see case; the GloVe model has the
same classes); one linear layer gives the emissions and :class:`~ner_core.models.model.CRFModel`
the CRF with IOB2 constraints. A sentence longer than the encoder's maximum length is encoded in
windows that fit it (:func:`~ner_core.models.encoder._windows`), never truncated; the CRF runs over
the whole sentence. On CUDA the encoder runs under autocast: bf16 where the GPU has it, else fp16 for
tagging only (fp16 training would need a gradient scaler).

The fine-tuned encoder's weights are the model: a checkpoint holds all of them in ``model.safetensors``
and the encoder's config and tokenizer in ``encoder/`` (:meth:`FineTuneTagger.save_bundle`), so it
loads without the encoder it started from. Such checkpoints are large (MiniLM-L6: ~90 MB).
"""
from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor, nn

from ..data.corpus import Sentence
from ..data.tags import TagSet
from .crf import CRF
from .device import module_device
from .encoder import MINILM, POOLINGS, EncoderError, _windows, encoder_info, load_failures
from .features import CASINGS, PAD, UNK, Vocab
from .model import CRFModel, Margins, iob2_constraints

BUNDLE_DIR = "encoder"


@dataclass
class FineTuneConfig(Margins):
    encoder: str = MINILM  # "minilm", a directory holding a transformer, or a model in the local Hugging Face cache
    pooling: str = "first"  # a word's vector: its first sub-word's state, or the mean of its sub-words'
    encoder_fingerprint: str = ""  # of the encoder's config it started from (a record: the checkpoint holds its own)
    casing_dim: int = 16
    dropout: float = 0.1  # on the word vectors, before the emissions (the encoder has its own)
    recall_margin: float = 0.0  # training only, as ModelConfig's
    margin_types: tuple[str, ...] = ()
    type_margins: tuple[tuple[str, float], ...] = ()
    start_bias: float = 0.0  # tagging only, as ModelConfig's

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {self.pooling!r}: expected one of {', '.join(POOLINGS)}")
        if self.casing_dim <= 0:
            raise ValueError(f"casing_dim must be positive, got {self.casing_dim}")
        if not 0 <= self.dropout < 1:
            raise ValueError("dropout must be in [0, 1)")
        if self.recall_margin < 0:
            raise ValueError(f"recall_margin must be non-negative, got {self.recall_margin}")
        self.margin_types = tuple(self.margin_types)
        self.type_margins = tuple((str(t), float(m)) for t, m in self.type_margins)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FineTuneBatch:
    inputs: dict[str, Tensor]  # the tokenizer's tensors, one row per window (R, S)
    src: Tensor  # (N,) positions in the flattened sub-word states (R*S) that make up words ...
    dst: Tensor  # (N,) ... the flattened word positions (B*T) they go to ...
    weight: Tensor  # (N,) ... with these weights (1: first sub-word; 1/count: mean)
    casing: Tensor  # (B, T) casing ids
    mask: Tensor  # (B, T) bool
    tags: Tensor | None = None  # (B, T) tag ids

    def to(self, device: torch.device) -> "FineTuneBatch":
        moved = {k: None if v is None else v.to(device) for k, v in vars(self).items() if k != "inputs"}
        return FineTuneBatch({k: v.to(device) for k, v in self.inputs.items()}, **moved)


class FineTuneTagger(CRFModel):
    """A transformer fine-tuned under a CRF; ``bundle``: the ``encoder/`` folder of a checkpoint to rebuild it from."""

    bundled = True  # load_checkpoint passes the checkpoint's encoder/ folder

    def __init__(self, config: FineTuneConfig, vocab: Vocab, bundle: Path | None = None) -> None:
        super().__init__()
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        config.check_types(TagSet.from_labels(vocab.labels).types)
        info = encoder_info.__wrapped__(str(bundle)) if bundle is not None else encoder_info(config.encoder)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(info.path, local_files_only=True)
            if bundle is None:
                self.encoder = AutoModel.from_pretrained(info.path, local_files_only=True, dtype=torch.float32)  # trained in float32
                config = replace(config, encoder_fingerprint=info.fingerprint)
            else:  # the weights come with the checkpoint's state
                self.encoder = AutoModel.from_config(AutoConfig.from_pretrained(info.path, local_files_only=True))
        except load_failures() as err:
            raise EncoderError(f"the encoder at {info.path} could not be loaded: {err}") from None
        if not self.tokenizer.is_fast:
            raise EncoderError(f"the encoder at {info.path} has no fast tokenizer: its sub-words cannot be mapped back to words")
        self.config, self.vocab, self.info = config, vocab, info
        self.casing_emb = nn.Embedding(len(CASINGS), config.casing_dim, padding_idx=0)
        self.emit = nn.Linear(info.dim + config.casing_dim, len(vocab.labels))
        self.crf = CRF(len(vocab.labels), *iob2_constraints(vocab.labels))

    @staticmethod
    def vocab_for(labels: Sequence[str]) -> Vocab:
        """The vocabulary of a new model: the labels only (words are the tokenizer's; casing is computed)."""
        return Vocab([PAD, UNK], [PAD, UNK], list(labels))

    def save_bundle(self, folder: Path) -> None:
        """Write the encoder's config and tokenizer to ``folder`` (the weights go with the model's state)."""
        self.encoder.config.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)

    def param_groups(self, lr: float, encoder_lr: float) -> list[dict]:
        """The encoder's parameters at ``encoder_lr``, the head's (casing, emissions, CRF) at ``lr``."""
        encoder = {id(p) for p in self.encoder.parameters()}
        head = [p for p in self.parameters() if id(p) not in encoder]
        return [{"params": list(self.encoder.parameters()), "lr": encoder_lr}, {"params": head, "lr": lr}]

    def batch(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]] | None = None) -> FineTuneBatch:
        """Sub-word inputs of every window of ``words`` and the map from sub-words back to words."""
        base = self.vocab.encode(words, tags)  # casing, mask, tag ids
        length = base.mask.size(1)
        windows: list[tuple[int, int, list[str]]] = []  # (sentence, its first word, the window's words)
        for b, sentence in enumerate(words):
            start = 0
            for window in _windows(self.tokenizer, list(sentence), self.info.max_tokens):
                windows.append((b, start, window))
                start += len(window)
        enc = self.tokenizer([w for _, _, w in windows], is_split_into_words=True, padding=True, truncation=True,
                             max_length=self.info.max_tokens, return_tensors="pt")  # only a single over-long word is cut
        width = enc["input_ids"].size(1)
        src, dst, weight = [], [], []
        for r, (b, start, _) in enumerate(windows):
            ids = enc.word_ids(r)
            counts: dict[int, int] = {}
            for w in ids:
                if w is not None:
                    counts[w] = counts.get(w, 0) + 1
            seen: set[int] = set()
            for s, w in enumerate(ids):
                if w is None or (self.config.pooling == "first" and w in seen):
                    continue
                seen.add(w)
                src.append(r * width + s)
                dst.append(b * length + start + w)
                weight.append(1.0 if self.config.pooling == "first" else 1.0 / counts[w])
        batch = FineTuneBatch(dict(enc), torch.tensor(src), torch.tensor(dst), torch.tensor(weight), base.casing, base.mask,
                              base.tags)
        return batch.to(module_device(self))

    def encode(self, sentences: Sequence[Sentence]) -> FineTuneBatch:
        """A training batch: words and gold tags."""
        return self.batch([s.words for s in sentences], [s.tags for s in sentences])

    def _autocast(self) -> contextlib.AbstractContextManager:
        device = module_device(self)
        if device.type != "cuda":
            return contextlib.nullcontext()
        bf16 = torch.cuda.is_bf16_supported()
        if not bf16 and self.training:
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=torch.bfloat16 if bf16 else torch.float16)

    def emissions(self, batch: FineTuneBatch) -> Tensor:
        b, t = batch.mask.shape
        with self._autocast():
            hidden = self.encoder(**batch.inputs).last_hidden_state  # (R, S, H)
        flat = hidden.float().reshape(-1, hidden.size(-1))  # (R*S, H)
        words = flat.new_zeros(b * t, flat.size(1)).index_add_(0, batch.dst, flat[batch.src] * batch.weight[:, None])  # (B*T, H)
        x = torch.cat([words.view(b, t, -1), self.casing_emb(batch.casing)], dim=2)  # (B, T, H + casing)
        return self.emit(nn.functional.dropout(x, self.config.dropout, self.training))  # (B, T, K)

    def forward_loss(self, batch: FineTuneBatch) -> Tensor:
        """Mean negative log-likelihood per sentence (:meth:`~ner_core.models.model.CRFModel.crf_loss`)."""
        return self.crf_loss(self.emissions(batch), batch)

