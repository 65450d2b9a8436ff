"""Error analysis numbers a sentence by its corpus index everywhere, and refuses a file of another tag set, naming its
tags as the file writes them (as the CLI's evaluate does)."""
import base64
import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ner_core.data.corpus import format_corpus, read_corpus, split_corpus

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
    assert "detector_prob" not in listed.columns  # a single model: no detector, no column of blanks
    assert '"label": "lowest token confidence"' in app.dataframe[-1].proto.columns  # as the filter says it (helper-96)
    scores = app.dataframe[0]  # a type the tagger never predicts, an average's gold count: blank, not "None"
    assert scores.value.isna().any().any() and scores.proto.HasField("placeholder") and scores.proto.placeholder == ""
    [tokens] = [json.loads(c.proto.spec) for c in app.get("plotly_chart") if "Tokens" in c.proto.spec]
    z = tokens["data"][0]["z"]  # plotly's typed array
    matrix = np.frombuffer(base64.b64decode(z["bdata"]), z["dtype"]).reshape([int(n) for n in z["shape"].split(",")]).tolist()
    errors = max(n for g, row in enumerate(matrix) for p, n in enumerate(row) if g != p)
    assert tokens["layout"]["coloraxis"]["cmax"] == errors < max(map(max, matrix))  # O as O does not set the scale
    assert tokens["layout"]["xaxis"]["tickvals"] == tokens["layout"]["yaxis"]["tickvals"] == tokens["data"][0]["x"]  # all drawn
    assert listed["text"].tolist()[0] == " ".join(corpus[numbers[0]].words)
    app.selectbox(key="errors_pick").set_value(numbers[0]).run()
    assert not app.exception
    link = next(p for p in app.get("page_link") if "Correct sentence" in p.proto.label)
    assert link.proto.label == f"Correct sentence {numbers[0]}"
    assert link.proto.query_string == f"sentence={numbers[0]}"  # the project's corpus: no dataset in the address, as the sidebar's


@pytest.fixture
def mini(tiny_model, small_corpus, monkeypatch, tmp_path):
    """An imported dataset ``mini`` (200 sentences of the corpus, none at the index it has there) whose active
    registry entry is the tiny model; its sentences."""
    from ner_core.storage.datasets import import_dataset
    from ner_core.storage.db import make_engine
    from ner_core.workbench.registry import activate, register, registry_dir

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NER_DB_URL", url)
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    engine = make_engine(url)
    sentences = read_corpus(small_corpus)[200:400]
    import_dataset(engine, "mini", format_corpus(sentences, "conll").encode(), "mini.conll", tmp_path / "data" / "datasets")
    shutil.copytree(tiny_model[1], tmp_path / "build" / "bilstm_crf")
    registry_dir().mkdir(parents=True)
    register("r-mini", tmp_path / "build", {}, "mini", engine)
    activate("r-mini", dataset="mini", engine=engine)
    return sentences


def test_the_correct_link_names_the_dataset_and_opens_its_sentence_in_a_new_session(mini):
    errors = AppTest.from_file(APP, default_timeout=120)
    errors.session_state["dataset"] = "mini"  # chosen in the sidebar
    errors.switch_page("pages/errors.py")
    errors.run()
    assert not errors.exception
    pick = int(errors.selectbox(key="errors_pick").options[-1].split(":")[0])  # "N: its text"
    errors.selectbox(key="errors_pick").set_value(pick).run()
    link = next(p for p in errors.get("page_link") if "Correct sentence" in p.proto.label)
    asked = {k: v[0] for k, v in parse_qs(link.proto.query_string).items()}
    assert asked == {"dataset": "mini", "sentence": str(pick)}
    opened = AppTest.from_file(APP, default_timeout=120)  # the link in a new tab: nothing but the address
    opened.query_params.update(asked)
    opened.run()  # app.py (its sidebar binds the dataset to the address), then the link's page
    opened.switch_page("pages/annotate.py").run()
    assert not opened.exception and not opened.error
    assert pick > 0 and opened.session_state.dataset == "mini" and opened.session_state.annotate_sentence == pick
    assert list(opened.data_editor[0].value["token"]) == list(mini[pick].words)


