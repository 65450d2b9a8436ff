"""Choosing a recipe: ``auto`` trains the candidates that fit the budget, skips the others and records
it all in the checkpoint's config.json; train-method chooses once for the strong tagger; cross-validation
chooses on its first fold; the CLI's ``--recipe``."""
import json
import os
from dataclasses import replace

import pytest

from ner_core.cli import main
from ner_core.data.corpus import Sentence, Split, write_corpus
from ner_core.data.tags import TagSet
from ner_core.models.checkpoint import load_checkpoint
from ner_core.models.device import DeviceError
from ner_core.models.encoder import WordEncoder
from ner_core.models.finetune import FineTuneConfig, FineTuneTagger
from ner_core.models.model import CRFTagger, ModelConfig
from ner_core.models.pipeline import load_any
from ner_core.training import recipes
from ner_core.training.method import MethodSettings, train_method
from ner_core.training.cross_val import CrossValConfig, cross_validate
from ner_core.training.recipes import RecipeChoice, estimate_epoch_seconds, train_recipe
from ner_core.training.train import TrainConfig, build_model
from ner_core.workbench.registry import recipe_line
from ner_core.workbench.retrain import progress_line

from encoders import build_tiny_bert, forget_encoders

pytestmark = pytest.mark.slow
SENTENCES = [
    Sentence(("Angela", "Merkel", "visited", "Paris", "."), ("B-per", "I-per", "O", "B-geo", "O")),
    Sentence(("Berlin", "is", "big", "."), ("B-geo", "O", "O", "O")),
    Sentence(("the", "city", "Paris", "is", "big"), ("O", "O", "B-geo", "O", "O")),
    Sentence(("Merkel", "visited", "the", "city", "."), ("B-per", "O", "O", "O", "O")),
] * 8
FAST = TrainConfig(epochs=2, patience=2, batch_size=8, threads=1)


@pytest.fixture
def tiny_bert(tmp_path, monkeypatch):
    monkeypatch.setenv("NER_CACHE", str(tmp_path / "cache"))
    yield build_tiny_bert(tmp_path / "tiny-bert-cased")
    forget_encoders()


def test_auto_skips_what_does_not_fit_the_budget_and_records_it(tiny_bert, tmp_path, monkeypatch):
    def estimate(model, data, dev, config):  # seconds of a first and a later epoch: fine-tuning never fits a minute
        return (600.0, 600.0) if isinstance(model.config, FineTuneConfig) else (1.0, 1.0)

    monkeypatch.setattr(recipes, "estimate_epoch_seconds", estimate)
    out = tmp_path / "auto"
    chosen = train_recipe(SENTENCES, SENTENCES[:8], FAST, RecipeChoice("auto", 1.0, str(tiny_bert)), out_dir=out, progress=False)
    record = json.loads((out / "config.json").read_text())["meta"]["recipe"]
    assert record == chosen.record and record["requested"] == "auto" and record["budget_minutes"] == 1.0
    glove, fused, finetune = record["candidates"]
    assert (glove["recipe"], fused["recipe"], finetune["recipe"]) == ("glove", "fused", "finetune")
    assert "needs about 20.0 min for 2 epochs" in finetune["skipped"] and "dev_micro_f1" not in finetune
    assert all(0 <= c["dev_micro_f1"] <= 1 and c["minutes"] >= 0 and c["epochs"] == 2 for c in (glove, fused))
    best = max((glove, fused), key=lambda c: c["dev_micro_f1"])
    assert record["chosen"] == best["recipe"] == chosen.chosen
    assert isinstance(load_any(out).model, CRFTagger)
    with pytest.raises(ValueError, match=r"no recipe fits the budget of 1 min: finetune needs about 20.0 min for 2 epochs;"
                                         r".* Give a larger budget, or train on the first N training sentences only"):
        train_recipe(SENTENCES, SENTENCES[:8], FAST, RecipeChoice("finetune", 1.0, str(tiny_bert)), progress=False)
    with pytest.raises(ValueError, match=r"finetune needs about 10.0 min for 1 epoch;"):  # helper-97: one asked, two timed
        train_recipe(SENTENCES, SENTENCES[:8], replace(FAST, epochs=1), RecipeChoice("finetune", 1.0, str(tiny_bert)), progress=False)
    one = train_recipe(SENTENCES, SENTENCES[:8], replace(FAST, epochs=1), RecipeChoice("glove", 1.5 / 60), progress=False)
    assert [c["epochs"] for c in one.record["candidates"]] == [1]  # one epoch of a second fits 1.5 s; two would not


