import json
import re

import pytest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.data.noise import plant_noise
from ner_core.data.sentence_keys import sentence_key
from ner_core.data.tags import tag_type
from ner_core.models.checkpoint import load_checkpoint, save_checkpoint
from ner_core.quality.issue_scores import CrossValJobSpec, stored_issues
from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore
from ner_core.training.cross_val import CrossValConfig, assign_folds, cross_validate, fold_marginals
from ner_core.workbench.jobs import _runner, _spec_dict

pytestmark = pytest.mark.slow
TINY = CrossValConfig(folds=3, epochs=2, batch_size=16, lr=5e-3)
OTHER_TYPES = {"geo": "LOC", "gpe": "LOC", "per": "PER", "org": "ORG"}  # the rest become MISC
ODD = Sentence(("Zorblaxia", "met", "Zorblaxia", "."), ("B-ODD", "O", "B-ODD", "O"))


def other_tag_set(sentences):
    """The sentences with a CoNLL-style tag set (LOC, PER, ORG, MISC) instead of GMB's types."""
    def convert(tag):
        kind = tag_type(tag)
        return tag if kind is None else f"{tag[:2]}{OTHER_TYPES.get(kind, 'MISC')}"

    return [Sentence(s.words, tuple(convert(t) for t in s.tags)) for s in sentences]


@pytest.fixture(scope="module")
def data(split):
    return other_tag_set(split.train[:239]) + [ODD]


@pytest.fixture(scope="module")
def folds_run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("cv")
    return cross_validate(data, TINY, out, progress=False), out


def test_no_sentence_is_scored_by_a_model_that_trained_on_it(data, folds_run):
    result, out = folds_run
    assert result.folds == assign_folds(data, 3, TINY.seed) and set(result.folds) == {0, 1, 2}
    trained_on = [set(load_checkpoint(out / f"fold{k}")[1]["trained_on"]["keys"].split()) for k in range(3)]
    for sentence, fold in zip(data, result.folds):
        assert sentence_key(sentence) not in trained_on[fold]  # its scorer never saw it
        assert all(sentence_key(sentence) in trained_on[k] for k in range(3) if k != fold)  # every other model did
    assert [m.shape for m in result.marginals] == [(len(s), len(result.labels)) for s in data]
    assert "B-ODD" in result.labels and "B-geo" not in result.labels
    with pytest.raises(ValueError, match="trained on 1 of the sentences"):
        fold_marginals(out / f"fold{(result.folds[0] + 1) % 3}", data[:1])


def test_a_planted_unique_label_is_not_reproduced_out_of_sample(data, folds_run, tmp_path):
    """Only a model that trained on the Zorblaxia sentence could give its one-off B-ODD tags a chance."""
    from ner_core.models.tagger import Tagger
    from ner_core.training.cross_val import new_tagger, train_epochs

    result, _ = folds_run
    odd = result.labels.index("B-ODD")
    out_of_sample = result.marginals[-1][0, odd]
    memorising = train_epochs(new_tagger(data, result.labels, TINY), data, TINY, epochs=8)  # long enough to learn the one-off
    in_sample = Tagger(memorising).marginals([ODD.words])[0][0, odd].item()
    assert out_of_sample < 0.2
    assert in_sample > out_of_sample


def test_stored_scores_survive_a_restart_and_a_correction_invalidates_only_its_sentence(data, tmp_path, monkeypatch):
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'workbench.db'}"
    monkeypatch.setenv("NER_DB_URL", url)
    noisy, _ = plant_noise(data, rate=0.2, seed=3)
    write_corpus(noisy, tmp_path / "tiny.conll")
    CorrectionStore(make_engine(url), "tiny", tmp_path / "tiny.conll")
    events = []
    spec = _spec_dict("cross-val", CrossValJobSpec("tiny", config=CrossValConfig(folds=3, epochs=2, batch_size=16, lr=5e-3)))
    with pytest.raises(ValueError, match="unknown split 'dev'"):  # refused where the request is made
        CrossValJobSpec("tiny", "dev")
    result = _runner("cross-val")(spec, events.append)  # the "cross-val" background job's body, from the spec as stored
    assert result["sentences"] == len(noisy)
    assert events[0] == {"stage": "fold 1/3", "done": 0, "total": events[0]["total"], "unit": "step"}  # at once: what runs
    assert events[-1]["done"] == events[-1]["total"] and {"stage", "eta_seconds"} <= set(events[1])

    engine = make_engine(url)  # a restart: a new engine on the same database
    before = stored_issues(engine, "tiny", noisy)
    assert before and [i.score for i in before] == sorted((i.score for i in before), reverse=True)
    assert {i.fold for i in before} <= {0, 1, 2}

    target = before[0]
    tags = list(noisy[target.sentence].tags)
    tags[target.token] = target.suggested
    corrected = list(noisy)
    corrected[target.sentence] = Sentence(noisy[target.sentence].words, tuple(tags))
    others = [i for i in before if i.sentence != target.sentence]
    assert stored_issues(engine, "tiny", corrected, rescore=False) == others  # only the corrected sentence left out

    rescored = stored_issues(engine, "tiny", corrected)  # re-scored by the fold model that did not see it
    assert [i for i in rescored if i.sentence != target.sentence] == others
    assert all(i.fold == target.fold for i in rescored if i.sentence == target.sentence)
    assert not any(i.sentence == target.sentence and i.token == target.token and i.given == target.given for i in rescored)
    assert stored_issues(make_engine(url), "tiny", corrected, rescore=False) == rescored  # the re-score was stored


