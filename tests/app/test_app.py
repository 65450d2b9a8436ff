"""The app's pages, rendered with Streamlit's AppTest against a real (tiny) checkpoint."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app(tiny_model, small_corpus, monkeypatch):
    _, ckpt = tiny_model
    monkeypatch.setenv("NER_MODEL", str(ckpt))
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))  # a fresh database per test imports 1,000 sentences, not 48,000
    return AppTest.from_file(APP, default_timeout=60)


def test_predict_page_tags_a_sentence(app):
    app.run()
    assert not app.exception
    app.text_area(key="predict_text").set_value("John Smith flew to London on Friday .").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table["token"].tolist() == ["John", "Smith", "flew", "to", "London", "on", "Friday", "."]
    assert table["probability"].between(0, 1).all()
    assert set(table["tag"]) <= set(__import__("ner_core").Tagger.from_checkpoint("bilstm_crf").labels)


def test_predict_page_reads_pasted_html_and_pdf_text_as_text(app):
    """helper-94: "Obama</b" and "met&nbsp;Putin" lost both people; "Tues-" / "day" stayed two words."""
    app.run()
    app.text_area(key="predict_text").set_value("<p><b>Obama</b> met&nbsp;Putin on Tues-\nday.</p>").run()
    assert not app.exception
    assert app.dataframe[0].value["token"].tolist() == ["Obama", "met", "Putin", "on", "Tuesday", "."]
    assert "HTML tags taken out: 4 · words hyphenated at a line break joined: 1" in app.caption[0].value


def test_predict_page_empty_text(app):
    app.run()
    app.text_area(key="predict_text").set_value("   ").run()
    assert not app.exception
    assert "Type some text" in app.info[0].value


def test_predict_page_shows_the_voted_record(small_run, monkeypatch):
    base, _, _ = small_run
    monkeypatch.setenv("NER_MODEL", str(base / "ckpt" / "voted"))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception
    app.text_area(key="predict_text").set_value("Hurricane Katrina hit New Orleans . The Iliad is old .").run()
    assert not app.exception
    assert len(app.dataframe) == 2  # one table per sentence
    table = app.dataframe[0].value
    assert list(table.columns) == ["token", "strong", "p strong", "weak", "p weak", "voted", "p voted", "rule"]
    assert "detector P(weak entity)" in app.caption[2].value
    legend = app.caption[1].value
    rules = {r.removesuffix(" (IOB2 repaired)") for t in app.dataframe for r in t.value["rule"]}
    assert all(f"*{rule}*" in legend for rule in rules)  # each rule shown is explained
    app.sidebar.slider[0].set_value(1.0).run()  # detector never fires: strong only
    assert (app.dataframe[0].value["voted"] == app.dataframe[0].value["strong"]).all()
    assert all(f"*{rule}*" in legend for rule in app.dataframe[0].value["rule"])
    app.switch_page("pages/registry.py").run()
    app.switch_page("pages/predict.py").run()  # and back: the sidebar's choices are kept
    assert not app.exception and app.sidebar.slider[0].value == 1.0


def test_error_analysis_page(app):
    app.switch_page("pages/errors.py")
    app.run(timeout=300)
    assert not app.exception
    scores = app.dataframe[0].value
    assert "geo" in scores.index and list(scores.columns) == ["gold entities", "f1 · single", "precision · single", "recall · single"]
    assert list(scores.index[-3:]) == ["micro", "macro", "weighted"] and list(scores.index[:-3]) == sorted(scores.index[:-3])
    counts = [o.split(" · ") for o in app.button_group(key="errors_categories").options]  # each category with its count
    assert [c for c, _ in counts] == ["missed entity", "spurious entity", "wrong type", "wrong boundary", "wrong type and boundary"]
    assert sum(int(n.replace(",", "")) for _, n in counts) > 0
    app.button_group(key="errors_categories").set_value(["missed entity"]).run()
    assert not app.exception
    assert len(app.expander) == 5 and len(app.dataframe[1].value) > 0  # examples of missed entities
    listed = app.dataframe[6].value
    assert len(listed) > 0 and all("missed entity" in e for e in listed["errors"])


@pytest.mark.parametrize(
    "text",
    ["東京は日本の首都です。 Москва — столица России.", "!!! ... ??? ---", " ".join(["Paris is in France ."] * 2000)],
    ids=["non-latin", "punctuation", "10k-tokens"],
)
def test_predict_page_odd_input(app, text):
    app.run()
    app.text_area(key="predict_text").set_value(text).run(timeout=120)
    assert not app.exception
    shown = sum(len(df.value) for df in app.dataframe)
    assert shown > 0
    if len(text) > 10_000:
        assert "10,000 tokens" in app.caption[0].value and len(app.dataframe) == 20
        assert "first 20 of 2,000 sentences" in app.info[0].value


def test_annotate_page_accept_undo_and_persistence(app, monkeypatch, tmp_path, tiny_model):
    from ner_core.data.corpus import default_corpus_path
    from ner_core.storage.db import make_engine
    from ner_core.storage.store import CorrectionStore

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DB_URL", url)
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = "7"
    app.run(timeout=120)
    assert not app.exception and app.session_state.annotate_sentence == 7
    from ner_core.data.corpus import split_indices

    part = next(p for p, ids in zip(("train", "val", "test"), split_indices(len(CorrectionStore(make_engine(url), "default",
                                                                                default_corpus_path()).original))) if 7 in ids)
    said = app.caption if part == "train" else app.info  # a val or test sentence: said louder, corrections there are not trained on
    assert any(c.value.startswith(f"In the {part} split") for c in said)  # where the sentence is: trained on or not
    assert any(m.value.startswith("**Prediction** · ") for m in app.markdown)  # and which model predicts
    table = app.dataframe[0].value
    predicted, gold = list(table["predicted"]), list(table["gold"])
    from ner_core.data.tags import spans

    assert len(app.selectbox(key="annotate_span_7").options) == len(set(spans(predicted)) - set(spans(gold)))
    app.button(key="annotate_accept").click().run()
    assert not app.exception
    assert spans(predicted) and app.selectbox(key="annotate_span_7").options == []  # the gold now has every predicted entity
    changed = sum(a != b for a, b in zip(predicted, gold))
    said = app.success[0].value if changed else app.info[-1].value  # a save that changes nothing says so, not "Saved: 0"
    assert said.startswith(f"Prediction accepted: {changed} token(s) changed" if changed else "Nothing to save")
    store = CorrectionStore(make_engine(url), "default", default_corpus_path())
    assert store.tags(7) == predicted  # persisted: a fresh connection sees it
    assert list(app.dataframe[0].value["gold"]) == predicted
    app.button(key="annotate_undo").click().run()
    assert list(app.dataframe[0].value["gold"]) == gold and store.tags(7) == gold
    app.button(key="annotate_next").click().run()
    assert app.session_state.annotate_sentence == 8


def annotate_sentence_7(app: AppTest, monkeypatch, tmp_path):
    """Annotate open on sentence 7 over a fresh database; the dataset's store, as another process opens it."""
    from ner_core.data.corpus import default_corpus_path
    from ner_core.storage.db import make_engine
    from ner_core.storage.store import CorrectionStore

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DB_URL", url)
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = "7"
    app.run(timeout=120)
    return CorrectionStore(make_engine(url), "default", default_corpus_path())


