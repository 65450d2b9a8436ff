"""Predict: entities drawn whole, and a warning when a text is mostly in a script its model never trained on."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_text_in_another_script_is_tagged_with_a_warning(tiny_model, small_corpus, monkeypatch):
    monkeypatch.setenv("NER_MODEL", str(tiny_model[1]))
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.warning  # the example text: English
    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert [p.split(": ")[0] for p in chart["layout"]["xaxis"]["categoryarray"]] == [str(i) for i in range(19)]  # in order
    view = app.get("html")[0].proto.body
    assert "<mark" in view and view.count("display: inline-block") == view.count("<mark")  # no entity wraps in a column
    app.text_area(key="predict_text").set_value("Москва — столица России. Paris sleeps.").run()
    assert not app.exception and len(app.dataframe) == 2  # tagged all the same
    assert "1 of 2 sentences are mostly in a script the model never trained on (CYRILLIC 1)" in app.warning[0].value


def test_zero_width_text_is_empty_and_an_emoji_sequence_one_token(tiny_model, small_corpus, monkeypatch):
    monkeypatch.setenv("NER_MODEL", str(tiny_model[1]))
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.text_area(key="predict_text").set_value("\u200b\u200d \ufeff").run()
    assert [i.value for i in app.info] == ["Type some text to tag."] and not app.dataframe  # as for whitespace
    app.text_area(key="predict_text").set_value("Ana 👨\u200d👩\u200d👧\u200d👦 met Bo \u200b in Paris.").run()
    assert not app.exception and list(app.dataframe[0].value["token"]) == ["Ana", "👨\u200d👩\u200d👧\u200d👦", "met", "Bo", "in", "Paris", "."]
    view = app.get("html")[0].proto.body
    assert "👨\u200d👩\u200d👧\u200d👦" in view and "Paris" in view


def test_text_without_full_stops_is_tagged_in_pieces_it_says_so(tiny_model, small_corpus, monkeypatch):
    monkeypatch.setenv("NER_MODEL", str(tiny_model[1]))
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.text_area(key="predict_text").set_value(" ".join(["Paris and Rome"] * 200)).run()  # 600 tokens, no full stop
    assert not app.exception and [len(d.value) for d in app.dataframe] == [200, 200, 200]
    assert app.caption[0].value.startswith("3 sentence(s) (sentences of over 250 tokens cut into pieces), 600 tokens")