def test_cli_cross_val_on_a_conll_file_with_another_tag_set(data, tmp_path, capsys):
    from ner_core.cli import main

    noisy, planted = plant_noise(data, rate=0.2, seed=5)
    path = tmp_path / "other.conll"
    write_corpus(noisy, path)
    assert main(["label-issues", "--data", str(path), "--cross-val", "2", "--cv-epochs", "1", "--cv-batch-size", "16",
                 "--recipe", "glove", "--json", "--top", "30"]) == 0
    captured = capsys.readouterr()
    issues = json.loads(captured.out)
    # helper-70: a recipe given (not auto) was never scored, so fold models this weak came with no warning
    f1 = float(re.search(r"fold models: glove \(val micro F1: glove (0\.\d{4}) in ", captured.err).group(1))
    assert ("warning: the fold models score" in captured.err) == (f1 < 0.5), captured.err
    assert 0 < len(issues) <= 30
    assert set(issues[0]) == {"sentence", "token", "word", "given", "suggested", "score", "fold"}
    for issue in issues:
        sentence = noisy[issue["sentence"]]
        assert sentence.tags[issue["token"]] == issue["given"] != issue["suggested"]
        assert sentence.words[issue["token"]] == issue["word"]
        assert {tag_type(issue["given"]), tag_type(issue["suggested"])} <= {None, "LOC", "PER", "ORG", "MISC", "ODD"}
    assert [i["score"] for i in issues] == sorted((i["score"] for i in issues), reverse=True)


def test_init_from_is_refused_for_a_checkpoint_that_saw_the_data(data, folds_run, tmp_path, capsys):
    from ner_core.cli import main

    _, out = folds_run
    path = tmp_path / "other.conll"
    write_corpus(data, path)
    args = ["label-issues", "--data", str(path), "--cross-val", "2", "--cv-epochs", "1", "--json"]
    assert main([*args, "--init-from", str(out / "fold0")]) == 1
    assert "trained on" in capsys.readouterr().err
    model, _ = load_checkpoint(out / "fold0")
    save_checkpoint(model, tmp_path / "unrecorded", {})
    assert main([*args, "--init-from", str(tmp_path / "unrecorded")]) == 1
    assert "does not record which sentences it trained on" in capsys.readouterr().err
    held_out = [s for s, f in zip(data, folds_run[0].folds) if f == 0]  # what fold 0's model never saw: allowed
    write_corpus(held_out, path)
    assert main([*args, "--init-from", str(out / "fold0")]) == 0
    issues = json.loads(capsys.readouterr().out)  # scored by models that started from fold 0's
    assert isinstance(issues, list) and all(0 <= i["sentence"] < len(held_out) for i in issues)


def test_a_trained_checkpoint_records_its_sentences_and_is_refused_on_them(tiny_model, split, tmp_path, capsys):
    from ner_core.cli import main

    _, checkpoint = tiny_model  # trained on the first 200 training sentences
    path = tmp_path / "seen.conll"
    write_corpus(split.train[150:250], path)
    assert main(["label-issues", "--data", str(path), "--cross-val", "2", "--init-from", str(checkpoint), "--json"]) == 1
    assert "trained on 50 of these sentences" in capsys.readouterr().err