def test_a_candidate_that_fits_is_trained_when_a_dearer_one_after_it_cannot_fit(tiny_bert, tmp_path, monkeypatch):
    seconds = {"glove": 3.0, "fused": 48.0, "finetune": 90.0}  # an epoch each: 2 fit 0.1, 1.6 and 3.0 min (helper-56's file)

    def estimate(model, data, dev, config):
        name = "finetune" if isinstance(model.config, FineTuneConfig) else "fused" if model.config.encoder else "glove"
        return seconds[name], seconds[name]

    monkeypatch.setattr(recipes, "estimate_epoch_seconds", estimate)
    events = []
    chosen = train_recipe(SENTENCES, SENTENCES[:8], FAST, RecipeChoice("auto", 3.0, str(tiny_bert)), progress=False,
                          on_candidate=lambda name, epochs, left: events.append((name, epochs, left is not None)))
    glove, fused, finetune = chosen.record["candidates"]
    assert "dev_micro_f1" in fused  # an equal share of 3 min (1.5) would have skipped it, for a finetune that cannot fit
    assert finetune["skipped"].startswith("needs about 3.0 min for 2 epochs") and "dev_micro_f1" not in finetune
    assert events == [("glove", 2, True), ("fused", 2, False)]  # each one's cap, which a job's progress shows; fused comes after glove


def test_fused_takes_the_mean_of_the_encoders_layers_and_loads_with_it(tiny_bert, tmp_path):
    out = tmp_path / "fused"
    train_recipe(SENTENCES, SENTENCES[:8], FAST, RecipeChoice("fused", None, str(tiny_bert)), out_dir=out, progress=False)
    model = json.loads((out / "config.json").read_text())["model"]
    assert model["encoder_layers"] == "all" and model["encoder"].endswith("-mean")
    assert load_any(out).model.config.encoder_layers == "all"
    assert len(load_any(out).tag([["Merkel", "visited", "Paris"]])[0].tags) == 3


