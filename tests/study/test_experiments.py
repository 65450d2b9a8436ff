"""A tiny end-to-end run of the method: retrain everything on a small subset, build the
pipelines, regenerate the tables, and evaluate the voted pipeline from the CLI."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ner_core.data.tags import is_valid_iob2
from ner_core.models.pipeline import VotedPipeline

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_tables_are_written(small_run):
    base, small, summary = small_run
    table4 = (base / "reports" / "table4.md").read_text()
    for system in ("Single", "Double", "Our method"):
        assert f"Bi-LSTM-CRF {system} |" in table4
    assert len(summary["table2"]) == 12  # 3 architectures x 2 losses x 2 training sets
    assert (base / "reports" / "table2.md").read_text().count("| rnn_cnn |") == 4
    assert "weak (strong types masked)" in (base / "reports" / "table3.md").read_text()
    assert set(json.loads((base / "reports" / "experiments.json").read_text())) >= {"table2", "table3", "table4", "training_seconds"}


def test_pipeline_record_has_every_field(small_run):
    base, small, _ = small_run
    pipeline = VotedPipeline.load(base / "ckpt" / "voted")
    assert pipeline.detector is not None and 0 < pipeline.threshold < 1
    results = pipeline.run([s.words for s in small.test[:30]])
    for sentence, result in zip(small.test[:30], results):
        assert len(result.tokens) == len(sentence.words) and 0 <= result.detector_prob <= 1
        assert is_valid_iob2(result.tags)
        for token in result.tokens:
            assert 0 <= token.strong_prob <= 1 and 0 <= token.weak_prob <= 1 and token.rule
            assert token.prob in (token.strong_prob, token.weak_prob)
    double = VotedPipeline.load(base / "ckpt" / "double")
    assert double.detector is None and all(r.voted for r in double.run([s.words for s in small.test[:5]]))


def test_evaluate_cli_on_the_voted_pipeline(small_run, small_corpus):
    from ner_core.data.corpus import read_corpus, split_corpus

    base, _, _ = small_run
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NER_CHECKPOINTS": str(base / "ckpt"), "NER_CORPUS": str(small_corpus)}
    out = subprocess.run(
        [sys.executable, "-m", "ner_core", "evaluate", "--model", "voted", "--split", "val", "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["sentences"] == len(split_corpus(read_corpus(small_corpus)).val)
    assert {"micro_f1", "macro_f1", "per_type"} <= set(report)


def test_a_detector_loads_to_the_same_probabilities_every_time(small_run):
    """Frozen GloVe rows are not saved; whatever a load rebuilds must be what was trained."""
    from ner_core.models.checkpoint import load_checkpoint
    from ner_core.models.detector import detector_proba

    base, small, _ = small_run
    words = [s.words for s in small.test] + [("Qzxvw", "visited", "Blorptown", ".")]
    first, _ = load_checkpoint(base / "ckpt" / "detector")
    torch.manual_seed(1)  # a different random state while the second copy is built
    second, _ = load_checkpoint(base / "ckpt" / "detector")
    assert detector_proba(first, words) == detector_proba(second, words)