def test_warm_fold_models_start_from_a_tagger_that_never_saw_the_data_and_rank_by_its_marginal(tiny_model, split, tmp_path,
                                                                                                 monkeypatch):
    """The cross-val job with the warm recipe: every fold model starts from the tagger (its vocabulary, not one
    built from the file) and trains briefly; the stored flags, and a corrected sentence's re-scored ones,
    are ranked by the fold model's marginal alone: a tagger trained on other data knows more than the file's counts."""
    import numpy as np

    from ner_core.quality.issue_scores import latest_run
    from ner_core.quality.label_issues import issues_from_marginals

    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'workbench.db'}"
    monkeypatch.setenv("NER_DB_URL", url)
    _, checkpoint = tiny_model  # trained on the first 200 training sentences
    base, _ = load_checkpoint(checkpoint)
    unseen = [s for s in split.train[300:460] if set(s.tags) <= set(base.vocab.labels)]
    noisy, _ = plant_noise(unseen, rate=0.2, seed=3)
    write_corpus(noisy, tmp_path / "new.conll")
    CorrectionStore(make_engine(url), "new", tmp_path / "new.conll")
    config = CrossValConfig(folds=3, batch_size=16, recipe="warm")
    events = []
    result = _runner("cross-val")(_spec_dict("cross-val", CrossValJobSpec("new", config=config, init_from=str(checkpoint))),
                                  events.append)
    assert events[-1]["done"] == events[-1]["total"] == 3 * (config.warm_epochs + 1)
    warm = {"requested": "warm", "chosen": "warm", "from": str(checkpoint), "seen_sentences": 0}
    measured = result["recipe"].pop("candidates")  # the first fold's held-out score, as for any recipe
    assert result["recipe"] == warm and [c["recipe"] for c in measured] == ["warm"] and 0 <= measured[0]["dev_micro_f1"] <= 1

    engine = make_engine(url)
    run = latest_run(engine, "new")
    fold_dirs = [tmp_path / run.models_dir / f"fold{k}" for k in range(3)]
    for directory in fold_dirs:
        model, meta = load_checkpoint(directory)
        assert {k: v for k, v in meta["cross_val"]["recipe"].items() if k != "candidates"} == warm
        assert model.vocab.words == base.vocab.words  # started from the tagger
        assert any(not np.allclose(a, b) for a, b in zip(model.state_dict().values(), base.state_dict().values()))  # and trained

    fold_of = assign_folds(noisy, 3, config.seed)
    marginals = [None] * len(noisy)
    for k, directory in enumerate(fold_dirs):  # each fold's sentences in one call, batched as the run tagged them
        held_out = [i for i, f in enumerate(fold_of) if f == k]
        labels, scored, warm = fold_marginals(directory, [noisy[i] for i in held_out])
        assert warm
        for i, m in zip(held_out, scored):
            marginals[i] = m

    def flags(issues):
        return {(i.sentence, i.token, i.given, i.suggested): i.score for i in issues}

    stored = flags(stored_issues(engine, "new", noisy))
    expected = flags(issues_from_marginals(noisy, marginals, labels, folds=fold_of, agreement=False))
    by_agreement = flags(issues_from_marginals(noisy, marginals, labels, folds=fold_of))
    assert stored and stored.keys() == expected.keys()
    assert all(stored[k] == pytest.approx(expected[k], abs=1e-5) for k in stored)
    assert any(stored[k] != pytest.approx(by_agreement[k], abs=1e-3) for k in stored)  # not the agreement's ranking

    target = stored_issues(engine, "new", noisy)[0]
    tags = list(noisy[target.sentence].tags)
    tags[target.token] = target.suggested
    corrected = list(noisy)
    corrected[target.sentence] = Sentence(noisy[target.sentence].words, tuple(tags))
    rescored = [i for i in stored_issues(engine, "new", corrected) if i.sentence == target.sentence]
    labels, (probs,), _ = fold_marginals(fold_dirs[target.fold], [corrected[target.sentence]])
    for issue in rescored:  # re-scored alone by its fold model: by the marginal alone too
        row = probs[issue.token] / probs[issue.token].sum()
        assert issue.score == pytest.approx(1 - row[labels.index(issue.given)], abs=1e-5)


def test_a_warm_start_from_a_pipeline_or_from_nothing_is_refused_with_why(data, tmp_path):
    from ner_core.training.cross_val import WarmStart

    (tmp_path / "voted").mkdir()
    (tmp_path / "voted" / "pipeline.json").write_text("{}")
    assert WarmStart(tmp_path / "voted", data).refused == "a pipeline, not a tagger: name one of its taggers"
    assert "no checkpoint at" in WarmStart(tmp_path / "nothing", data).refused
    with pytest.raises(ValueError, match="--init-from .*voted: a pipeline, not a tagger"):
        cross_validate(data, CrossValConfig(folds=3, recipe="warm"), tmp_path / "cv", init_from=tmp_path / "voted", progress=False)
    assert not (tmp_path / "cv").exists()  # refused before any training


def test_fold_models_that_score_low_on_held_out_sentences_are_said_to_give_unreliable_flags():
    from ner_core.training.cross_val import LOW_FOLD_F1, fold_caution

    measured = {"chosen": "finetune", "candidates": [{"recipe": "glove", "dev_micro_f1": 0.0},
                                                     {"recipe": "finetune", "dev_micro_f1": 0.2572}]}
    assert fold_caution(measured) == ("the fold models score 0.26 micro F1 on held-out sentences: expect many false flags "
                                      "(more epochs, a tagger to start them from, or more data make them better)")
    measured["candidates"][1]["dev_micro_f1"] = LOW_FOLD_F1
    assert fold_caution(measured) is None
    assert fold_caution({"requested": "glove", "chosen": "glove"}) is None  # not measured: nothing to say
