"""Every page on an imported dataset with another tag set (drug, dose): trained through the job
runner, with its own models, registry, corrections and colours, never mixed with the default corpus's."""
import os
import random
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = ("predict", "errors", "review", "annotate", "retrain", "registry")
DRUG_TAGS = {"O", "B-drug", "I-drug", "B-dose", "I-dose"}


def conll_text(n: int, seed: int) -> str:
    """``n`` sentences about drugs and doses, as a tab-separated CoNLL file."""
    rng = random.Random(seed)
    drugs = ["aspirin", "ibuprofen", "metformin", "warfarin", "insulin", "heparin", "paracetamol", "lisinopril"]
    lines = ["-DOCSTART-\tO", ""]
    for _ in range(n):
        drug, dose = rng.choice(drugs), [str(rng.choice([5, 10, 20, 50, 100])), rng.choice(["mg", "ml"])]
        words, tags = [
            (["the", "patient", "received", *dose, "of", drug, "."], ["O", "O", "O", "B-dose", "I-dose", "O", "B-drug", "O"]),
            (["give", drug, *dose, "daily", "."], ["O", "B-drug", "B-dose", "I-dose", "O", "O"]),
            (["she", "stopped", drug, "after", *dose, "."], ["O", "O", "B-drug", "O", "B-dose", "I-dose", "O"]),
        ][rng.randrange(3)]
        lines += [f"{w}\t{t}" for w, t in zip(words, tags)] + [""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def drugs(tmp_path_factory):
    """A database and data folder with the dataset ``drugs`` imported and trained (through the job
    runner, in this process), and ``fresh`` imported with no model; the environment points at them."""
    import ner_core.training.method
    from ner_core.storage.datasets import import_dataset
    from ner_core.storage.db import make_engine
    from ner_core.workbench.jobs import run_here
    from ner_core.workbench.retrain import TrainMethodSpec

    root = tmp_path_factory.mktemp("anydata")
    patch = pytest.MonkeyPatch()
    url = f"sqlite:///{root / 'db.sqlite'}"
    patch.setenv("NER_DATA_DIR", str(root / "data"))
    patch.setenv("NER_DB_URL", url)
    patch.delenv("NER_MODEL", raising=False)
    patch.setattr(ner_core.training.method, "BATCH_REPORT_EVERY", 0.0)  # an event per batch, however fast
    engine = make_engine(url)
    summaries: list[str] = []
    for name, n in (("drugs", 150), ("fresh", 40)):
        (root / f"{name}.conll").write_text(conll_text(n, seed=len(name)), encoding="utf-8")
        import_dataset(engine, name, (root / f"{name}.conll").read_bytes(), f"{name}.conll", root / "data" / "datasets",
                       log=summaries.append)
    events: list[dict] = []
    result = run_here("train-method", TrainMethodSpec("drugs", epochs=4, patience=4, threads=1, recipe="glove"), "drugs", events.append, engine)
    yield {"engine": engine, "result": result, "events": events, "summaries": summaries}
    patch.undo()


def open_page(page: str, dataset: str, **state) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["dataset"] = dataset  # the sidebar's choice (ui.DATASET_KEY)
    for key, value in state.items():
        app.session_state[key] = value
    app.switch_page(f"pages/{page}.py")
    app.run()
    assert not app.exception, f"{page}: {app.exception}"
    return app


def test_the_job_trains_registers_and_activates_the_first_model_with_batch_progress(drugs):
    from ner_core.workbench.registry import active_dir, active_id

    result, events = drugs["result"], drugs["events"]
    assert "drugs.conll: conll" in drugs["summaries"][0]
    assert result["activated"] and active_id("drugs") == result["entry"]["id"]
    assert (active_dir("drugs") / "bilstm_crf" / "config.json").is_file()  # no weak type: the single tagger
    (score,) = result["entry"]["metrics"].values()  # a first model: scored on the test split, nothing to compare
    assert score["old"] is None and 0 <= score["new"] <= 1
    assert active_id("default") == "shipped" and active_id("fresh") == "shipped"  # other datasets untouched
    batches = [e for e in events if "batch" in e]
    assert batches and all(e["eta_seconds"] is not None and e["eta_seconds"] >= 0 for e in batches)
    assert {e["done"] for e in batches} == {0, 1, 2, 3}  # within every epoch


def test_every_page_opens_on_the_imported_dataset(drugs):
    entry = drugs["result"]["entry"]["id"]
    apps = {page: open_page(page, "drugs") for page in PAGES}

    predict = apps["predict"]
    predict.text_area(key="predict_text").set_value("give aspirin 20 mg daily .").run()
    assert not predict.exception
    assert entry in predict.caption[0].value and "`drugs`" in predict.caption[0].value
    assert re.search(r"Bi-LSTM-CRF \((glove|fused|finetune) recipe\): ", predict.caption[0].value)  # helper-78: not read as shipped
    assert set(predict.dataframe[0].value["tag"]) <= DRUG_TAGS

    scores = apps["errors"].dataframe[0].value
    assert {"drug", "dose"} <= set(scores.index) and "geo" not in scores.index
    assert entry in apps["errors"].caption[0].value

    registry = apps["registry"].dataframe[0].value
    assert list(registry["id"]) == [entry] and registry["active"].tolist() == [True]  # no shipped row
    assert re.fullmatch(r"bilstm_crf: [01]\.\d{4}", registry["test micro F1"].tolist()[0])  # the new score alone
    assert "(not active)" not in " ".join(c.value for c in apps["retrain"].caption)


def test_the_default_dataset_shows_none_of_its_models_and_a_fresh_one_offers_training(drugs):
    entry = drugs["result"]["entry"]["id"]
    registry = open_page("registry", "default").dataframe[0].value
    assert entry not in set(registry["id"]) and "shipped" in set(registry["id"])
    predict = open_page("predict", "default")
    assert entry not in predict.caption[0].value and "shipped model" in predict.caption[0].value
    assert "/" not in predict.caption[0].value  # a model name and registry entry, no server path

    for page in ("predict", "errors"):
        app = open_page(page, "fresh")
        assert "has no trained model yet" in app.warning[0].value
    assert "Train models" in [b.label for b in open_page("retrain", "fresh").button]


def test_annotate_edits_the_gold_tags_of_a_dataset_without_a_model(drugs):
    from data_editor import edit_and_click
    from ner_core.storage.datasets import open_dataset

    app = open_page("annotate", "fresh")
    assert any("once a model is trained" in i.value and "Retrain page" in i.value for i in app.info)
    assert list(app.data_editor[0].value.columns) == ["token", "gold"]  # no prediction columns
    assert not {"annotate_accept", "annotate_accept_span"} & {b.key for b in app.button}
    sentence = app.session_state.annotate_sentence
    gold = open_dataset("fresh", drugs["engine"]).tags(sentence)
    edit_and_click(app, "gold", {0: "B-drug"}, "annotate_save")
    assert not app.exception and "Saved: 1 token(s) changed" in app.success[0].value
    assert open_dataset("fresh", drugs["engine"]).tags(sentence) == ["B-drug", *gold[1:]]


def test_a_type_added_on_annotate_is_tagged_at_once_and_learned_by_the_next_models(drugs, tmp_path):
    """A team adds ``route`` mid-project: the sidebar adds it, the grid saves it, a retrain of models that never learned
    it is refused with what to do, and Train models learns it."""
    from data_editor import edit_and_click
    from ner_core.data.corpus import split_indices
    from ner_core.models.checkpoint import load_checkpoint
    from ner_core.storage.datasets import import_dataset, open_dataset
    from ner_core.workbench.jobs import run_here
    from ner_core.workbench.registry import entry_dir
    from ner_core.workbench.retrain import RetrainSpec, TrainMethodSpec, check_retrainable

    engine = drugs["engine"]
    import_dataset(engine, "routes", conll_text(60, seed=5).encode(), "routes.conll", tmp_path)
    run_here("train-method", TrainMethodSpec("routes", epochs=1, patience=1, threads=1, recipe="glove"), "routes", engine=engine)
    app = open_page("annotate", "routes")
    assert not app.exception and any(e.label == "Entity types" for e in app.sidebar.expander)
    app.text_input(key="entity_type_new").set_value("route")
    app.button(key="entity_type_add").click().run()
    assert not app.exception and app.success[0].value.startswith("Added route \\(key 3\\)"), app.success
    assert app.text_input(key="entity_type_new").value == ""
    app.selectbox(key="entity_guideline_of").set_value("route").run()
    next(t for t in app.text_area if t.key.startswith("entity_guideline_route_")).set_value("How the drug is given: oral, iv, topical.").run()
    app.button(key="entity_guideline_save").click().run()
    assert not app.exception and app.success[0].value == "Saved the guideline of route\\."
    assert any("How the drug is given: oral, iv, topical." in h.proto.body for h in app.get("html"))
    store = open_dataset("routes", engine)
    assert store.tagset.types == ("dose", "drug", "route") and store.tagset.weak == {"route"}
    check_retrainable(RetrainSpec(["bilstm_crf"], dataset="routes"))  # no sentence holds it yet
    train = split_indices(len(store.original))[0]
    app.session_state["annotate_sentence"] = train[0]
    app.run()
    edit_and_click(app, "gold", {len(store.original[train[0]].words) - 1: "B-route"}, "annotate_save")
    assert not app.exception and "Saved: 1 token(s) changed" in app.success[0].value
    assert store.tags(train[0])[-1] == "B-route"
    with pytest.raises(ValueError, match="tagged with route, added after its active models were trained.*Train models"):
        check_retrainable(RetrainSpec(["bilstm_crf"], dataset="routes"))
    retrain = open_page("retrain", "routes")  # said before a click (helper-67: refused only after it)
    assert any(i.value.startswith("Sentences of `routes` are tagged with route, added after") for i in retrain.info)
    for i in train[1:15]:  # the final "." of each: enough of the type to train on
        store.save(i, list(store.tags(i)[:-1]) + ["B-route"], author="ann")
    result = run_here("train-method", TrainMethodSpec("routes", epochs=1, patience=1, threads=1, recipe="glove", weak_types=[]),
                      "routes", engine=engine)
    model, _ = load_checkpoint(entry_dir(result["entry"]["id"]) / "bilstm_crf")
    assert {"B-route", "I-route"} <= set(model.vocab.labels)


def test_a_worse_retrain_says_so_first_and_keeps_the_old_model_by_default(drugs):
    from ner_core.data.corpus import split_indices
    from ner_core.storage.datasets import open_dataset
    from ner_core.workbench.jobs import run_here
    from ner_core.workbench.registry import active_id
    from ner_core.workbench.retrain import TrainMethodSpec

    first = drugs["result"]["entry"]["id"]
    store = open_dataset("drugs", drugs["engine"])
    val = split_indices(len(store.original))[1][0]
    store.save(val, ["O"] * len(store.original[val]), author="tester")  # a correction on val: evaluation only

    worse = run_here("train-method", TrainMethodSpec("drugs", epochs=1, patience=1, threads=1, limit=8), "drugs",
                     engine=drugs["engine"])
    assert worse["worse"] and not worse["activated"] and active_id("drugs") == first

    app = open_page("retrain", "drugs")
    assert "score **lower** than the active ones" in app.warning[0].value  # said first
    assert "micro F1" in app.warning[0].value
    assert any("evaluation only (not trained on)" in i.value for i in app.info)
    choice = app.radio(key=f"retrain_choice_{worse['entry']['id']}")
    assert choice.value == "Keep the active models"
    app.button(key="retrain_apply").click().run()
    assert not app.exception and active_id("drugs") == first
    app.run()  # the fragment's next poll: the confirmation stays
    assert any(i.value.startswith(f"Kept: the active models ({first}) stay") for i in app.info)
    choice = app.radio(key=f"retrain_choice_{worse['entry']['id']}").set_value(choice.options[1])
    app.button(key="retrain_apply").click().run()
    assert not app.exception and active_id("drugs") == worse["entry"]["id"]  # activation: an explicit choice
    app.run()  # helper-80: once activated, no "keeping the active models is the default" warning above it
    assert not [w for w in app.warning if "score **lower**" in w.value]


def test_the_upload_label_names_every_format():
    from ner_core.data.corpus import FORMATS
    from pages.render import UPLOAD_LABEL

    assert all(fmt in UPLOAD_LABEL and all(s in UPLOAD_LABEL for s in suffixes) for fmt, suffixes in FORMATS.items())


def test_a_file_imported_on_annotate_is_chosen_in_the_sidebar_at_once(drugs):
    from ner_core.data.corpus import load_corpus_bytes

    pills = conll_text(20, seed=9).encode()
    app = open_page("annotate", "drugs")
    assert app.button(key="annotate_import").proto.help == "Choose a file first."  # greyed out, and why
    app.file_uploader(key="annotate_upload").set_value(("pills.conll", b"Aspirin\tB-drug\tX\n", "text/plain")).run()
    assert app.button(key="annotate_import").proto.help == "As the dataset 'pills'"  # the file's name, unless one is typed
    assert app.text_input(key="annotate_upload_name").value == "pills"  # in the box, to keep or change
    app.text_input(key="annotate_upload_name").set_value("tablets").run()
    assert app.button(key="annotate_import").proto.help == "As the dataset 'tablets'"
    app.text_input(key="annotate_upload_name").set_value("").run()
    app.button(key="annotate_import").click().run(timeout=120)
    [refused] = app.sidebar.error  # the reason is in the red box, not below it
    assert refused.value.replace("\\", "") == "Refused: pills.conll:1: malformed tag 'X': expected O or PREFIX-TYPE (e.g. B-PER)"
    app.file_uploader(key="annotate_upload").set_value(("pills.conll", pills, "text/plain")).run()
    app.button(key="annotate_import").click().run(timeout=120)
    assert not app.exception
    assert "Imported, and chosen in the sidebar: pills." in app.sidebar.success[0].value
    assert app.session_state.dataset == "pills"  # the sidebar's Dataset box (ui.DATASET_KEY), drawn after the import
    again = app.button(key="annotate_import")  # the file still in the box: not imported twice by a second click
    assert again.disabled and again.proto.help == "Imported already, as pills: choose another file to import"
    first = load_corpus_bytes(pills, "pills.conll").sentences[0]
    assert list(app.data_editor[0].value["token"]) == list(first.words)  # the page shows the new dataset at once


def test_a_name_typed_and_imported_in_one_click_names_the_dataset_and_its_dev_and_test_files_are_its_split(drugs):
    from ner_core.storage.datasets import open_dataset

    app = open_page("annotate", "drugs")
    for key, seed, n in (("annotate_upload", 11, 12), ("annotate_upload_dev", 12, 3)):
        app.file_uploader(key=key).set_value((f"{key}.conll", conll_text(n, seed=seed).encode(), "text/plain")).run()
    app.button(key="annotate_import").click().run(timeout=120)  # the test file not there yet (a click during its upload)
    assert app.sidebar.warning[0].value.startswith("Not imported: a dev file without a test file: give both (the files' own "
                                                   "split) or neither")  # helper-90: "still uploading?" for a box left empty
    app.file_uploader(key="annotate_upload_test").set_value(("test.conll", conll_text(4, seed=13).encode(), "text/plain")).run()
    app.text_input(key="annotate_upload_name").set_value("capsules")
    app.button(key="annotate_import").click().run(timeout=120)  # the name and the click in one run, as a browser sends them
    assert not app.exception and "Imported, and chosen in the sidebar: capsules." in app.sidebar.success[0].value
    assert [len(p) for p in open_dataset("capsules").split_indices()] == [12, 3, 4]


def test_annotates_address_follows_the_sentence_and_each_dataset_keeps_its_place(drugs):
    from ner_core.storage.datasets import open_dataset

    app = open_page("annotate", "drugs", author_name="ann")
    app.query_params["sentence"] = "120"  # a link into drugs (150 sentences)
    app.run()
    app.button(key="annotate_next").click().run()
    assert app.session_state.annotate_sentence == 121 and app.query_params["sentence"] == "121"  # a reload opens 121
    open_dataset("fresh", drugs["engine"]).remember_position("ann", 7)  # where ann left off in fresh (40 sentences)
    app.session_state["dataset"] = "fresh"  # chosen in the sidebar (app.py draws it; a page run alone does not)
    app.run()
    assert not app.exception and not app.error  # 121 was this page's own address, not a link to fresh's sentence 121
    assert app.session_state.annotate_sentence == 7 and app.query_params["sentence"] == "7"
    app.session_state["dataset"] = "drugs"
    app.run()
    assert app.session_state.annotate_sentence == 121  # drugs: where ann left off there


def test_the_dataset_is_kept_in_the_address_so_a_reload_keeps_it(drugs):
    def app_page(address: dict[str, str] | None = None, dataset: str | None = None) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=120)  # app.py itself: its sidebar and its default page
        app.query_params.update(address or {})
        if dataset:
            app.session_state["dataset"] = dataset  # chosen in the sidebar
        app.run()
        assert not app.exception, app.exception
        return app

    assert app_page(dataset="drugs").query_params["dataset"] == "drugs"  # the address a reload opens
    reloaded = app_page({"dataset": "drugs"})  # a new session: nothing but the address
    assert reloaded.session_state.dataset == "drugs" and reloaded.selectbox(key="dataset").value == "drugs"
    gone = app_page({"dataset": "deleted"})
    assert gone.session_state.dataset == "default" and "No dataset named 'deleted'" in gone.sidebar.warning[0].value