def test_annotate_page_marks_the_tokens_the_review_queue_flagged(app, monkeypatch, tmp_path):
    from ner_core.quality.review_queue import MODEL, Candidate, ReviewQueue

    store = annotate_sentence_7(app, monkeypatch, tmp_path)
    tags = store.tags(7)
    queue = ReviewQueue(store)
    queue.fill("train", MODEL, "run", [Candidate(MODEL, 7, 1, 3, tags[1], "B-art" if tags[1] != "B-art" else "B-eve", 0.9)])
    [item] = queue.items("train")
    app.query_params["item"] = str(item.id)  # the link the review queue's "Open sentence 7 in the grid editor" makes
    app.run(timeout=120)
    assert not app.exception
    grid = app.dataframe[0].value
    assert list(grid["⚑"]) == ["⚑" if k in (1, 2) else "" for k in range(len(tags))]  # tokens 1 and 2, by their words
    assert any("marked ⚑ in the grid" in i.value for i in app.info)
    app.query_params.pop("item")
    app.run(timeout=120)
    assert "⚑" not in app.dataframe[0].value.columns  # no link from the queue: no mark


def test_annotate_page_refuses_a_save_from_a_version_someone_replaced(app, monkeypatch, tmp_path):
    """The page-level race: another annotator saves the sentence after the page showed it; the page's save is
    refused with both versions shown, and nothing of theirs is reverted."""
    store = annotate_sentence_7(app, monkeypatch, tmp_path)
    seen = store.snapshot(7)
    theirs = list(seen.tags)
    theirs[-1] = "B-tim" if theirs[-1] == "O" else "O"
    store.save(7, theirs, author="bob", expected_version=seen.version)  # between the page's read and its save
    from ner_core.data.tags import rebase

    predicted = list(app.dataframe[0].value["predicted"])
    app.button(key="annotate_accept").click().run()
    assert not app.exception
    assert store.tags(7) == theirs and store.sentence_version(7) == seen.version + 1  # nothing overwritten
    if rebase(predicted, seen.tags, theirs) == theirs:  # the prediction adds nothing to bob's version: no conflict
        assert any(i.value.startswith("Already saved by bob meanwhile") for i in app.info)
        return
    assert any("changed meanwhile by bob" in w.value for w in app.warning)
    app.button(key="annotate_keep_theirs").click().run()
    assert list(app.dataframe[0].value["gold"]) == theirs


