"""Checkpoints: a directory with ``config.json``, ``vocab.json`` and ``model.safetensors`` (a fine-tuned
encoder's tagger also ``encoder/``: the encoder's config and tokenizer, see :mod:`.finetune`).

Written to a temporary sibling directory and swapped in by renames, so a crash while saving
never leaves a half-written checkpoint where a good one was.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from torch.optim.swa_utils import AveragedModel

from .checkpoint_dirs import CheckpointError, building, not_one_model, resolve
from .detector import DetectorConfig, WeakSentenceDetector
from .encoder import EncoderError
from .features import Vocab
from .finetune import BUNDLE_DIR, FineTuneConfig, FineTuneTagger
from .model import CRFTagger, ModelConfig

FORMAT_VERSION = 1
MODEL_TYPES: dict[str, tuple[type[nn.Module], type]] = {
    "crf_tagger": (CRFTagger, ModelConfig),
    "detector": (WeakSentenceDetector, DetectorConfig),
    "finetune_tagger": (FineTuneTagger, FineTuneConfig),
}


def save_checkpoint(model: nn.Module, directory: str | os.PathLike, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (its config, vocabularies, label list and weights) and ``meta`` atomically."""
    model_type = next(name for name, (cls, _) in MODEL_TYPES.items() if isinstance(model, cls))
    labels = model.vocab.labels
    config = {
        "format_version": FORMAT_VERSION,
        "model_type": model_type,
        "model": model.config.to_dict(),
        "id2label": {str(i): t for i, t in enumerate(labels)},
        "label2id": {t: i for i, t in enumerate(labels)},
        "meta": meta or {},
    }
    frozen = set(getattr(model, "frozen_keys", list)())
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if k not in frozen}
    with building(directory) as tmp:
        save_file(state, str(tmp / "model.safetensors"))
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        (tmp / "vocab.json").write_text(json.dumps({"words": model.vocab.words, "chars": model.vocab.chars, "cased": model.vocab.cased}))
        if getattr(model, "bundled", False):
            model.save_bundle(tmp / BUNDLE_DIR)
    return Path(directory)


def load_checkpoint(directory: str | os.PathLike) -> tuple[nn.Module, dict[str, Any]]:
    """The model (a tagger or a detector) in eval mode, and the checkpoint's ``meta``."""
    directory = resolve(directory)
    if not (directory / "config.json").is_file():
        raise not_one_model(directory)
    try:
        config = json.loads((directory / "config.json").read_text())
        vocab_data = json.loads((directory / "vocab.json").read_text())
        state = load_file(str(directory / "model.safetensors"))
    except (OSError, ValueError, SafetensorError) as err:
        raise CheckpointError(f"{directory}: unreadable checkpoint ({err})") from None
    if config.get("model_type") not in MODEL_TYPES:
        raise CheckpointError(f"{directory}: unknown model type {config.get('model_type')!r}")
    model_cls, config_cls = MODEL_TYPES[config["model_type"]]
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    vocab = Vocab(vocab_data["words"], vocab_data["chars"], labels, vocab_data.get("cased", []))
    try:
        bundle = {"bundle": directory / BUNDLE_DIR} if getattr(model_cls, "bundled", False) else {}
        model = model_cls(config_cls(**config["model"]), vocab, **bundle)
    except EncoderError as err:  # the encoder it was trained beside is missing here, or another one
        raise CheckpointError(f"{directory}: {err}") from None
    if hasattr(model, "restore_frozen"):
        model.restore_frozen()
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - set(getattr(model, "frozen_keys", list)()):
        raise CheckpointError(f"{directory}: weights do not match the model (missing {missing}, unexpected {unexpected})")
    model.eval()
    return model, config.get("meta", {})


def average_checkpoints(sources: list[str | os.PathLike], directory: str | os.PathLike) -> Path:
    """Save the weight average of ``sources`` (a "model soup"): taggers of one architecture and
    vocabulary, e.g. warm restarts of one run with different seeds."""
    if len(sources) < 2:
        raise CheckpointError("averaging needs at least two checkpoints")
    loaded = [load_checkpoint(s) for s in sources]
    first = loaded[0][0]
    for source, (model, _) in zip(sources[1:], loaded[1:]):
        if model.config != first.config or model.vocab.to_dict() != first.vocab.to_dict():
            raise CheckpointError(f"{source}: not the same architecture and vocabulary as {sources[0]}")
    average = AveragedModel(first)
    for model, _ in loaded:
        average.update_parameters(model)
    meta = {"train": loaded[0][1].get("train", {}), "averaged_from": [str(s) for s in sources],
            **{k: loaded[0][1][k] for k in ("token_style",) if k in loaded[0][1]}}
    return save_checkpoint(average.module, directory, meta)
