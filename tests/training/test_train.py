"""A tiny training run, checkpoint round trip, and the CLI on it (marked slow: it trains)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ner_core.evaluation.evaluate import evaluate
from ner_core.models.checkpoint import load_checkpoint, save_checkpoint
from ner_core.models.checkpoint_dirs import CheckpointError
from ner_core.models.tagger import Tagger

from in_process import run_cli

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_loss_falls_and_fits_training_sentences(tiny_model, split):
    result, _ = tiny_model
    losses = [h.loss for h in result.history]
    assert losses[-1] < 0.5 * losses[0]
    scores = evaluate(Tagger(result.model), split.train[:200])
    assert scores["micro_f1"] > 0.6


def test_save_load_gives_identical_predictions(tiny_model, split, tmp_path):
    result, _ = tiny_model
    path = save_checkpoint(result.model, tmp_path / "copy", {"note": "x"})
    loaded, meta = load_checkpoint(path)
    assert meta == {"note": "x"}
    sentences = [s.words for s in split.val[:50]]
    before, after = Tagger(result.model).tag(sentences), Tagger(loaded).tag(sentences)
    assert [s.tags for s in before] == [s.tags for s in after]
    assert [s.probs for s in before] == [s.probs for s in after]
    assert loaded.vocab.labels == result.model.vocab.labels
    assert sorted(os.listdir(path)) == ["config.json", "model.safetensors", "vocab.json"]


def test_failed_save_keeps_the_previous_checkpoint(tiny_model, tmp_path, monkeypatch):
    result, _ = tiny_model
    path = save_checkpoint(result.model, tmp_path / "good")
    before = (path / "model.safetensors").read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("ner_core.models.checkpoint.save_file", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(result.model, path)
    assert (path / "model.safetensors").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good"]


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "nothing")


def test_probabilities_are_marginals(tiny_model, split):
    result, _ = tiny_model
    tagger = Tagger(result.model)
    words = [s.words for s in split.val[:20]]
    for tagged, marginals in zip(tagger.tag(words), tagger.marginals(words)):
        torch.testing.assert_close(marginals.sum(1), torch.ones(len(tagged.words)), atol=1e-4, rtol=0)
        ids = [tagger.labels.index(t) for t in tagged.tags]
        assert list(tagged.probs) == pytest.approx(marginals[range(len(ids)), ids].tolist())


def run_entry_point(*args: str) -> subprocess.CompletedProcess:
    """``python -m ner_core ARGS`` in a fresh interpreter, as a user runs it (the other CLI tests run in-process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ner_core", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_a_seeded_run_gives_the_same_weights_in_every_process(split, tmp_path):
    """Two processes (string hashes salted differently) train byte-identical weights from the same data and seed."""
    from ner_core.data.corpus import write_corpus

    data, dev = tmp_path / "train.conll", tmp_path / "dev.conll"
    write_corpus(split.train[:200], data)
    write_corpus(split.val[:50], dev)
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": salt, "OMP_NUM_THREADS": "1"}
        done = subprocess.run([sys.executable, "-m", "ner_core", "train", "--data", str(data), "--dev", str(dev), "--recipe", "glove",
                               "--epochs", "1", "--seed", "13", "--threads", "1", "--out", str(tmp_path / salt)],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        assert done.returncode == 0, done.stderr
    for name in ("model.safetensors", "vocab.json"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_a_seeded_detector_does_not_depend_on_what_ran_before(split):
    """The detector's initial weights come from its seed, not from the state torch's generator was left in."""
    from ner_core.models.detector import DetectorConfig
    from ner_core.training.train import TrainConfig
    from ner_core.training.train_detector import train_detector

    config = TrainConfig(epochs=1, batch_size=32, threads=1, seed=13)

    def weights(before: int) -> dict:
        torch.manual_seed(before)
        return train_detector(split.train[:200], split.val[:50], config, DetectorConfig(("geo",)), progress=False).model.state_dict()

    first, second = weights(0), weights(1)
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_evaluate_cli_json(tiny_model, tmp_path, split):
    from ner_core.data.corpus import write_corpus

    _, ckpt = tiny_model
    data = tmp_path / "some.conll"
    write_corpus(split.val[:100], data)
    out = run_cli("evaluate", "--data", str(data), "--checkpoint", str(ckpt), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)  # the JSON line alone on stdout, the table on stderr (helper-100: jq choked on it)
    assert "| type |" in out.stderr
    assert {"micro_f1", "macro_f1", "weighted_f1", "per_type", "sentences", "tokens", "seconds"} <= set(report)
    assert report["sentences"] == 100 and report["tokens"] == sum(len(s) for s in split.val[:100])
    assert set(report["per_type"]["geo"]) == {"precision", "recall", "f1", "support"}
    assert 0 <= report["micro_f1"] <= 1


def test_predict_cli(tiny_model):
    _, ckpt = tiny_model
    out = run_entry_point("predict", "--checkpoint", str(ckpt), "--text", "Angela Merkel visited Paris on Monday.", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    assert [r["token"] for r in rows[0]] == ["Angela", "Merkel", "visited", "Paris", "on", "Monday", "."]
    assert all(0 < r["prob"] <= 1 for r in rows[0])
    empty = run_cli("predict", "--checkpoint", str(ckpt), "--text", "   ")
    assert empty.returncode == 1 and "the text is empty" in empty.stderr
    foreign = run_cli("predict", "--checkpoint", str(ckpt), "--text", "Москва — столица России. Paris sleeps.")
    assert foreign.returncode == 0 and "Москва" in foreign.stdout  # tagged all the same
    assert "note: 1 of 2 sentences are mostly in a script the model never trained on (CYRILLIC 1)" in foreign.stderr


def test_evaluate_cli_says_what_the_reader_read_as_sentence_breaks(tmp_path, tiny_model):
    """A published dev file holds a lone U+FEFF between two sentences: read as a break, and the command says so."""
    _, ckpt = tiny_model
    data = tmp_path / "dev.conll"
    data.write_text("Paris\tB-geo\nsleeps\tO\n\n\ufeff\nBerlin\tB-geo\n\n")
    out = run_cli("evaluate", "--data", str(data), "--split", "all", "--checkpoint", str(ckpt), "--json")
    assert out.returncode == 0, out.stderr
    assert "2 sentences" in out.stderr and "read as sentence breaks: 1" in out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["sentences"] == 2


def test_evaluate_cli_reports_bad_file(tmp_path, tiny_model):
    _, ckpt = tiny_model
    bad = tmp_path / "bad.csv"
    bad.write_text("Sentence #,Word,POS,Tag\nSentence: 1,a,DT\n")
    out = run_cli("evaluate", "--data", str(bad), "--checkpoint", str(ckpt))
    assert out.returncode == 1 and "bad.csv:2" in out.stderr


def test_weight_averaging_keeps_the_mean_of_the_epochs(tiny_model, split):
    """average_from=1 over two epochs keeps the mean of the weights after epoch 1 and epoch 2."""
    import copy

    from ner_core.training.train import TrainConfig, fit

    start, data = tiny_model[0].model, split.train[:64]
    rising = iter(range(100))

    def run(epochs: int, average_from: int = 0):
        config = TrainConfig(epochs=epochs, patience=5, batch_size=16, lr=1e-3, lr_decay=1.0, threads=1, average_from=average_from)
        return fit(copy.deepcopy(start), data, lambda m: next(rising), config, progress=False).model.state_dict()

    after_one, after_two, averaged = run(1), run(2), run(2, average_from=1)
    changed = [k for k, v in after_one.items() if v.is_floating_point() and not torch.equal(v, after_two[k])]
    assert changed
    for key in changed:
        torch.testing.assert_close(averaged[key], (after_one[key] + after_two[key]) / 2)


def test_train_cli_refuses_aux_pos_without_a_pos_column(tmp_path):
    data = tmp_path / "no_pos.conll"
    data.write_text("John B-per\nlives O\n\nParis B-geo\n")
    out = run_cli("train", "--data", str(data), "--dev", str(data), "--aux-pos", "--epochs", "1", "--out", str(tmp_path / "m"))
    assert out.returncode == 1
    assert "--aux-pos needs a corpus with a POS column" in out.stderr
    assert not (tmp_path / "m").exists()


def test_train_cli_warm_start_keeps_the_checkpoint_settings_unless_given(tiny_model, split, tmp_path):
    from ner_core.data.corpus import write_corpus

    _, ckpt = tiny_model
    data = tmp_path / "few.conll"
    write_corpus(split.train[:40], data)

    def model_config(out: str, *flags: str) -> dict:
        done = run_cli("train", "--data", str(data), "--init-from", str(ckpt), "--epochs", "1", "--threads", "1", "--out", out, *flags)
        assert done.returncode == 0, done.stderr
        return json.loads((Path(out) / "config.json").read_text())["model"]

    base = json.loads((Path(ckpt) / "config.json").read_text())["model"]
    given = model_config(str(tmp_path / "a"), "--dropout", "0.3", "--recall-margin", "2", "--margin-types", "geo,per")
    assert (given["dropout"], given["recall_margin"], given["margin_types"]) == (0.3, 2.0, ["geo", "per"])
    assert given["hidden"] == base["hidden"]  # the architecture is the checkpoint's
    kept = model_config(str(tmp_path / "b"))
    assert (kept["dropout"], kept["recall_margin"]) == (base["dropout"], base["recall_margin"])
    refused = run_cli("train", "--data", str(data), "--init-from", "detector", "--epochs", "1", "--out", str(tmp_path / "c"))
    assert refused.returncode == 1 and "not a tagger checkpoint" in refused.stderr
    assert not (tmp_path / "c").exists()


def test_train_cli_replaces_a_checkpoint_only_with_force_and_nothing_else_ever(tiny_model, split, tmp_path):
    import shutil

    from ner_core.data.corpus import write_corpus

    _, ckpt = tiny_model
    data = tmp_path / "few.conll"
    write_corpus(split.train[:40], data)
    warm = ("train", "--data", str(data), "--init-from", str(ckpt), "--epochs", "1", "--threads", "1")
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "thesis.tex").write_text("two years of work")
    kept = run_cli(*warm, "--out", str(papers))
    assert kept.returncode == 1 and "not a checkpoint: it is left alone" in kept.stderr
    assert (papers / "thesis.tex").read_text() == "two years of work"
    for name in ("../victim", "a/b", "..", ""):
        refused = run_cli(*warm, "--name", name, checkpoints=tmp_path / "ckpts")
        assert refused.returncode == 2 and "give a plain name" in refused.stderr, name
    assert not (tmp_path / "victim").exists()
    existing = tmp_path / "ckpts" / "mine"
    shutil.copytree(ckpt, existing)
    before = (existing / "model.safetensors").read_bytes()
    unforced = run_cli(*warm, "--name", "mine", checkpoints=tmp_path / "ckpts")
    assert unforced.returncode == 1 and "already holds a checkpoint: add --force" in unforced.stderr
    assert (existing / "model.safetensors").read_bytes() == before
    forced = run_cli(*warm, "--name", "mine", "--force", checkpoints=tmp_path / "ckpts")
    assert forced.returncode == 0, forced.stderr
    assert (existing / "model.safetensors").read_bytes() != before


def test_predict_cli_checks_its_output_before_tagging(tiny_model, tmp_path, monkeypatch):
    from ner_core.data.corpus import Sentence, write_corpus
    from ner_core.storage.datasets import import_dataset
    from ner_core.storage.db import make_engine

    _, ckpt = tiny_model
    data = tmp_path / "in.conll"
    write_corpus([Sentence(("Paris", "sleeps"), ("B-geo", "O"))], data)
    before = data.read_bytes()
    for out, message in ((data, "is the input file"), (tmp_path, "is a directory"),
                         (tmp_path / "no" / "x.jsonl", "no directory"), (tmp_path / "x.xml", f"--out {tmp_path / 'x.xml'}: unknown format")):
        refused = run_cli("predict", "--data", str(data), "--checkpoint", str(ckpt), "--out", str(out))
        assert refused.returncode == 1 and message in refused.stderr, (out, refused.stderr)
    assert data.read_bytes() == before
    done = run_cli("predict", "--data", str(data), "--checkpoint", str(ckpt), "--out", str(tmp_path / "x.csv"))
    assert done.returncode == 0 and "Paris" in (tmp_path / "x.csv").read_text()
    (tmp_path / "x.csv").write_text("mine")  # helper-100: an existing file was replaced unasked
    again = run_cli("predict", "--data", str(data), "--checkpoint", str(ckpt), "--out", str(tmp_path / "x.csv"))
    assert again.returncode == 1 and f"--out {tmp_path / 'x.csv'} exists: give --force" in again.stderr
    assert (tmp_path / "x.csv").read_text() == "mine"
    assert run_cli("predict", "--data", str(data), "--checkpoint", str(ckpt), "--out", str(tmp_path / "x.csv"), "--force").returncode == 0
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'data' / 'workbench.db'}")
    (tmp_path / "data").mkdir()
    kept = Path(import_dataset(make_engine(os.environ["NER_DB_URL"]), "meds", before, "meds.conll", tmp_path / "data" / "datasets").path)
    sentences = kept.read_bytes()
    own = run_cli("predict", "--data", str(data), "--checkpoint", str(ckpt), "--out", str(kept), "--force")  # not even forced
    assert own.returncode == 1 and "is the corpus file of dataset 'meds'" in own.stderr and kept.read_bytes() == sentences


@pytest.mark.parametrize("args", [("mine", "--top", "-1"), ("label-issues", "--top", "0"), ("train", "--limit", "-150"),
                                  ("label-issues", "--cross-val", "1"), ("pool", "status", "--top", "-5"),
                                  ("train", "--lr", "-1"), ("train", "--dropout", "2"), ("train-method", "--weak-share", "5"),
                                  ("train", "--recall-margin", "-3"), ("train", "--average-from", "-1")])
def test_numbers_out_of_their_range_are_refused_naming_the_flag(args, capsys):
    from ner_core.cli import main

    with pytest.raises(SystemExit) as exit:
        main(list(args))
    assert exit.value.code == 2
    assert f"argument {args[-2]}: must be " in capsys.readouterr().err


def test_evaluate_cli_refuses_another_tag_set_and_an_empty_split(tiny_model, tmp_path):
    _, ckpt = tiny_model
    other = tmp_path / "wnut.conll"
    other.write_text("Paris\tB-location\nsleeps\tO\n\nApple\tB-corporation\n\n")
    refused = run_cli("evaluate", "--data", str(other), "--checkpoint", str(ckpt))
    assert refused.returncode == 1 and "tags the model does not know: B-location (line 1), B-corporation (line 4)" in refused.stderr
    bioes = tmp_path / "wnut.tsv"
    bioes.write_text("Paris\tS-location\nsleeps\tO\n\n")
    flags = run_cli("label-issues", "--data", str(bioes), "--checkpoint", str(ckpt))  # as evaluate: as the file writes them
    assert flags.returncode == 1 and "tags the model does not know: S-location (line 1; read as B-location)" in flags.stderr
    assert "or with --cross-val K" in flags.stderr
    one = tmp_path / "one.conll"
    one.write_text("Paris\tB-geo\nsleeps\tO\n\n")
    empty = run_cli("evaluate", "--data", str(one), "--split", "test", "--checkpoint", str(ckpt))
    assert empty.returncode == 1 and "no sentences to score in test" in empty.stderr


def test_train_cli_warns_of_a_type_tagged_only_in_the_dev_file_and_of_dev_sentences_it_trains_on(tiny_model, split, tmp_path):
    from ner_core.data.corpus import Sentence, write_corpus

    _, ckpt = tiny_model
    train, dev = tmp_path / "train.conll", tmp_path / "dev.conll"
    write_corpus(split.train[:40], train)
    renamed = [Sentence(s.words, tuple(t.replace("-tim", "-time") for t in s.tags)) for s in [*split.val[:20], *split.train[:3]]]
    write_corpus([*renamed, Sentence(("Gobi", "sand"), ("B-desert", "O"))], dev)
    done = run_cli("train", "--data", str(train), "--dev", str(dev), "--init-from", str(ckpt), "--epochs", "1",
                   "--threads", "1", "--out", str(tmp_path / "m"))
    assert ("warning: desert, time tagged only in the dev/test sentences, never in training: the models cannot learn them "
            "and will miss every one; tim is tagged in training but never in the dev file dev.conll: if some are the same "
            "types under other names, give both files one set of names") in done.stderr
    assert "training on 40 sentences, choosing epochs on 24 of the dev file dev.conll (the files as given)" in done.stderr
    assert "warning: 3 of the 24 sentences of the dev file dev.conll are also training sentences (word for word)" in done.stderr


def test_a_tie_keeps_the_later_weights_and_patience_counts_only_gains(tmp_path):
    """A weak tagger whose type is absent from dev scores 0 at every epoch: it keeps (and saves) its last epoch's
    weights, not its first's, and still stops after ``patience`` epochs without a gain."""
    from test_any_tagset import make_sentences

    from ner_core.data.tags import TagSet
    from ner_core.models.model import ModelConfig
    from ner_core.training.train import TrainConfig, build_model, train

    data, dev = make_sentences(60, 6, 1), make_sentences(20, 0, 2)  # route in training only
    tagset = TagSet.from_sentences(data)
    model = build_model(data, tagset.labels, ModelConfig(hidden=16), min_count=1)
    config = TrainConfig(epochs=8, patience=2, batch_size=16, threads=1, mask_types=("dose", "drug"), tune_bias=False)
    weights = []  # after each epoch
    result = train(data, dev, config, model=model, out_dir=tmp_path / "weak", progress=False,
                   on_epoch=lambda _: weights.append({k: v.clone() for k, v in model.state_dict().items()}))
    assert [(h.epoch, h.val_score, h.improved) for h in result.history] == [(1, 0.0, True), (2, 0.0, False), (3, 0.0, False)]
    kept, saved = result.model.state_dict(), load_checkpoint(tmp_path / "weak")[0].state_dict()
    assert any(not torch.equal(v, weights[0][k]) for k, v in kept.items())
    for key, value in weights[-1].items():
        torch.testing.assert_close(kept[key], value, rtol=0, atol=0)
        torch.testing.assert_close(saved[key], value, rtol=0, atol=0)


def test_evaluate_cli_scores_a_dataset_as_the_app_does_with_its_corrections(small_run, small_corpus, tmp_path, monkeypatch):
    """helper-60: after a correction, Error analysis and `evaluate --data` disagreed and nothing said why."""
    from ner_core.models.pipeline import load_any
    from ner_core.storage.datasets import open_dataset

    base, _, _ = small_run
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    store = open_dataset("default")
    test_ids = store.split_indices()[2]
    corrected = next(i for i in test_ids if any(t != "O" for t in store.tags(i)))
    store.save(corrected, ["O"] * len(store.tags(corrected)), author="ann")  # an entity taken out of the gold

    def scores(*args: str) -> dict:
        out = run_cli("evaluate", *args, "--model", "bilstm_crf", "--json", checkpoints=base / "ckpt")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    saved = scores("--dataset", "default")
    as_filed = scores("--data", str(small_corpus), "--split", "test")
    expected = evaluate(load_any(base / "ckpt" / "bilstm_crf"), store.split().test)
    assert saved["sentences"] == as_filed["sentences"] == len(test_ids)
    assert saved["per_type"] == expected["per_type"] != as_filed["per_type"]  # the gold as saved, not as filed
    refused = run_cli("evaluate", "--dataset", "default", "--data", str(small_corpus), checkpoints=base / "ckpt")
    assert refused.returncode == 2 and "--data and --dataset name two sources" in refused.stderr
    unknown = run_cli("evaluate", "--dataset", "default", "--model", "nope", checkpoints=base / "ckpt")
    assert unknown.returncode == 1 and "no model 'nope' in the active set of 'default': give --model one of" in unknown.stderr
    nowhere = run_cli("evaluate", "--dataset", "nosuch", checkpoints=base / "ckpt")  # helper-65: "has no trained model yet"
    assert nowhere.returncode == 1 and "no dataset named 'nosuch'; known: default" in nowhere.stderr
    # helper-70: predict and mine reach a dataset's active models too, as the app's pages use them
    tagged = [run_cli("predict", *where, "--model", "bilstm_crf", "--text", "Rain fell in Spain .", "--json", checkpoints=base / "ckpt")
              for where in (("--dataset", "default"), ())]
    assert tagged[0].returncode == 0 and tagged[0].stdout == tagged[1].stdout, tagged[0].stderr
    assert len(json.loads(tagged[0].stdout)[0]) == 5 and f"loading the model at {base / 'ckpt' / 'bilstm_crf'}" in tagged[0].stderr
    nowhere = run_cli("mine", "--dataset", "nosuch", "--data", str(small_corpus), checkpoints=base / "ckpt")
    assert nowhere.returncode == 1 and "no dataset named 'nosuch'; known: default" in nowhere.stderr
    (tmp_path / "raw.txt").write_text("Rain fell in Spain.\nSnow fell in Oslo on Monday.\n")  # helper-71: a set without a
    mined = run_cli("mine", "--dataset", "default", "--model", "nosuch", "--data", str(tmp_path / "raw.txt"), "--json",  # voted
                    checkpoints=base / "ckpt")  # pipeline refused mine's default model: the pages' model is used, as said
    assert mined.returncode == 0 and "note: no 'nosuch' in the active set of 'default': using " in mined.stderr, mined.stderr
    assert sorted(m["sentence"] for m in json.loads(mined.stdout)) == [0, 1]


def test_a_dataset_whose_models_came_from_train_method_is_scored_without_naming_a_model(small_run, small_corpus, tmp_path,
                                                                                         monkeypatch):
    """helper-85: `evaluate --dataset D` with no --model looked for bilstm_crf in a set that holds a voted pipeline (its
    taggers inside it), and listed nothing to choose from; --model strong was refused."""
    base, _, _ = small_run
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    voted = tmp_path / "ckpt" / "voted"  # as train-method writes a set: the pipeline and, inside it, its models
    shutil.copytree(base / "ckpt" / "voted", voted)
    for member in ("strong", "weak", "detector"):
        shutil.copytree(base / "ckpt" / member, voted / member)
    served = run_cli("evaluate", "--dataset", "default", "--json", checkpoints=tmp_path / "ckpt")
    assert served.returncode == 0 and "note: no 'bilstm_crf' in the active set of 'default': using voted" in served.stderr, served.stderr
    strong = run_cli("evaluate", "--dataset", "default", "--model", "voted/strong", "--json", checkpoints=tmp_path / "ckpt")
    assert strong.returncode == 0 and f"loading the model at {voted / 'strong'}" in strong.stderr, strong.stderr
    unknown = run_cli("evaluate", "--dataset", "default", "--model", "strong", checkpoints=tmp_path / "ckpt")
    assert unknown.returncode == 1 and unknown.stderr.strip().endswith(
        "give --model one of voted, voted/detector, voted/strong, voted/weak"), unknown.stderr