def test_annotate_page_keeps_an_edit_made_after_someone_elses_save(app, monkeypatch, tmp_path):
    """bob saves while the page is open; the edit made after it (its own rerun, no click yet) stays in the grid on the
    tags it was made on, with a warning; Save then shows both versions, and Save yours stores the edit on bob's version."""
    from data_editor import edit, edit_and_click

    store = annotate_sentence_7(app, monkeypatch, tmp_path)
    seen = store.snapshot(7)
    theirs, mine = list(seen.tags), list(seen.tags)
    theirs[-1] = "B-tim" if theirs[-1] == "O" else "O"
    mine[0] = "B-per" if mine[0] == "O" else "O"
    store.save(7, theirs, author="bob", expected_version=seen.version)
    edit(app, "gold", {0: mine[0]})
    assert not app.exception and any("changed meanwhile by bob" in w.value for w in app.warning)
    assert app.session_state[app.data_editor[0].key]["edited_rows"] == {0: {"gold": mine[0]}}  # the edit is still there
    edit_and_click(app, "gold", {0: mine[0]}, "annotate_save")  # a browser sends the editor's edits with every rerun
    assert any(w.value.startswith("Not saved") and "changed meanwhile by bob" in w.value for w in app.warning)
    assert store.tags(7) == theirs  # nothing of bob's overwritten unasked
    app.button(key="annotate_overwrite").click().run()
    merged = [mine[0], *theirs[1:]]  # my edit on bob's version: his change to the last token stays
    assert not app.exception and store.tags(7) == merged and "Saved: 1 token(s) changed" in app.success[0].value
    assert list(app.data_editor[0].value["gold"]) == merged and not any("meanwhile" in w.value for w in app.warning)


