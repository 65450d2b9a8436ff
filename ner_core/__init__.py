"""NER workbench core: corpus I/O, taggers and the voted pipeline, training, evaluation, corrections, users.

The names below are imported on first use (PEP 562), so that a job process or a CLI command that
needs no model does not pay for importing torch.
"""
from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "checkpoint": ["load_checkpoint", "save_checkpoint"],
    "checkpoint_dirs": ["CheckpointError"],
    "corpus": ["CorpusError", "Sentence", "Split", "default_corpus_path", "read_corpus", "split_corpus", "write_corpus"],
    "crf": ["CRF"],
    "cross_val": ["CrossValConfig", "cross_validate"],
    "evaluate": ["evaluate"],
    "issue_scores": ["stored_issues"],
    "label_issues": ["LabelIssue", "find_label_issues"],
    "method": ["MethodSettings", "train_method"],
    "metrics": ["entity_scores"],
    "model": ["CRFTagger", "ModelConfig"],
    "pipeline": ["TokenVote", "VotedPipeline", "VotedSentence", "load_any"],
    "store": ["CorrectionStore", "make_engine"],
    "tagger": ["TaggedSentence", "Tagger"],
    "tags": ["Span", "TagSet", "mask_types", "repair_iob2", "spans"],
    "train": ["TrainConfig", "train"],
    "users": ["RoleError", "SignInError", "User", "add_user", "require", "sign_in", "user_for_token"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> Any:
    if name not in _HOME_OF:
        raise AttributeError(f"module 'ner_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME_OF[name]}", __name__), name)
    globals()[name] = value
    return value
