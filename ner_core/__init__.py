"""NER workbench core: corpus I/O, taggers and the voted pipeline, training, evaluation, corrections, users.

The names below are imported on first use (PEP 562), so that a job process or a CLI command that
needs no model does not pay for importing torch.
"""
from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "models.checkpoint": ["load_checkpoint", "save_checkpoint"],
    "models.checkpoint_dirs": ["CheckpointError"],
    "data.corpus": ["CorpusError", "Sentence", "Split", "default_corpus_path", "read_corpus", "split_corpus", "write_corpus"],
    "models.crf": ["CRF"],
    "training.cross_val": ["CrossValConfig", "cross_validate"],
    "evaluation.evaluate": ["evaluate"],
    "quality.issue_scores": ["stored_issues"],
    "quality.label_issues": ["LabelIssue", "find_label_issues"],
    "training.method": ["MethodSettings", "train_method"],
    "evaluation.metrics": ["entity_scores"],
    "models.model": ["CRFTagger", "ModelConfig"],
    "models.pipeline": ["TokenVote", "VotedPipeline", "VotedSentence", "load_any"],
    "storage.store": ["CorrectionStore", "make_engine"],
    "models.tagger": ["TaggedSentence", "Tagger"],
    "data.tags": ["Span", "TagSet", "mask_types", "repair_iob2", "spans"],
    "training.train": ["TrainConfig", "train"],
    "storage.users": ["RoleError", "SignInError", "User", "add_user", "require", "sign_in", "user_for_token"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> Any:
    if name not in _HOME_OF:
        raise AttributeError(f"module 'ner_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME_OF[name]}", __name__), name)
    globals()[name] = value
    return value