def test_annotate_page_opens_where_the_annotator_left_off(app, monkeypatch, tmp_path, tiny_model):
    _, ckpt = tiny_model
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("USER", "ann")
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = "7"
    app.run(timeout=120)
    app.button(key="annotate_next").click().run()
    from ner_core.data.corpus import default_corpus_path
    from ner_core.storage.db import make_engine
    from ner_core.storage.store import CorrectionStore

    store = CorrectionStore(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), "default", default_corpus_path())
    tags = store.tags(8)
    store.save(8, tags[:-1] + ["B-tim" if tags[-1] == "O" else "O"], author="ann")  # ann's change, from another tab
    app.run()
    app.button(key="annotate_undo").click().run()
    assert store.tags(8) == tags
    rows = next(d.value for d in app.dataframe if "reverted by" in d.value.columns)
    assert set(rows["reverted by"]) == {"ann"} and rows["reverted at"].notna().all()  # who undid it, and when
    fresh = AppTest.from_file(APP, default_timeout=120)  # a new browser session, no link
    fresh.switch_page("pages/annotate.py")
    fresh.run()
    assert not fresh.exception and fresh.session_state.annotate_sentence == 8


def test_annotate_page_saves_an_edit_clicked_before_its_rerun(app, monkeypatch, tmp_path):
    """Save clicked within a moment of a cell edit, before the edit's rerun has drawn the page again (so the Save
    button Streamlit holds is the one drawn with the table before the edit), saves the edit."""
    from data_editor import edit_and_click
    from ner_core.data.corpus import default_corpus_path
    from ner_core.storage.db import make_engine
    from ner_core.storage.store import CorrectionStore

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DB_URL", url)
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = "7"
    app.run(timeout=120)
    gold = list(app.data_editor[0].value["gold"])
    edited = [*gold[:-1], "B-tim" if gold[-1] == "O" else "O"]
    edit_and_click(app, "gold", {len(gold) - 1: edited[-1]}, "annotate_save")
    assert not app.exception
    assert "Saved: 1 token(s) changed" in app.success[0].value
    assert CorrectionStore(make_engine(url), "default", default_corpus_path()).tags(7) == edited
    assert list(app.data_editor[0].value["gold"]) == edited


def test_new_text_and_annotate_pages_show_a_sentence_added_from_the_pool(app, monkeypatch, tmp_path):
    from ner_core.data.corpus import default_corpus_path
    from ner_core.storage.db import make_engine
    from ner_core.storage.pool import Pool
    from ner_core.storage.store import CorrectionStore

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DB_URL", url)
    monkeypatch.setenv("USER", "ann")  # the annotator whose place is kept
    pool = Pool(CorrectionStore(make_engine(url), "default", default_corpus_path()))
    pool.add([("Zorblax", "visited", "Gdansk"), ("Rain", "in", "Spain")], "n.txt", "ann")
    added = pool.items()[0].id
    index, _ = pool.accept(added, ["B-per", "O", "B-geo"], "ann")
    app.switch_page("pages/pool.py")
    app.run(timeout=120)
    assert not app.exception and [m.value for m in app.metric] == ["1", "1", "0"]
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = str(index)
    app.run(timeout=120)
    assert not app.exception and app.session_state.annotate_sentence == index
    assert list(app.dataframe[0].value["gold"]) == ["B-per", "O", "B-geo"]
    assert any("Added from the pool" in c.value for c in app.caption) and not app.button(key="annotate_save").disabled
    pool.undo("ann", added)  # its add undone: no button saves to it any more, and each says why
    app.run(timeout=120)
    assert all(app.button(key=k).disabled and "undone or rejected" in app.button(key=k).help for k in ("annotate_save", "annotate_undo"))
    assert pool.accept(added, ["B-per", "O", "B-geo"], "ann")[0] == index  # added again, at its index
    fresh = AppTest.from_file(APP, default_timeout=120)  # a new browser session, no link
    fresh.switch_page("pages/annotate.py")
    fresh.run()
    assert not fresh.exception and fresh.session_state.annotate_sentence == index  # where the annotator left off


