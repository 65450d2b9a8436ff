"""Error analysis caches: a split is tagged once, also for two sessions at once; a detector threshold only redoes the vote."""
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ner_core.evaluation.analysis import analyse, with_threshold
from ner_core.models.pipeline import load_any

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_another_threshold_revotes_the_stored_outputs(small_run):
    base, small, _ = small_run
    pipeline = load_any(base / "ckpt" / "voted")
    sentences = small.test
    tagged = analyse(pipeline, sentences)
    for threshold in (0.0, 0.2, 0.5, 0.9, 1.0):
        fresh = analyse(pipeline.with_threshold(threshold), sentences)
        assert with_threshold(tagged, threshold).systems == fresh.systems
        assert [r.voted for r in with_threshold(tagged, threshold).results] == [r.voted for r in fresh.results]


def test_ten_slider_moves_tag_once(small_run, small_corpus, monkeypatch, tmp_path):
    from pages import models

    base, _, _ = small_run
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    monkeypatch.setenv("NER_MODEL", str(base / "ckpt" / "voted"))
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    tagged = counting(monkeypatch, models, "analyse")
    models._tagged.clear()
    app = AppTest.from_file(APP, default_timeout=300)
    app.switch_page("pages/errors.py")
    app.run()
    assert not app.exception
    for step in range(10):
        app.sidebar.slider[0].set_value(round(0.05 + step * 0.1, 2)).run()
        assert not app.exception
    assert len(tagged) == 1  # the split was tagged once; every move only re-voted


def test_two_sessions_opening_the_page_at_once_tag_the_split_once(small_run, monkeypatch):
    from pages import models

    base, small, _ = small_run
    pipeline = load_any(base / "ckpt" / "voted")
    calls = counting(monkeypatch, models, "analyse", pause=0.5)  # slow enough for the second to arrive meanwhile
    models._tagged.clear()
    results: list = []
    sessions = [threading.Thread(target=lambda: results.append(models.get_analysis("voted@0.50", pipeline, "test", small.test)))
                for _ in range(2)]
    for session in sessions:
        session.start()
    for session in sessions:
        session.join()
    assert len(calls) == 1 and results[0] is results[1]


def counting(monkeypatch, module, name: str, pause: float = 0.0) -> list:
    """Replace ``module.name`` by a wrapper that records each call (after ``pause`` seconds); returns the record."""
    calls, original = [], getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        time.sleep(pause)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls
