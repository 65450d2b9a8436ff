"""Annotate where things go wrong: a model that does not load leaves the gold editing working; a save that finds the
very tags it would save already stored is no conflict; a very long token wraps in the entity view."""
import shutil
from pathlib import Path

import pytest
from data_editor import edit, edit_and_click
from streamlit.testing.v1 import AppTest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.data.tokenize import join_tokens
from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore
from pages.render import entities_html

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
SENTENCES = [Sentence(("John", "visited", "Paris", "in", "May"), ("B-per", "O", "O", "O", "O")),
             Sentence(("Rain", "in", "Spain"), ("O", "O", "B-geo")),
             # the corpus knows every type the shipped models predict
             Sentence(tuple("abcdefgh"), tuple(f"B-{t}" for t in ("geo", "gpe", "per", "org", "tim", "art", "eve", "nat")))]


def use(monkeypatch, tmp_path: Path, model: Path) -> CorrectionStore:
    """A tiny default corpus in a fresh database, tagged by ``model``; the store as another annotator opens it."""
    corpus = tmp_path / "tiny.conll"
    write_corpus(SENTENCES, corpus)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    for name, value in (("NER_DB_URL", url), ("NER_DATA_DIR", str(tmp_path / "data")), ("NER_CORPUS", str(corpus)),
                        ("NER_MODEL", str(model))):
        monkeypatch.setenv(name, value)
    return CorrectionStore(make_engine(url), "default", corpus)


def page(name: str, sentence: int = 0) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page(f"pages/{name}.py")
    app.query_params["sentence"] = str(sentence)
    return app.run()


@pytest.fixture
def broken(tmp_path, monkeypatch) -> CorrectionStore:
    """The shipped strong tagger, its weights cut to 50 kB."""
    model = tmp_path / "strong"
    shutil.copytree(ROOT / "checkpoints" / "strong", model)
    with open(model / "model.safetensors", "r+b") as weights:
        weights.truncate(50_000)
    return use(monkeypatch, tmp_path, model)


@pytest.mark.slow
def test_annotate_edits_the_gold_tags_while_the_model_does_not_load(broken):
    app = page("annotate")
    assert not app.exception and not app.error
    assert "could not be loaded" in app.warning[0].value and "unreadable checkpoint" in app.warning[0].value
    assert list(app.data_editor[0].value.columns) == ["token", "gold"]  # the grid, without the prediction
    assert not [b for b in app.button if b.key in ("annotate_accept", "annotate_accept_span")]
    edit_and_click(app, "gold", {2: "B-geo"}, "annotate_save")
    assert not app.exception and "Saved: 1 token(s) changed" in app.success[0].value
    assert broken.tags(0) == ["B-per", "O", "B-geo", "O", "O"]
    assert "History of this sentence" in [e.label for e in app.expander] and app.radio(key="annotate_export_format")
    app.button(key="annotate_undo").click().run()
    assert broken.tags(0) == list(SENTENCES[0].tags)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["predict", "errors"])
def test_the_pages_that_need_the_model_say_it_does_not_load(broken, name):
    app = page(name)
    assert not app.exception and "could not be loaded" in app.error[0].value and "unreadable checkpoint" in app.error[0].value


@pytest.fixture
def working(tmp_path, monkeypatch) -> CorrectionStore:
    return use(monkeypatch, tmp_path, ROOT / "checkpoints" / "bilstm_crf")


def no_conflict(app: AppTest) -> None:
    assert not app.exception and not [w for w in app.warning if w.value.startswith("Not saved")]
    assert not [b for b in app.button if b.key == "annotate_overwrite"]
    assert [i.value.replace("\\", "") for i in app.info if i.value.startswith("Already")] == [
        "Already saved by bob meanwhile: the same tags."]  # Markdown-escaped on screen


@pytest.mark.slow
def test_accepting_the_prediction_someone_accepted_meanwhile_is_no_conflict(working):
    app = page("annotate")
    predicted = list(app.data_editor[0].value["predicted"])
    seen = working.snapshot(0)
    working.save(0, predicted, author="bob", expected_version=seen.version)  # the other tab's accept
    app.button(key="annotate_accept").click().run()
    no_conflict(app)
    assert working.tags(0) == predicted and working.sentence_version(0) == seen.version + 1  # saved once
    assert list(app.data_editor[0].value["gold"]) == predicted


@pytest.mark.slow
def test_a_grid_save_of_the_tags_someone_saved_meanwhile_is_no_conflict(working):
    app = page("annotate", 1)
    mine = ["B-geo", "O", "B-geo"]
    edit(app, "gold", {0: "B-geo"})
    working.save(1, mine, author="bob", expected_version=working.snapshot(1).version)
    edit_and_click(app, "gold", {0: "B-geo"}, "annotate_save")
    no_conflict(app)
    assert working.tags(1) == mine
    app.switch_page("pages/predict.py").run()
    app.switch_page("pages/annotate.py").run()
    assert not [i for i in app.info if i.value.startswith("Unsaved edits restored")]  # the draft went


def test_a_very_long_token_wraps_and_every_token_is_escaped():
    words = ["A", "x" * 200, "<b>&", "Paris"]
    text, tokens = join_tokens(words)
    for tags in (["O"] * 4, ["O", "O", "O", "B-geo"]):
        html = entities_html(text, tokens, tags, {"geo": "#7aecec"})
        assert html.startswith('<div class="entities" style="overflow-wrap: anywhere; ')
        assert "x" * 200 in html and "&lt;b&gt;&amp;" in html and "<b>" not in html


@pytest.mark.slow
def test_new_text_says_a_txt_of_conll_lines_is_read_as_conll(working):
    app = page("pool")
    assert not app.exception and "token-tag lines read as CoNLL" in app.radio(key="pool_input").options[0]