def test_the_frozen_encoder_runs_where_the_commands_device_says(tiny_bert, tmp_path, monkeypatch, capsys):
    out = tmp_path / "fused"
    train_recipe(SENTENCES, SENTENCES[:8], FAST, RecipeChoice("fused", None, str(tiny_bert)), out_dir=out, progress=False)
    forget_encoders()  # features computed afresh, where --device says
    data = tmp_path / "new.conll"
    write_corpus([Sentence(("Merkel", "saw", "Berlin", "today"), ("B-per", "O", "B-geo", "O"))], data)
    monkeypatch.setenv("NER_DEVICE", "cuda")  # the environment's device is none this machine has ...
    with pytest.raises(DeviceError, match="sees no CUDA GPU"):  # the frozen encoder would run there
        WordEncoder("mean", use_disk_cache=False, name=str(tiny_bert))([["Merkel", "saw", "Berlin"]])
    assert main(["evaluate", "--data", str(data), "--split", "all", "--checkpoint", str(out), "--device", "cpu", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["sentences"] == 1  # ... and --device cpu wins, encoder too
    assert os.environ["NER_DEVICE"] == "cuda"  # and the caller's environment is as it was


def test_a_candidates_epoch_is_timed_without_changing_it(tiny_bert):
    model = build_model(SENTENCES, TagSet.from_sentences(SENTENCES).labels, FineTuneConfig(encoder=str(tiny_bert)), 1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    first, later = estimate_epoch_seconds(model, SENTENCES, SENTENCES[:8], FAST)
    assert first > 0 and later > 0
    assert first == later  # nothing is cached in a fine-tuned model's first epoch: its one-time costs are not per token
    assert all(v.equal(before[k]) for k, v in model.state_dict().items())


def test_only_a_model_that_caches_features_has_a_slower_first_epoch(tiny_bert):
    labels = TagSet.from_sentences(SENTENCES).labels
    fused = build_model(SENTENCES, labels, ModelConfig(encoder=f"{tiny_bert}-mean", encoder_layers="all"), 1)
    assert fused.caches_features and not build_model(SENTENCES, labels, ModelConfig(), 1).caches_features


def test_train_method_chooses_once_and_the_weak_tagger_follows(tmp_path, tiny_bert):
    split = Split(SENTENCES, SENTENCES[:8], [])
    tagset = TagSet(("geo", "per"), frozenset({"per"}))
    settings = MethodSettings(epochs=1, weak_epochs=1, detector_epochs=1, threads=1, progress=False,
                              choice=RecipeChoice("finetune", encoder=str(tiny_bert)))
    events: list[dict] = []
    summary = train_method(split, tagset, tmp_path / "m", settings, events.append)
    assert summary["recipe"]["chosen"] == "finetune"
    strong = [e for e in events if e["stage"] == "strong" and "log" not in e]
    said = [e["log"] for e in events if "log" in e]  # the choice's lines, which the job's page lists
    assert len(said) == 1 and said[0].startswith("finetune: dev micro F1 ") and progress_line(events)[1] == progress_line(
        [e for e in events if "log" not in e])[1]  # not progress
    assert {k: v for k, v in strong[1].items() if k != "seconds"} == {"stage": "strong", "recipe": "finetune", "done": 0,
                                                                      "total": 1, "eta_seconds": None}  # its start
    assert "strong: timing each recipe" not in [e["stage"] for e in events]  # no budget: nothing is timed
    assert all(e["recipe"] == "finetune" for e in strong[2:]) and "recipe" not in events[-1]  # its epochs; not the later stages
    assert progress_line(strong[-1:])[1].startswith("strong (finetune recipe) · ")
    for member in ("strong", "weak"):
        assert json.loads((tmp_path / "m" / member / "config.json").read_text())["model_type"] == "finetune_tagger"
    assert len(load_any(tmp_path / "m").tag([["Merkel", "visited", "Paris"]])[0].tags) == 3


def test_cli_recipe_glove_trains_and_a_bad_recipe_is_refused(tmp_path, capsys):
    data = tmp_path / "train.conll"
    write_corpus(SENTENCES, data)
    common = ["train", "--data", str(data), "--dev", str(data), "--epochs", "1", "--threads", "1"]
    assert main([*common, "--out", str(tmp_path / "g"), "--recipe", "glove"]) == 0
    record = json.loads((tmp_path / "g" / "config.json").read_text())["meta"]["recipe"]
    assert record["chosen"] == "glove" and record["requested"] == "glove" and record["encoder"] is None  # none read (helper-90)
    with pytest.raises(SystemExit, match="2"):  # a usage error: argparse's exit status
        main([*common, "--out", str(tmp_path / "b"), "--recipe", "bert"])
    assert "error: argument --recipe: unknown recipe 'bert': expected one of auto, glove, fused, finetune" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):  # flags that do not go together: a usage error too (helper-90)
        main([*common, "--out", str(tmp_path / "b"), "--recipe", "glove", "--init-from", str(tmp_path / "g")])
    assert "leave out --init-from" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_times_are_said_in_seconds_when_short_and_never_negative():
    assert [recipes.duration(s) for s in (0.34, 3.21, 89, 90, -0.4)] == ["0.34 s", "3.2 s", "89 s", "1.5 min", "0 s"]


def test_cross_validation_chooses_the_recipe_on_its_first_fold_and_every_fold_model_follows(tiny_bert, tmp_path, monkeypatch):
    def estimate(model, data, dev, config):  # fine-tuning's 3 fold models never fit 10 minutes
        return (600.0, 600.0) if isinstance(model.config, FineTuneConfig) else (1.0, 1.0)

    monkeypatch.setattr(recipes, "estimate_epoch_seconds", estimate)
    config = CrossValConfig(folds=3, epochs=2, batch_size=8, recipe="auto", encoder=str(tiny_bert), budget_minutes=10)
    result = cross_validate(SENTENCES, config, tmp_path / "cv", progress=False)
    glove, fused, finetune = result.recipe["candidates"]
    assert (glove["recipe"], fused["recipe"], finetune["recipe"]) == ("glove", "fused", "finetune")
    assert "3 fold models need about 60.0 min" in finetune["skipped"]
    assert all(0 <= c["dev_micro_f1"] <= 1 for c in (glove, fused))
    assert result.recipe["chosen"] == max((glove, fused), key=lambda c: c["dev_micro_f1"])["recipe"]
    for k, directory in enumerate(result.model_dirs):
        model, meta = load_checkpoint(directory)
        assert meta["cross_val"]["recipe"] == result.recipe and meta["cross_val"]["fold"] == k
        assert (model.config.encoder is not None) == (result.recipe["chosen"] == "fused")
    assert all(m.shape == (len(s), len(result.labels)) for s, m in zip(SENTENCES, result.marginals))
    with pytest.raises(ValueError, match="no recipe fits the budget of 0.001 min"):
        cross_validate(SENTENCES, CrossValConfig(folds=3, epochs=2, recipe="auto", encoder=str(tiny_bert), budget_minutes=0.001),
                       tmp_path / "none", progress=False)


def test_auto_cross_validation_tries_fold_models_warm_started_from_a_tagger_that_never_saw_the_data(tiny_bert, tiny_model,
                                                                                                     tmp_path, monkeypatch):
    monkeypatch.setattr(recipes, "estimate_epoch_seconds", lambda model, data, dev, config: (
        (600.0, 600.0) if isinstance(model.config, FineTuneConfig) else (1.0, 1.0)))
    _, tagger = tiny_model  # trained on 200 sentences of the default corpus: none of SENTENCES
    config = CrossValConfig(folds=3, epochs=2, batch_size=8, recipe="auto", encoder=str(tiny_bert), budget_minutes=10)
    result = cross_validate(SENTENCES, config, tmp_path / "cv", init_from=tagger, progress=False)
    warm, glove, fused, finetune = result.recipe["candidates"]
    assert (warm["recipe"], warm["from"], warm["seen_sentences"]) == ("warm", str(tagger), 0) and 0 <= warm["dev_micro_f1"] <= 1
    assert "skipped" in finetune
    assert result.recipe["chosen"] == max((warm, glove, fused), key=lambda c: c["dev_micro_f1"])["recipe"]
    model, _ = load_checkpoint(result.model_dirs[1])
    assert result.labels == model.vocab.labels and result.warm == (result.recipe["chosen"] == "warm")
    assert (model.vocab.words == load_checkpoint(tagger)[0].vocab.words) == result.warm
    assert all(m.shape == (len(s), len(result.labels)) for s, m in zip(SENTENCES, result.marginals))

    seen = cross_validate(SENTENCES, config, tmp_path / "cv2", init_from=result.model_dirs[1], progress=False)
    skipped = seen.recipe["candidates"][0]  # a fold model trained on 3 of their 4 distinct ones: no candidate, and why
    assert skipped["recipe"] == "warm" and "trained on 3 of these sentences (more than 5%)" in skipped["skipped"]
    assert seen.recipe["chosen"] in ("glove", "fused") and not seen.warm


def test_cli_label_issues_cross_validates_fine_tuned_fold_models(tiny_bert, tmp_path, capsys):
    path = tmp_path / "small.conll"
    write_corpus(SENTENCES, path)
    models = tmp_path / "folds"
    assert main(["label-issues", "--data", str(path), "--cross-val", "2", "--cv-epochs", "1", "--cv-batch-size", "8",
                 "--recipe", "finetune", "--encoder", str(tiny_bert), "--models-dir", str(models), "--json"]) == 0
    captured = capsys.readouterr()
    assert isinstance(json.loads(captured.out), list) and "fold models: finetune" in captured.err
    assert isinstance(load_checkpoint(models / "fold1")[0], FineTuneTagger)
    with pytest.raises(SystemExit, match="2"):
        main(["label-issues", "--data", str(path), "--cross-val", "2", "--recipe", "bert"])
    assert "unknown recipe 'bert': expected one of auto, glove, fused, finetune, warm" in capsys.readouterr().err


def test_a_stages_progress_counts_the_epochs_of_the_candidate_it_trains():
    from ner_core.training.method import StageProgress
    from ner_core.training.train import EpochReport

    events: list[dict] = []
    progress = StageProgress([("single", 30)], events.append)
    on_epoch, on_candidate = progress.start("single"), progress.candidate("single", RecipeChoice("auto", 3.0))
    assert events[1]["stage"] == "single: timing each recipe" and 170 <= events[1]["eta_seconds"] <= 180  # the budget
    on_candidate("glove", 12, 150.0)  # fused and finetune to come: the budget left is the time left, not glove's epochs
    on_epoch(EpochReport(1, 0.5, 0.6, 0.6, 1.0, True))
    assert events[-1]["eta_seconds"] >= 145
    on_candidate("finetune", 7, None)  # capped by the budget: "epoch 1/30" would promise 23 epochs that never come
    on_epoch(EpochReport(1, 0.5, 0.6, 0.6, 1.0, True))
    assert [(e.get("recipe"), e["done"], e["total"]) for e in events[2:]] == [("glove", 0, 12), ("glove", 1, 12),
                                                                            ("finetune", 0, 7), ("finetune", 1, 7)]
    assert events[-1]["eta_seconds"] < 60  # the last recipe: its own epochs (fast here)
    assert progress_line(events[1:2])[1] == "single: timing each recipe · about 3.0 min left"


def test_a_candidate_slower_than_its_estimate_stops_at_its_share_of_the_budget(tmp_path, monkeypatch):
    """Estimates err (4-12% over the budget at stop 45): no epoch starts that would end past the budget."""
    monkeypatch.setattr(recipes, "estimate_epoch_seconds", lambda *_: (1e-5, 1e-5))  # 200 epochs "fit" 0.3 s
    settings = TrainConfig(epochs=200, patience=200, batch_size=8, threads=1)
    lines = []
    chosen = train_recipe(SENTENCES, SENTENCES[:8], settings, RecipeChoice("glove", 0.005), progress=False, log=lines.append)
    glove, = chosen.record["candidates"]
    assert glove["most_epochs"] == 200 and 1 <= glove["epochs"] < 200 and glove["out_of_time"]
    assert any(line.startswith(f"glove: stopped after {glove['epochs']} of 200 epochs") for line in lines)
    assert ", 1/200 epochs (its time was up)" in recipe_line({**chosen.record, "candidates": [{**glove, "epochs": 1}]})
