"""Error analysis caches: a detector threshold only redoes the vote, and the cache stays bounded."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ner_core.evaluation.analysis import analyse, with_threshold
from ner_core.models.pipeline import load_any

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_another_threshold_revotes_the_stored_outputs(small_run):
    base, small, _ = small_run
    pipeline = load_any(base / "ckpt" / "voted")
    sentences = small.test[:120]
    tagged = analyse(pipeline, sentences)
    for threshold in (0.0, 0.2, 0.5, 0.9, 1.0):
        fresh = analyse(pipeline.with_threshold(threshold), sentences)
        assert with_threshold(tagged, threshold).systems == fresh.systems
        assert [r.voted for r in with_threshold(tagged, threshold).results] == [r.voted for r in fresh.results]


def test_ten_slider_moves_tag_once_and_keep_the_cache_bounded(small_run, small_corpus, monkeypatch, tmp_path):
    from pages import ui

    base, _, _ = small_run
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    monkeypatch.setenv("NER_MODEL", str(base / "ckpt" / "voted"))
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    app = AppTest.from_file(APP, default_timeout=300)
    app.switch_page("pages/errors.py")
    app.run()
    assert not app.exception
    for step in range(10):
        app.sidebar.slider(key="errors_threshold").set_value(round(0.05 + step * 0.1, 2)).run()
        assert not app.exception
    store, _ = ui.analyses()
    tagged = [key for key in store.keys() if "@" not in key[0]]
    assert len(tagged) == 1  # the split was tagged once; every move only re-voted
    assert len(store) <= ui.ANALYSES_KEPT
