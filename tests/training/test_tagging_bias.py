"""The tagging bias chosen on dev: it restores a tagger that finds too few entities, tags as it was scored,
survives a checkpoint, and is left at 0 where it gains nothing."""
import copy
import json
from dataclasses import replace

import pytest
import torch

from ner_core.evaluation.evaluate import evaluate
from ner_core.models.checkpoint import load_checkpoint, save_checkpoint
from ner_core.models.tagger import Tagger
from ner_core.training.tagging_bias import MIN_GAIN, tune_tagging_bias


def timid(model, by: float = 3.0):
    """A copy of ``model`` without a tagging bias whose every B- emission is lowered by ``by``: it starts fewer entities."""
    shy = copy.deepcopy(model)
    shy.config = replace(shy.config, start_bias=0.0)
    rows = [i for i, label in enumerate(shy.vocab.labels) if label.startswith("B-")]
    with torch.no_grad():
        shy.emit.bias[rows] -= by
    return shy


def test_a_tagger_that_finds_too_few_entities_gets_a_start_bias_that_restores_it(tiny_model, split):
    model, dev = tiny_model[0].model, split.val[:150]
    before = evaluate(Tagger(model), dev)["micro_f1"]
    shy = timid(model)
    lowered = evaluate(Tagger(shy), dev)
    assert lowered["micro_recall"] < evaluate(Tagger(model), dev)["micro_recall"] - 0.05
    choice = tune_tagging_bias(shy, dev)
    assert choice.start_bias >= 1.5 and shy.config.start_bias == choice.start_bias
    assert choice.dev_micro_f1 >= choice.unbiased_micro_f1 + MIN_GAIN
    assert choice.unbiased_micro_f1 == pytest.approx(lowered["micro_f1"], abs=1e-4)
    tagged = evaluate(Tagger(shy), dev)["micro_f1"]  # the tagger applies what tuning scored
    assert tagged == pytest.approx(choice.dev_micro_f1, abs=1e-4)
    assert tagged > lowered["micro_f1"] and tagged >= before - 0.05


def test_the_bias_survives_a_checkpoint_and_an_old_checkpoint_reads_as_none(tiny_model, split, tmp_path):
    shy = timid(tiny_model[0].model)
    tune_tagging_bias(shy, split.val[:150])
    loaded, _ = load_checkpoint(save_checkpoint(shy, tmp_path / "shy"))
    assert loaded.config.start_bias == shy.config.start_bias != 0
    words = [s.words for s in split.val[:40]]
    assert [t.tags for t in Tagger(loaded).tag(words)] == [t.tags for t in Tagger(shy).tag(words)]
    old = json.loads((tiny_model[1] / "config.json").read_text())
    old["model"].pop("start_bias")
    (tmp_path / "old").mkdir()
    for name in ("model.safetensors", "vocab.json"):
        (tmp_path / "old" / name).write_bytes((tiny_model[1] / name).read_bytes())
    (tmp_path / "old" / "config.json").write_text(json.dumps(old))
    model, _ = load_checkpoint(tmp_path / "old")
    assert model.config.start_bias == 0.0


def test_train_records_the_choice_and_keeps_no_bias_where_none_gains(tiny_model):
    result, path = tiny_model
    _, meta = load_checkpoint(path)
    record = meta["tagging_bias"]  # train() tuned it on its val set and saved the choice
    assert {"start_bias", "dev_micro_f1", "unbiased_micro_f1"} == set(record)
    assert meta["val_micro_f1"] == record["dev_micro_f1"] == pytest.approx(result.best_score)
    if record["start_bias"] == 0.0:
        assert record["dev_micro_f1"] == record["unbiased_micro_f1"]
    else:
        assert record["dev_micro_f1"] >= record["unbiased_micro_f1"] + MIN_GAIN
