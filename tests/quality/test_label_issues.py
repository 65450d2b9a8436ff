import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.data.noise import plant_noise
from ner_core.data.tags import is_valid_iob2
from ner_core.models.tagger import Tagger
from ner_core.quality.label_issues import TagAgreement, find_label_issues, issues_from_marginals

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_plant_noise_changes_about_the_rate(split):
    noisy, changed = plant_noise(split.val[:1000], rate=0.05, seed=3)
    assert len(noisy) == 1000 and changed
    assert all(is_valid_iob2(s.tags) for s in noisy)
    assert all(noisy[i].tags[t] != split.val[i].tags[t] for i, t in changed)
    untouched = {i for i, _ in changed}
    assert all(noisy[i] == split.val[i] for i in range(1000) if i not in untouched)


def test_planted_errors_rank_high(tiny_model, split):
    result, _ = tiny_model
    noisy, changed = plant_noise(split.val[:400], rate=0.2, seed=1)
    issues = find_label_issues(Tagger(result.model), noisy)
    base_rate = len(changed) / sum(len(s) for s in noisy)
    top = issues[:50]
    precision = sum((i.sentence, i.token) in changed for i in top) / len(top)
    assert precision > 5 * base_rate
    assert [i.score for i in issues] == sorted((i.score for i in issues), reverse=True)


def test_label_issues_cli_json(tiny_model, split, tmp_path):
    _, ckpt = tiny_model
    noisy, _ = plant_noise(split.val[:200], rate=0.2, seed=2)
    data = tmp_path / "noisy.conll"
    write_corpus(noisy, data)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "ner_core", "label-issues", "--data", str(data), "--checkpoint", str(ckpt), "--json", "--top", "10"],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    issues = json.loads(out.stdout)  # --json: stdout holds only the JSON
    assert 0 < len(issues) <= 10
    assert set(issues[0]) == {"sentence", "token", "word", "given", "suggested", "score", "fold"}
    assert issues[0]["fold"] is None and noisy[issues[0]["sentence"]].words[issues[0]["token"]] == issues[0]["word"]
    first = issues[0]
    assert noisy[first["sentence"]].tags[first["token"]] == first["given"] != first["suggested"]


def test_a_one_off_tag_outranks_one_the_corpus_agrees_with():
    """Cross-validated, at the same model probability, "Iraq" left O among twenty B-geo ranks above a
    word seen once; a model trained elsewhere ranks them by its probability alone."""
    labels = ["O", "B-geo"]
    sentences = [Sentence(("Iraq", "is", "far"), ("B-geo", "O", "O")) for _ in range(20)]
    sentences += [Sentence(("Iraq", "again"), ("O", "O")), Sentence(("Zork", "again"), ("B-geo", "O"))]
    sure = [0.97, 0.03]
    marginals = [np.array([[0.03, 0.97], sure, sure]) for _ in range(20)]
    marginals += [np.array([[0.01, 0.99], sure]), np.array([[0.99, 0.01], sure])]  # P(given) = 0.01 for both
    issues = issues_from_marginals(sentences, marginals, labels, folds=[k % 2 for k in range(len(sentences))])
    ranked = [(i.sentence, i.token) for i in issues]
    assert ranked[:2] == [(20, 0), (21, 0)]
    assert issues[0].score > issues[1].score >= 0.99 - 1e-9
    alone = issues_from_marginals(sentences, marginals, labels)
    assert {(i.sentence, i.token) for i in alone[:2]} == {(20, 0), (21, 0)}
    assert alone[0].score == pytest.approx(alone[1].score) == pytest.approx(0.99)
    agreement = TagAgreement(sentences)
    assert agreement.probability("Iraq", "O", 0.01) == pytest.approx(0.01 / 21)
    assert agreement.probability("Zork", "B-geo", 0.01) == pytest.approx(0.01)


def test_a_rare_tag_raises_no_warning_with_cleanlabs_class_numbers():
    """cleanlab warns "May not flag all label issues in class: 16" for a rare tag: a number no user knows."""
    import warnings

    labels = ["O", "B-geo", "B-art"]
    sentences = [Sentence(("Paris", "is", "far"), ("B-geo", "O", "O")) for _ in range(20)] + [Sentence(("Mona",), ("B-art",))]
    marginals = [np.array([[0.05, 0.9, 0.05], [0.9, 0.05, 0.05], [0.9, 0.05, 0.05]]) for _ in range(20)]
    marginals.append(np.array([[0.8, 0.1, 0.1]]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        issues_from_marginals(sentences, marginals, labels)
    assert not [w for w in caught if "May not flag all label issues" in str(w.message)]