def test_annotate_page_holds_unsaved_edits_once_before_moving_on(app, monkeypatch, tmp_path):
    """Next with unsaved grid edits stays on the sentence, edits kept, and warns; a second Next leaves them."""
    from data_editor import edit_and_click

    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = "7"
    app.run(timeout=120)
    gold = list(app.data_editor[0].value["gold"])
    edited = "B-tim" if gold[0] == "O" else "O"
    edit_and_click(app, "gold", {0: edited}, "annotate_next")
    assert not app.exception and app.session_state.annotate_sentence == 7
    assert "Sentence 7 has unsaved edits in 1 row(s)" in app.warning[0].value
    assert app.data_editor[0].key.startswith("annotate_editor_7_")
    assert app.session_state[app.data_editor[0].key]["edited_rows"] == {0: {"gold": edited}}  # still there to save
    app.button(key="annotate_next").click().run()
    assert not app.exception and app.session_state.annotate_sentence == 8


def sleeping_job(kind: str, monkeypatch, tmp_path) -> str:
    """A job of ``kind`` running for two minutes: a plugin kind that sleeps, under that kind's name."""
    import os

    from ner_core.workbench.jobs import start_job

    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NER_JOB_RUNNERS", f"{kind}=jobkinds:sleep")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root / "tests"), os.environ.get("PYTHONPATH", "")]))
    return start_job(kind, {"seconds": 120})


def test_an_admin_cancels_a_running_job_from_its_page(app, monkeypatch, tmp_path):
    """The Review queue's cross-validation job (here a plugin kind that sleeps, under its name) has Cancel while it runs."""
    from processes import stop_jobs, wait_for_job

    job = sleeping_job("cross-val", monkeypatch, tmp_path)
    try:
        app.switch_page("pages/review.py")
        app.run(timeout=120)
        assert not app.exception
        assert any("flags of the train split (the most suspicious annotations) are not computed yet" in i.value for i in app.info)
        assert app.expander[0].proto.expanded  # the job's controls, open while it runs (folded otherwise: the item comes first)
        bar = app.get("progress")[0].proto  # followed every 2 s while it runs
        assert bar.text in ("Starting…", "working · time left not known yet") and bar.value == 0  # its first event, or none yet
        app.button(key="review_cv_cancel").click().run()
        assert [t.value for t in app.toast] == ["Cancel requested: the job stops within seconds."]  # drawn in the run, not the callback
        status = wait_for_job(job, 60)
        assert status["state"] == "cancelled" and status["error"] == "cancelled by the operator"
        app.run(timeout=120)
        assert not app.expander[0].proto.expanded  # no job: folded, so that the queue's item is on screen first
    finally:
        stop_jobs()


def test_another_kind_of_job_leaves_the_review_queues_model_flags_folded(app, monkeypatch, tmp_path):
    """helper-80: a retrain running opened the Review queue's "Model flags" box, and at 1024x768 the item fell below the fold."""
    from processes import stop_jobs

    sleeping_job("retrain", monkeypatch, tmp_path)
    try:
        app.switch_page("pages/review.py")
        app.run(timeout=120)
        assert not app.exception and not app.expander[0].proto.expanded
        assert app.button(key="review_cross_val").disabled  # one job at a time: said on the folded button
    finally:
        stop_jobs()


