"""The export panel offers the tag scheme of the file (IOB2 by default, the one the dataset was imported in marked), says
which scheme the file holds, and says what each format's file holds."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ner_core.data.corpus import load_corpus_bytes

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "app.py")
BIOES = b"-DOCSTART- O\n\nrituximab S-DRUG\nreduced O\nthe O\npain O\n\nHigh B-DOSE\ndoses E-DOSE\nhelp O\n"


@pytest.fixture
def bio(tmp_path, monkeypatch, small_corpus):
    """A database and data folder holding the dataset ``bio``, imported from a BIOES CoNLL .txt; no model."""
    from ner_core.storage.datasets import import_dataset
    from ner_core.storage.db import make_engine

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NER_DB_URL", url)
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    monkeypatch.delenv("NER_MODEL", raising=False)
    return import_dataset(make_engine(url), "bio", BIOES, "bio.txt", tmp_path / "data" / "datasets")


def test_the_export_offers_the_imported_scheme_and_says_which_the_file_holds(bio):
    from pages.ui import corpus_export

    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["dataset"] = "bio"
    app.switch_page("pages/annotate.py")
    app.run()
    assert not app.exception
    assert "conll: token and tag a line, tab-separated" in app.radio(key="annotate_export_format").help  # no POS column
    scheme = app.radio(key="annotate_export_scheme")
    assert scheme.options == ["IOB2", "IOB1", "BIOES (as imported)", "BILOU"] and scheme.value == "IOB2"
    assert "The file holds IOB2 tags. The dataset was imported in BIOES, converted to IOB2 on import." in [c.value for c in app.caption]
    app.radio(key="annotate_export_format").set_value("conll")
    scheme.set_value("BIOES").run()
    assert "The file holds BIOES tags." in [c.value for c in app.caption]
    app.button(key="annotate_export_prepare").click().run()
    assert not app.exception
    assert app.get("download_button")[0].proto.label == "Download the corrected corpus (conll, BIOES)"
    data = corpus_export("bio", bio.version(), "conll", "BIOES")
    assert data.decode().startswith("rituximab\tS-DRUG\nreduced\tO\n")
    assert load_corpus_bytes(data, "x.conll").sentences == bio.original
    app.radio(key="annotate_export_format").set_value("spacy").run()
    assert "annotate_export_scheme" not in [r.key for r in app.radio]
    assert "The file holds entity spans: no tag scheme." in [c.value for c in app.caption]
    app.radio(key="annotate_export_format").set_value("label-studio").run()
    assert "annotate_export_scheme" not in [r.key for r in app.radio]
    app.button(key="annotate_export_prepare").click().run()
    assert app.get("download_button")[0].proto.label == "Download the corrected corpus (label-studio)"


def test_an_export_file_is_named_for_its_dataset_tool_and_scheme():
    from pages.corpus_files import export_name

    assert export_name("bio", "label-studio", "IOB2") == "bio-corrected-label-studio.json"
    assert export_name("bio", "prodigy", "IOB2") == "bio-corrected-prodigy.jsonl"
    assert export_name("bio", "conll", "BIOES") == "bio-corrected-bioes.conll" and export_name("bio", "csv", "IOB2") == "bio-corrected.csv"


def test_an_admin_archives_the_dataset_chosen_and_the_sidebar_falls_back_to_the_default(bio):
    from ner_core.storage.datasets import archived_datasets
    from ner_core.storage.db import make_engine

    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["dataset"] = "bio"
    app.switch_page("pages/annotate.py")
    app.run()
    assert app.button(key="annotate_archive").disabled  # the box first
    app.checkbox(key="annotate_archive_sure").check().run()
    app.button(key="annotate_archive").click().run()
    assert not app.exception
    assert "Archived bio" in [s.value for s in app.sidebar.success][0] and app.session_state["dataset"] == "default"
    assert "bio" in archived_datasets(make_engine(bio.engine.url.render_as_string(hide_password=False)))
    assert "annotate_archive" not in [b.key for b in app.button]  # the default corpus is never archived
    linked = AppTest.from_file(APP, default_timeout=120)
    linked.query_params["dataset"] = "bio"  # a link made before: it says who archived it (helper-71)
    linked.run()
    assert linked.sidebar.warning[0].value.startswith("The dataset 'bio' was archived by ")


def test_unsaved_edits_in_a_dataset_archived_meanwhile_are_named_on_every_page_and_saved_after_a_restore(bio):
    """helper-73: the grid held an edit, an admin archived the dataset, and the page went on with the default corpus's
    sentence of that number, where Save said "Nothing to save": the edit was out of sight, unsaid."""
    from data_editor import edit

    from ner_core.storage.datasets import archive_dataset
    from ner_core.storage.db import make_engine
    from pages.tab_guards import APP_RAN

    def through_app(run: AppTest) -> AppTest:  # AppTest runs a switched-to page without app.py after its first run
        del app.session_state[APP_RAN]
        return run.run()

    engine = make_engine(bio.engine.url.render_as_string(hide_password=False))
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["dataset"] = "bio"
    app.switch_page("pages/annotate.py")
    app.run()
    edit(app, "gold", {1: "B-DOSE"})
    archive_dataset(engine, "bio", "alice")
    through_app(app)
    assert not app.exception and app.session_state["dataset"] == "default"
    held = "Not saved\\: unsaved edits in a dataset archived meanwhile \\('bio', sentence 0 \\(1 token\\)\\)"  # escaped
    assert app.warning[0].value.startswith(held) and "datasets restore --dataset NAME`" in app.warning[0].value
    through_app(app.switch_page("pages/predict.py"))
    assert app.warning[0].value.startswith(held)  # on every page, until saved
    archive_dataset(engine, "bio", "alice", restore=True)
    through_app(app.switch_page("pages/annotate.py"))
    through_app(app.sidebar.selectbox(key="dataset").set_value("bio"))
    assert not [w for w in app.warning if "archived meanwhile" in w.value]
    app.button(key="annotate_save").click().run()
    assert "Saved: 1 token(s) changed" in app.success[0].value and bio.tags(0)[1] == "B-DOSE"
