"""The whole method on a corpus with another tag set (drug, dose and a rare route): every model
trained through the real functions and the CLI, evaluated, and its label issues listed."""
import json
import random
from pathlib import Path

import pytest
import torch

from ner_core.data.corpus import Sentence, Split, write_corpus
from ner_core.data.tags import TagSet
from ner_core.models.pipeline import VotedPipeline, load_any
from ner_core.training.method import MethodSettings, train_method

from in_process import run_cli

ROOT = Path(__file__).resolve().parents[2]
TYPES = ("dose", "drug", "route")
pytestmark = pytest.mark.slow


def make_sentences(n: int, routes: int, seed: int) -> list[Sentence]:
    """``n`` drug sentences, ``routes`` of them with a route (the weak type: ~1% of the mentions)."""
    rng = random.Random(seed)
    drugs = ["aspirin", "ibuprofen", "metformin", "warfarin", "insulin", "heparin", "paracetamol", "lisinopril"]
    out = []
    for i in range(n):
        drug, dose = rng.choice(drugs), [str(rng.choice([5, 10, 20, 50, 100])), rng.choice(["mg", "ml"])]
        route = [rng.choice(["orally", "intravenously", "subcutaneously"])] if i < routes else []
        kind = rng.randrange(3)
        if kind == 0:
            words = ["the", "patient", "received", *dose, "of", drug, *route, "."]
            tags = ["O", "O", "O", "B-dose", "I-dose", "O", "B-drug", *["B-route"] * len(route), "O"]
        elif kind == 1:
            words = ["give", drug, *dose, *route, "daily", "."]
            tags = ["O", "B-drug", "B-dose", "I-dose", *["B-route"] * len(route), "O", "O"]
        else:
            words = ["she", "stopped", drug, *route, "after", *dose, "."]
            tags = ["O", "O", "B-drug", *["B-route"] * len(route), "O", "B-dose", "I-dose", "O"]
        out.append(Sentence(tuple(words), tuple(tags)))
    return out


