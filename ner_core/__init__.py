"""NER workbench core: corpus I/O, taggers and the voted pipeline, training, evaluation, corrections, users.

The names below are the public API: enough for a script to drive the workbench (open a dataset and
read or save a sentence with its version, fill and decide the review queue, import a corpus, grow its
pool of new sentences, list
and activate registry entries, start and follow a job) without importing internal modules. They
are imported on first use (PEP 562), so that a job process or a CLI command that needs no model
does not pay for importing torch.
"""
from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "models.checkpoint": ["load_checkpoint", "save_checkpoint"],
    "models.checkpoint_dirs": ["CheckpointError"],
    "data.corpus": ["SPLITS", "CorpusError", "Sentence", "Split", "default_corpus_path", "load_corpus", "read_corpus", "split_corpus",
                    "split_indices", "load_unlabelled", "write_corpus"],
    "models.crf": ["CRF"],
    "training.cross_val": ["CrossValConfig", "cross_validate"],
    "evaluation.evaluate": ["evaluate"],
    "quality.label_issues": ["LabelIssue", "find_label_issues"],
    "training.method": ["MethodSettings", "train_method"],
    "evaluation.metrics": ["entity_scores"],
    "models.model": ["CRFTagger", "ModelConfig"],
    "models.pipeline": ["TokenVote", "VotedPipeline", "VotedSentence", "load_any"],
    "storage.db": ["make_engine"],
    "storage.datasets": ["DEFAULT_DATASET", "dataset_paths", "import_dataset", "open_dataset"],
    "storage.pool": ["Pool", "PoolDecided", "PoolError", "PoolItem"],
    "quality.mining": ["mine"],
    "quality.pool_ranking": ["rank_pool"],
    "workbench.pool_rank": ["PoolRankSpec"],
    "storage.store": ["CorrectionError", "CorrectionStore", "SaveResult", "SentenceState", "StaleSaveError"],
    "quality.review_queue": ["ACCEPTED", "EDITED", "KEPT", "Candidate", "QueueItem", "ReviewQueue", "fill_queue"],
    "quality.issue_scores": ["CrossValJobSpec", "stored_issues"],
    "workbench.registry": ["activate", "active_id", "load_index", "register", "roll_back"],
    "workbench.jobs": ["JobError", "job_status", "latest_job", "start_job"],
    "workbench.retrain": ["RetrainSpec", "TrainMethodSpec", "start_training"],
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
