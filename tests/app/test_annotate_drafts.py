"""Unsaved edits of Annotate's grid, kept for the browser session: they survive a page or dataset switch, come back
with a note, are saved (or refused as a conflict) from the tags they were made on, and go when discarded or left."""
from pathlib import Path

import pytest
from data_editor import edit
from streamlit.testing.v1 import AppTest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.storage.datasets import import_dataset
from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "app.py")
SENTENCES = [Sentence(("John", "visited", "Paris"), ("B-per", "O", "B-geo")),
             Sentence(("The", "UN", "met", "in", "May"), ("O", "B-org", "O", "O", "B-tim")),
             Sentence(("Rain", "in", "Spain"), ("O", "O", "B-geo"))]


@pytest.fixture
def store(tmp_path, monkeypatch) -> CorrectionStore:
    """A tiny default corpus and a second dataset, ``other``, in a fresh database; no model (the grid edits all the same)."""
    corpus = tmp_path / "tiny.conll"
    write_corpus(SENTENCES, corpus)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    for name, value in (("NER_DB_URL", url), ("NER_DATA_DIR", str(tmp_path / "data")), ("NER_CORPUS", str(corpus)),
                        ("NER_CHECKPOINTS", str(tmp_path / "no-models"))):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NER_MODEL", raising=False)
    engine = make_engine(url)
    import_dataset(engine, "other", corpus.read_bytes(), "other.conll", tmp_path / "data" / "datasets")
    yield CorrectionStore(engine, "default", corpus)
    engine.dispose()


def annotate(sentence: int) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = str(sentence)
    return app.run()


def grid(app: AppTest) -> list[str]:
    return list(app.data_editor[0].value["gold"])


def notes(app: AppTest) -> list[str]:
    return [i.value for i in app.info if i.value.startswith("Unsaved edits restored")]


def test_an_edit_survives_a_page_switch_and_is_saved_on_return(store):
    app = annotate(1)
    edited = ["B-per", *SENTENCES[1].tags[1:]]
    edit(app, "gold", {0: "B-per"})
    assert [i.value for i in app.info if i.value.startswith("Unsaved edits:")] == ["Unsaved edits: 1 token(s); Save them or Discard (row 0)."]
    assert "**Gold, with your unsaved edits**" in [m.value for m in app.markdown]  # the spans follow the grid (helper-64)
    assert "per" in app.get("html")[0].proto.body  # "The" as edited: the stored gold holds no per
    app.switch_page("pages/predict.py").run()
    app.switch_page("pages/annotate.py").run()
    assert not app.exception and app.session_state.annotate_sentence == 1
    assert grid(app) == edited and notes(app) == ["Unsaved edits restored: 1 token(s); Save them or Discard (row 0)."]
    assert store.tags(1) == list(SENTENCES[1].tags)  # nothing saved unasked
    app.button(key="annotate_save").click().run()
    assert "Saved: 1 token(s) changed" in app.success[0].value and store.tags(1) == edited
    assert grid(app) == edited and notes(app) == []


def test_an_edit_survives_a_dataset_switch_and_is_discarded(store):
    app = annotate(1)
    edit(app, "gold", {0: "B-per"})
    app.session_state["dataset"] = "other"  # chosen in the sidebar (app.py draws it; AppTest's page run does not list it)
    app.run()
    assert not app.exception and grid(app) == list(SENTENCES[0].tags) and notes(app) == []  # the other dataset's own place
    app.session_state["dataset"] = "default"
    app.run()
    assert app.session_state.annotate_sentence == 1 and grid(app)[0] == "B-per" and len(notes(app)) == 1
    app.button(key="annotate_discard").click().run()
    assert grid(app) == list(SENTENCES[1].tags) and notes(app) == []
    app.switch_page("pages/predict.py").run()
    app.switch_page("pages/annotate.py").run()
    assert grid(app) == list(SENTENCES[1].tags) and notes(app) == []  # discarded for good


def test_a_restored_edit_is_saved_from_its_base_so_a_save_meanwhile_is_a_conflict(store):
    app = annotate(1)
    edit(app, "gold", {0: "B-per"})
    app.switch_page("pages/predict.py").run()
    seen = store.snapshot(1)
    theirs = [*seen.tags[:-1], "O"]
    store.save(1, theirs, author="bob", expected_version=seen.version)  # someone else, while this session is away
    app.switch_page("pages/annotate.py").run()
    assert grid(app)[0] == "B-per" and grid(app)[-1] == "B-tim" and len(notes(app)) == 1  # the edit, on the tags it was made on
    assert any("changed meanwhile by bob" in w.value for w in app.warning)
    app.button(key="annotate_save").click().run()
    assert any(w.value.startswith("Not saved") for w in app.warning) and store.tags(1) == theirs
    app.button(key="annotate_overwrite").click().run()
    assert store.tags(1) == ["B-per", *SENTENCES[1].tags[1:-1], "O"] and "Saved: 1 token(s) changed" in app.success[0].value
    assert notes(app) == [] and not any("meanwhile" in w.value for w in app.warning)


def test_moving_on_past_the_warning_drops_the_edit(store):
    app = annotate(1)
    edit(app, "gold", {0: "B-per"})
    app.button(key="annotate_next").click().run()
    assert app.session_state.annotate_sentence == 1 and "Sentence 1 has unsaved edits in 1 row(s)" in app.warning[0].value
    app.switch_page("pages/predict.py").run()  # still held after a page switch
    app.switch_page("pages/annotate.py").run()
    assert grid(app)[0] == "B-per" and len(notes(app)) == 1
    app.button(key="annotate_next").click().run()
    assert app.session_state.annotate_sentence == 1 and "Sentence 1 has unsaved edits" in app.warning[0].value
    app.button(key="annotate_next").click().run()
    assert app.session_state.annotate_sentence == 2
    app.button(key="annotate_prev").click().run()
    assert app.session_state.annotate_sentence == 1 and grid(app) == list(SENTENCES[1].tags) and notes(app) == []


def test_unsaved_edits_are_never_handed_to_the_next_user_who_signs_in_on_the_tab(store):
    """helper-62: rev's unsaved edit, left in a tab whose sign-in ended, was restored for ann1, who signed in there next,
    and saved under ann1's name."""
    from ner_core.storage.users import add_user, sign_in

    for name in ("rev", "ann1"):
        add_user(store.engine, name, "annotator", f"{name}-password")
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["signin_token"] = sign_in(store.engine, "rev", "rev-password")
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = "1"
    app.run()
    edit(app, "gold", {0: "B-per"})
    assert notes(app) == [] and any(i.value.startswith("Unsaved edits: 1 token(s)") for i in app.info)
    app.session_state["signin_token"] = sign_in(store.engine, "ann1", "ann1-password")  # rev gone, ann1 signs in here
    app.run()
    assert not app.exception and grid(app) == list(SENTENCES[1].tags)  # the stored tags, not rev's edit
    assert not any(i.value.startswith("Unsaved edits") for i in app.info)
    app.button(key="annotate_save").click().run()
    assert store.tags(1) == list(SENTENCES[1].tags) and store.history(1) == []  # nothing saved in anyone's name