def test_enter_in_a_number_of_the_training_forms_starts_no_job(drugs):
    app = open_page("retrain", "fresh")
    forms = [f for f in app.get("form")]
    assert forms and all(not f.proto.form.enter_to_submit for f in forms)


def test_training_a_first_model_says_what_the_tag_set_makes_it_train(drugs):
    retrain = open_page("retrain", "fresh")
    assert "all its training sentences" in " ".join(i.value for i in retrain.info)
    method = " ".join(m.value for m in retrain.markdown)
    assert "Types dose, drug: none is weak, so the single tagger only" in method  # both types are common there


@pytest.mark.parametrize("types", [["geo", "PRODUCT"], ["per", "org", "loc", "misc", "date"], [f"T{i}" for i in range(19)]])
def test_every_type_of_a_dataset_gets_a_colour_of_its_own(types):
    """The GMB types keep their colours; a dataset mixing them with its own, or holding more types than the palette,
    still shows no two types alike."""
    from pages.render import COLOURS, type_colours

    colours = type_colours(types)
    assert len(set(colours.values())) == len(types)
    assert all(colours[t] == COLOURS[t] for t in types if t in COLOURS)


def test_without_the_projects_corpus_a_page_says_how_to_get_one_and_an_imported_dataset_is_used(tmp_path, monkeypatch):
    """helper-78: with the default corpus file absent (a user with only a corpus of their own), the first pages showed
    a traceback (CorpusError: no such file)."""
    monkeypatch.setenv("NER_CORPUS", str(tmp_path / "nowhere.csv.zip"))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    for page in ("predict", "annotate", "retrain"):
        app = AppTest.from_file(APP, default_timeout=120)
        app.switch_page(f"pages/{page}.py")
        app.run()
        assert not app.exception, f"{page}: {app.exception}"
        assert app.title[0].value == "No corpus on this machine" and "nowhere.csv.zip" in app.error[0].value
        assert app.button(key="annotate_import")  # the import, on every page
    from pages.tab_guards import APP_RAN

    app.file_uploader(key="annotate_upload").set_value(("pills.conll", conll_text(30, seed=5).encode(), "text/plain"))
    del app.session_state[APP_RAN]  # AppTest runs a switched-to page without app.py after its first run: through it again
    app.run()
    app.button(key="annotate_import").click()
    del app.session_state[APP_RAN]
    app.run(timeout=120)
    assert not app.exception and app.session_state.dataset == "pills"
    app = AppTest.from_file(APP, default_timeout=120)  # another visitor: the imported dataset, and the default named as absent
    app.switch_page("pages/annotate.py")
    app.run()
    assert not app.exception and app.title[0].value == "Annotate" and app.selectbox(key="dataset").options == ["pills"]
    assert any("Not on this machine, so not listed: default" in c.value for c in app.sidebar.caption)
    from ner_core.storage.datasets import dataset_paths

    Path(dataset_paths()["pills"]).unlink()  # helper-81: the page then named only the project's corpus
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception and "nor are the files of the datasets imported before: pills" in app.error[0].value