def test_the_sidebar_choice_is_one_for_every_page_and_each_pipeline_starts_at_its_own_threshold(small_run, small_corpus,
                                                                                                 monkeypatch, tmp_path):
    """BERT-FF's pipeline was tuned to another threshold than the Bi-LSTM-CRF's: choosing it shows its own; the family
    and threshold chosen on one page are those of the next (Error analysis, then Annotate through its link)."""
    import json
    import shutil

    base, _, _ = small_run
    ckpt = shutil.copytree(base / "ckpt", tmp_path / "checkpoints")
    for name, threshold in (("voted", 0.05), ("voted-bert", 0.95)):
        spec = json.loads((ckpt / name / "pipeline.json").read_text())
        (ckpt / name / "pipeline.json").write_text(json.dumps(spec | {"threshold": threshold}))
    monkeypatch.delenv("NER_MODEL", raising=False)
    for name, value in (("NER_CHECKPOINTS", str(ckpt)), ("NER_CORPUS", str(small_corpus)), ("NER_DATA_DIR", str(tmp_path / "data")),
                        ("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")):
        monkeypatch.setenv(name, value)
    app = AppTest.from_file(APP, default_timeout=300)
    app.run()
    assert app.sidebar.slider[0].value == 0.05
    app.sidebar.radio[0].set_value("BERT-FF").run()
    assert not app.exception and app.sidebar.slider[0].value == 0.95  # its own, not the other family's
    app.sidebar.slider[0].set_value(0.9).run()
    app.switch_page("pages/errors.py").run()
    assert not app.exception and (app.sidebar.radio[0].value, app.sidebar.slider[0].value) == ("BERT-FF", 0.9)
    app.switch_page("pages/annotate.py").run()
    assert not app.exception and (app.sidebar.radio[0].value, app.sidebar.slider[0].value) == ("BERT-FF", 0.9)
    app.sidebar.radio[0].set_value("Bi-LSTM-CRF").run()
    assert app.sidebar.slider[0].value == 0.05  # each pipeline keeps its own


def test_the_corpus_page_finds_sentences_as_they_are_now_and_says_who_changed_them(app, monkeypatch, tmp_path):
    """helper-66: no search across the corpus without a model, and no count of who did what."""
    from ner_core.data.corpus import default_corpus_path
    from ner_core.storage.db import make_engine
    from ner_core.storage.store import CorrectionStore

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DB_URL", url)
    store = CorrectionStore(make_engine(url), "default", default_corpus_path())
    n = len(store.original)
    target = next(i for i, s in enumerate(store.original) if "B-geo" in s.tags and len(s) > 6)
    words = store.original[target].words
    store.save(target, ["O"] * len(words), author="ann")  # no entity left in it
    app.switch_page("pages/corpus.py")
    app.run(timeout=120)
    assert not app.exception and app.caption[0].value.startswith(f"{n:,} of {n:,} sentences")
    app.text_input(key="corpus_query").set_value(" ".join(words[:5]).upper()).run()
    table = app.dataframe[0].value
    assert target in table["sentence"].tolist() and not app.exception
    assert table.set_index("sentence").loc[target, "entities"] == "" and table.set_index("sentence").loc[target, "corrected"]
    app.multiselect(key="corpus_types").set_value(["geo"]).run()  # its geo entities are gone: found no more
    assert target not in app.dataframe[0].value["sentence"].tolist()
    app.multiselect(key="corpus_types").set_value([]).run()
    app.text_input(key="corpus_query").set_value("").run()
    app.checkbox(key="corpus_corrected").check().run()
    assert app.dataframe[0].value["sentence"].tolist() == [target]
    people = app.dataframe[1].value
    assert people["person"].tolist() == ["ann"] and people["sentences"].tolist() == [1]
    again = AppTest.from_file(APP, default_timeout=60)  # a reload, or a shared link: the search is in the address
    again.switch_page("pages/corpus.py")
    again.query_params["corpus_query"], again.query_params["corpus_corrected"] = words[0], "true"
    again.run(timeout=120)
    assert not again.exception and again.text_input(key="corpus_query").value == words[0]
    assert again.dataframe[0].value["sentence"].tolist() == [target]


def test_the_registry_says_what_saved_work_the_active_models_do_not_hold_yet(app, tmp_path, monkeypatch):
    """helper-76: "corrected 0, added 0" on the shipped entry after dozens of saves read as work gone missing."""
    from ner_core.storage.datasets import open_dataset

    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")  # its own: the save stays out of other tests
    store = open_dataset("default")
    train = store.split_indices()[0][0]
    tags = store.tags(train)
    store.save(train, ["O" if t != "O" else "B-geo" for t in tags[:1]] + tags[1:], author="ann")
    app.switch_page("pages/registry.py").run()
    assert not app.exception
    assert ("Not in the active models yet: 1 corrected training sentence and 0 sentence(s) added from the pool, kept in the "
            "database; Retrain trains on them.") in [c.value for c in app.caption]
