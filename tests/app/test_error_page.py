"""Error analysis numbers a sentence by its corpus index everywhere, and refuses a file of another tag set, naming its
tags as the file writes them (as the CLI's evaluate does)."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ner_core.data.corpus import read_corpus, split_corpus

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app(tiny_model, small_corpus, monkeypatch):
    monkeypatch.setenv("NER_MODEL", str(tiny_model[1]))
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    return AppTest.from_file(APP, default_timeout=60)


def test_a_sentence_is_numbered_by_its_corpus_index_in_the_table_the_picker_and_the_link(app, small_corpus):
    corpus = read_corpus(small_corpus)
    app.switch_page("pages/errors.py")
    app.run(timeout=300)
    assert not app.exception
    listed = app.dataframe[-1].value
    numbers = listed["sentence"].tolist()
    assert numbers == [i for i, s in enumerate(corpus) if s in split_corpus(corpus).test][: len(numbers)]
    assert numbers[:2] != [0, 1]  # corpus indices, not places in the 100-sentence test split
    assert listed["text"].tolist()[0] == " ".join(corpus[numbers[0]].words)
    app.selectbox(key="errors_pick").set_value(numbers[0]).run()
    assert not app.exception
    link = next(p for p in app.get("page_link") if "Correct sentence" in p.proto.label)
    assert link.proto.label == f"Correct sentence {numbers[0]}"


def test_a_file_of_another_tag_set_is_refused_naming_its_tags(app):
    app.switch_page("pages/errors.py")
    app.run(timeout=300)
    app.radio(key="errors_source").set_value("upload a corpus file").run()
    app.file_uploader(key="errors_upload").set_value(("wnut.conll", b"Paris\tB-location\nsleeps\tO\n", "text/plain")).run()
    assert not app.exception
    assert "tags the model does not know: B-location" in app.error[0].value
    assert not app.get("plotly_chart")  # no all-zero scores drawn
    app.file_uploader(key="errors_upload").set_value(("mine.conll", b"Paris\tB-geo\nsleeps\tO\n", "text/plain")).run()
    assert not app.exception and not app.error and app.get("plotly_chart")


BIOES_FILE = b"Insulin\tS-PROTEIN\nbinds\tO\n\nthe\tO\nreceptor\tB-PROTEIN\nchain\tE-PROTEIN\n\nParis\tS-geo\nAspirin\tB-drug\n"
AS_WRITTEN = ("tags the model does not know: S-PROTEIN (line 1; read as B-PROTEIN), B-PROTEIN (line 5), "
              "E-PROTEIN (line 6; read as I-PROTEIN), B-drug (line 9)")


def test_unknown_tags_are_named_as_the_file_writes_them_with_their_first_line(app):
    app.switch_page("pages/errors.py")
    app.run(timeout=300)
    app.radio(key="errors_source").set_value("upload a corpus file").run()
    app.file_uploader(key="errors_upload").set_value(("bio.conll", BIOES_FILE, "text/plain")).run()
    assert not app.exception
    assert AS_WRITTEN in app.error[0].value


def test_the_cli_evaluate_names_unknown_tags_as_the_file_writes_them(tiny_model, tmp_path, capsys):
    from ner_core.cli import main

    path = tmp_path / "bio.conll"
    path.write_bytes(BIOES_FILE)
    assert main(["evaluate", "--data", str(path), "--checkpoint", str(tiny_model[1])]) == 1
    assert AS_WRITTEN in capsys.readouterr().err