def test_the_command_line_trains_an_imported_datasets_first_models_into_its_registry(drugs, capsys):
    """helper-100: only the Retrain page could train a dataset's first models; retrain --dataset needs models to start
    from, and train-method wrote a checkpoint no dataset used."""
    from ner_core.cli import main
    from ner_core.storage.datasets import import_dataset
    from ner_core.workbench.registry import active_id, load_index

    root = Path(os.environ["NER_DATA_DIR"])
    import_dataset(drugs["engine"], "scripted", conll_text(40, seed=9).encode(), "scripted.conll", root / "datasets")
    assert main(["retrain", "--dataset", "scripted"]) == 1
    assert "train its models first (the Retrain page's Train models, or `train-method --dataset scripted`)" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):  # a file or a checkpoint name of its own: not this dataset's training
        main(["train-method", "--dataset", "scripted", "--name", "mine"])
    assert "--dataset trains the dataset's own sentences with the app's settings into its registry: leave out --name" in capsys.readouterr().err
    assert main(["train-method", "--dataset", "scripted", "--epochs", "1", "--threads", "1", "--recipe", "glove"]) == 0
    out = capsys.readouterr().out
    [entry] = load_index("scripted")["entries"]
    assert out.startswith(f"registered {entry['id']} and activated it: the dataset had no model") and active_id("scripted") == entry["id"]
    assert main(["predict", "--dataset", "scripted", "--text", "give aspirin 5 mg daily ."]) == 0
    assert "aspirin\tB-drug" in capsys.readouterr().out