SETTINGS = MethodSettings(epochs=2, weak_epochs=2, detector_epochs=1, threads=1, progress=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("drugs")
    parts = {"train": make_sentences(150, 3, 1), "dev": make_sentences(30, 3, 2), "test": make_sentences(30, 3, 3),
             "common": make_sentences(60, 0, 4)}
    for name, sentences in parts.items():
        write_corpus(sentences, root / f"{name}.conll")
    return {name: root / f"{name}.conll" for name in parts}


@pytest.fixture(scope="module")
def method(files, tmp_path_factory):
    """The method trained in-process on the train file (dev for early stopping), with its progress events."""
    from ner_core.data.corpus import load_split

    split = load_split(files["train"], files["dev"])
    tagset = TagSet.from_sentences(split.train)
    events: list[dict] = []
    out = tmp_path_factory.mktemp("ckpt") / "drugs"
    summary = train_method(split, tagset, out, SETTINGS, events.append)
    return out, tagset, summary, events, split


def test_the_rare_type_is_weak(method):
    _, tagset, summary, _, _ = method
    assert tagset.types == TYPES and tagset.weak == {"route"} and tagset.strong == ("dose", "drug")
    assert summary["pipeline"] and summary["tagset"] == {"types": list(TYPES), "weak": ["route"]}
    assert 0.05 <= summary["threshold"] <= 0.95 and 0 <= summary["dev_macro_f1"] <= 1


def test_every_member_is_saved_with_the_types(method):
    out, tagset, _, _, _ = method
    assert sorted(p.name for p in out.iterdir()) == ["detector", "pipeline.json", "strong", "weak"]
    for member, masked in (("strong", ["route"]), ("weak", ["dose", "drug"])):
        config = json.loads((out / member / "config.json").read_text())
        assert list(config["id2label"].values()) == list(tagset.labels) == [
            "O", "B-dose", "I-dose", "B-drug", "I-drug", "B-route", "I-route"]
        assert config["meta"]["train"]["mask_types"] == masked
    detector = json.loads((out / "detector" / "config.json").read_text())
    assert detector["model"]["weak_types"] == ["route"] and detector["model"]["arch"] == "lstm_attn"
    pipeline = load_any(out)
    assert isinstance(pipeline, VotedPipeline) and pipeline.tagset == tagset and pipeline.detector is not None
    assert not list(out.parent.glob("drugs.tmp-*"))  # built aside, swapped in


def test_progress_events_cover_every_stage(method):
    _, _, _, events, _ = method
    assert all({"stage", "done", "total", "eta_seconds"} <= set(e) for e in events)
    stages = [e["stage"] for e in events]
    assert stages == sorted(stages, key=["strong", "weak", "detector", "threshold"].index)
    assert set(stages) == {"strong", "weak", "detector", "threshold"}
    strong = [e for e in events if e["stage"] == "strong" and "batch" not in e]  # per epoch (batch events come between)
    assert [e["done"] for e in strong] == [0, 1, 2] and strong[0]["eta_seconds"] is None
    assert all(e["eta_seconds"] >= 0 for e in events[1:]) and events[-1]["eta_seconds"] == 0
    assert events[-1]["done"] == events[-1]["total"]


def test_pipeline_marginals_are_distributions_that_follow_the_vote(method):
    out, _, _, _, split = method
    pipeline = load_any(out).with_threshold(0.0)  # vote everywhere
    words = [s.words for s in split.val[:10]]
    for marginals, strong, weak in zip(pipeline.marginals(words), pipeline.strong.marginals(words), pipeline.weak.marginals(words)):
        torch.testing.assert_close(marginals.sum(1), torch.ones(len(marginals)), atol=1e-5, rtol=0)
        o = pipeline.labels.index("O")
        torch.testing.assert_close(marginals[:, o], strong[:, o] * weak[:, o])
    skip = load_any(out).with_threshold(1.0)  # the detector never says yes above 1: strong only
    for marginals, strong in zip(skip.marginals(words[:3]), skip.strong.marginals(words[:3])):
        assert torch.equal(marginals, strong)


def test_evaluate_and_label_issues_cli_on_the_pipeline(method, files):
    out, tagset, _, _, _ = method
    done = run_cli("evaluate", "--data", str(files["test"]), "--checkpoint", str(out), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(report["per_type"]) == set(TYPES) and report["sentences"] == 30
    assert report["per_type"]["route"]["support"] == 3
    issues = run_cli("label-issues", "--data", str(files["test"]), "--model", out.name, "--json", checkpoints=out.parent)
    assert issues.returncode == 0, issues.stderr
    listed = json.loads(issues.stdout.strip().splitlines()[-1])
    assert isinstance(listed, list)
    assert all(i["given"] in tagset.labels and i["suggested"] in tagset.labels for i in listed)
    tagged = run_cli("predict", "--checkpoint", str(out), "--text", "Give aspirin 20 mg orally daily.", "--json")
    assert tagged.returncode == 0, tagged.stderr
    rows = json.loads(tagged.stdout.strip().splitlines()[-1])[0]
    assert [r["token"] for r in rows] == ["Give", "aspirin", "20", "mg", "orally", "daily", "."]
    assert all(r["tag"] in tagset.labels and 0 <= r["prob"] <= 1 for r in rows)


def test_train_cli_trains_the_single_model_on_the_files_tag_set(files, tmp_path):
    done = run_cli("train", "--data", str(files["train"]), "--dev", str(files["dev"]), "--name", "single",
                   "--epochs", "2", "--threads", "1", "--recipe", "glove", checkpoints=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "weak: route" in done.stderr
    config = json.loads((tmp_path / "single" / "config.json").read_text())
    assert list(config["id2label"].values()) == list(TagSet(TYPES).labels)
    assert config["meta"]["train"]["sentences"] == 150  # all of the train file; dev only stops
    assert config["meta"]["recipe"]["chosen"] == "glove" and [c["recipe"] for c in config["meta"]["recipe"]["candidates"]] == ["glove"]
    scored = run_cli("evaluate", "--data", str(files["test"]), "--model", "single", "--json", checkpoints=tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert set(json.loads(scored.stdout.strip().splitlines()[-1])["per_type"]) <= set(TYPES)


def test_train_method_without_a_weak_type_trains_the_single_model_only(files, tmp_path):
    done = run_cli("train-method", "--data", str(files["common"]), "--out", str(tmp_path / "plain"),
                   "--epochs", "1", "--threads", "1", "--recipe", "glove", "--batch-size", "8")
    assert done.returncode == 0, done.stderr
    assert "no weak type: training the single model only" in done.stderr
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == ["config.json", "model.safetensors", "vocab.json"]
    assert json.loads((tmp_path / "plain" / "config.json").read_text())["meta"]["train"]["batch_size"] == 8
    assert json.loads(done.stdout)["pipeline"] is False  # stdout: the summary's JSON line alone (helper-100)
    assert "single model in " in done.stderr


def test_train_cli_refuses_unknown_types_and_a_missing_name(files, tmp_path):
    unknown = run_cli("train-method", "--data", str(files["train"]), "--out", str(tmp_path / "x"), "--weak-types", "geo")
    assert unknown.returncode == 1 and "unknown weak type(s): geo; the types are dose, drug, route" in unknown.stderr
    nameless = run_cli("train", "--data", str(files["train"]))
    assert nameless.returncode == 2 and "give --name NAME" in nameless.stderr  # a flag it needs: a usage error
    assert not (tmp_path / "x").exists()


def test_method_needs_dev_sentences_with_a_weak_entity(tmp_path):
    split = Split(make_sentences(10, 1, 5), [], make_sentences(2, 0, 7))
    with pytest.raises(ValueError, match=r"^the val split of the data is empty \(12 sentences: 10 train, 0 val, 2 test\): "
                                         "training needs train and val sentences; give a larger file, or a dev file$"):
        train_method(split, TagSet.from_sentences(split.train), tmp_path / "m", SETTINGS)
    split = Split(make_sentences(100, 1, 5), make_sentences(10, 0, 6), [])
    with pytest.raises(ValueError, match=r"the val split of the data holds no entity of the weak types \(route\)"):
        train_method(split, TagSet.from_sentences(split.train), tmp_path / "m", SETTINGS)
    named = Split(make_sentences(100, 1, 5), make_sentences(10, 0, 6), [], val_name="dev file d.conll")  # --dev d.conll
    with pytest.raises(ValueError, match=r"^the dev file d.conll holds no entity of the weak types \(route\)"):
        train_method(named, TagSet.from_sentences(named.train), tmp_path / "m", SETTINGS)
    split = Split(make_sentences(100, 1, 5), make_sentences(3, 3, 6), [])  # no sentence to tell a weak one from
    with pytest.raises(ValueError, match=r"the val split of the data holds in each of its 3 sentences an entity of the weak "
                                         r"types \(route\): nothing to select the detector"):
        train_method(split, TagSet.from_sentences(split.train), tmp_path / "m", SETTINGS)
    assert not (tmp_path / "m").exists()


def test_train_method_cli_refuses_a_file_too_small_to_split(tmp_path):
    small = tmp_path / "small.conll"
    write_corpus(make_sentences(5, 1, 8), small)
    refused = run_cli("train-method", "--data", str(small), "--out", str(tmp_path / "m"))
    assert refused.returncode == 1
    assert ("the val split of the data is empty (5 sentences: 4 train, 0 val, 1 test): training needs train and val "
            "sentences; give a larger file, or a dev file") in refused.stderr
    assert not (tmp_path / "m").exists()


def test_train_method_cli_warns_of_a_weak_tagger_that_found_nothing(files, tmp_path):
    """route is tagged in the dev file only (so not weak unless named: nothing to train apart, helper-90): named weak,
    the weak tagger cannot learn it, and the command says so."""
    done = run_cli("train-method", "--data", str(files["common"]), "--dev", str(files["dev"]), "--out", str(tmp_path / "m"),
                   "--epochs", "1", "--weak-epochs", "2", "--detector-epochs", "1", "--threads", "1", "--recipe", "glove",
                   "--weak-types", "route")
    assert done.returncode == 0, done.stderr
    line = (f"the weak tagger found none of the dev file {files['dev'].name}'s 3 route entities: more annotated route sentences are needed "
            "(New text mines for them)")
    assert f"warning: {line}" in done.stderr
    assert line in json.loads(done.stdout.strip().splitlines()[-1])["warnings"]