def test_the_split_filters_search_and_sentence_are_kept_across_a_page_switch(app):
    app.run()  # app.py: its navigation, as a session has it
    app.switch_page("pages/errors.py").run(timeout=300)
    app.radio(key="errors_source").set_value("val").run()
    app.multiselect(key="errors_types").set_value(["geo"]).run()
    app.button_group(key="errors_categories").set_value(["missed entity"]).run()
    # helper-80: a click far above the list changed it out of sight: a toast says where the sentences are
    assert "listed under Sentences, below · filtered by types geo; errors missed entity" in app.toast[0].value
    app.text_input(key="errors_query").set_value(".").run()
    assert not app.toast  # typed in the list's own filters: nothing to say
    app.slider(key="errors_confidence").set_value((0.0, 0.99)).run()
    picks = [int(p.split(":")[0]) for p in app.selectbox(key="errors_pick").options]  # "N: its text"
    assert len(picks) > 1
    app.selectbox(key="errors_pick").set_value(picks[1]).run()
    listed = app.dataframe[-1].value
    app.switch_page("pages/annotate.py")  # fixing the sentence
    app.run()
    app.switch_page("pages/errors.py")  # and back through the sidebar
    app.run()
    assert not app.exception
    assert app.radio(key="errors_source").value == "val"
    assert app.multiselect(key="errors_types").value == ["geo"]
    assert app.button_group(key="errors_categories").value == ["missed entity"]
    assert app.text_input(key="errors_query").value == "."
    assert app.slider(key="errors_confidence").value == (0.0, 0.99)
    assert app.selectbox(key="errors_pick").value == picks[1]
    assert app.dataframe[-1].value.equals(listed)


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


def test_a_file_without_any_entity_is_analysed_without_a_crash(app):
    app.switch_page("pages/errors.py")
    app.run(timeout=300)
    app.radio(key="errors_source").set_value("upload a corpus file").run()
    app.file_uploader(key="errors_upload").set_value(("plain.conll", b"Only\tO\nzeros\tO\n", "text/plain")).run()
    assert not app.exception and app.dataframe[0].value.loc["micro", "f1 · single"] != app.dataframe[0].value.loc["micro", "f1 · single"]
    # NaN: nothing to score (no gold and no predicted entity) is blank, not a 0.000 that reads as a failure
    assert app.warning[0].value.startswith("No gold entity of art, eve, geo, gpe, nat, org, per, tim in these sentences\\: their")


def test_the_test_split_holds_every_type_so_none_goes_unscored(app, small_corpus):
    """helper-74: the seeded split put no GENE in the test part, and the scores just left it out. The small corpus's
    plain split has no eve in its test part either; the split the app and the command line share now does."""
    from ner_core.data.corpus import split_indices

    sentences = read_corpus(small_corpus)
    assert "B-eve" not in {t for i in split_indices(len(sentences))[2] for t in sentences[i].tags}
    app.switch_page("pages/errors.py")
    app.run(timeout=300)
    assert not app.exception and not [w for w in app.warning if "No gold entity" in w.value]
    assert app.dataframe[0].value.loc["eve", "gold entities"] > 0


def test_an_upload_is_still_analysed_after_a_visit_to_another_page(app):
    app.switch_page("pages/errors.py")
    app.run(timeout=300)
    app.radio(key="errors_source").set_value("upload a corpus file").run()
    app.file_uploader(key="errors_upload").set_value(("mine.conll", b"Paris\tB-geo\nsleeps\tO\n", "text/plain")).run()
    scores = app.dataframe[0].value
    app.switch_page("pages/predict.py").run()
    app.switch_page("pages/errors.py").run()
    assert not app.exception and any("mine.conll" in c.value for c in app.caption)
    assert app.dataframe[0].value.equals(scores)  # the same file's analysis, not an empty uploader


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


def test_the_caption_says_the_gold_holds_saved_corrections_and_which_filters_are_in_force(app):
    """helper-60: after a correction the page's scores left `evaluate --data` without a word; a search made for a split
    stayed in force on an upload, unsaid."""
    from ner_core.storage.datasets import open_dataset

    def caption(start: str) -> str:
        return next(c.value for c in app.caption if start in c.value)

    store = open_dataset("default")
    fixed = next(i for i in store.split_indices()[2] if any(t != "O" for t in store.tags(i)))
    app.switch_page("pages/errors.py")
    app.run(timeout=300)
    assert "the gold as saved" not in caption("sentences · dataset `default`")
    store.save(fixed, ["O"] * len(store.tags(fixed)), author="ann")
    app.run(timeout=300)
    assert caption("sentences · dataset `default`").endswith(
        " · the gold as saved: 1 corrected (`evaluate --dataset default --split test` reads the same; a corpus file holds "
        "the gold as it was filed)")
    app.text_input(key="errors_query").set_value("the").run()
    app.pills(key="errors_categories").set_value(["missed entity"]).run()
    assert caption(" sentences · filtered by").endswith(' sentences · filtered by errors missed entity; words "the"')
