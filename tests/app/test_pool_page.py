"""The New text page: an unranked sentence starts with the model's tags (all O, said so, without a model), and
the counts follow what the page just did."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ner_core.models.tagger import Tagger
from ner_core.storage.db import make_engine
from ner_core.storage.pool import Pool
from ner_core.storage.store import CorrectionStore

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "app.py")
SENTENCE = ("Angela", "Merkel", "visited", "Paris", "on", "Monday", ".")


@pytest.fixture
def pool_app(tiny_model, small_corpus, monkeypatch, tmp_path):
    monkeypatch.setenv("NER_MODEL", str(tiny_model[1]))
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("NER_DB_URL", url)
    pool = Pool(CorrectionStore(make_engine(url), "default", small_corpus))
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("pages/pool.py")
    return app, pool


def shown(app) -> dict:
    """What the page sent the keyboard annotator."""
    return json.loads(app.get("bidi_component")[0].proto.json)


def test_an_unranked_sentence_starts_with_the_models_tags(pool_app, tiny_model):
    app, pool = pool_app
    pool.add([SENTENCE], "news.txt", "ann")
    app.run(timeout=120)
    assert not app.exception
    item = shown(app)["items"][0]
    expected = list(Tagger.from_checkpoint(tiny_model[1]).tag([list(SENTENCE)])[0].tags)
    assert item["tags"] == expected and set(expected) != {"O"}
    assert item["detail"].startswith("Not ranked yet:") and "tags are shown" in item["detail"]
    assert item["source"] == "news.txt, sentence 1"


def test_the_counts_follow_a_file_just_added(pool_app):
    app, pool = pool_app
    app.run(timeout=120)
    assert [m.value for m in app.metric] == ["0", "0", "0"]
    app.file_uploader(key="pool_upload").set_value(("news.txt", b"Angela Merkel visited Paris on Monday.\n", "text/plain")).run()
    app.button(key="pool_add").click().run(timeout=120)
    assert not app.exception and "1 sentence(s) added" in app.success[0].value
    assert [m.value for m in app.metric] == ["1", "0", "0"]
    assert app.expander[0].proto.expanded  # the intake stays open after the first add


def test_typed_text_joins_the_pool_beside_a_file(pool_app):
    app, pool = pool_app
    app.run(timeout=120)
    app.button(key="pool_add").click().run(timeout=120)  # nothing to add yet: said, nothing added
    assert not app.exception and app.warning[0].value.startswith("Nothing to add: choose a file") and not pool.items()
    app.text_area(key="pool_text").set_value("Rain fell in Spain. The UN met in May.").run()
    app.button(key="pool_add").click().run(timeout=120)
    assert not app.exception and "2 sentence(s) added" in app.success[0].value
    assert [(i.words, i.source) for i in pool.items()] == [
        (("Rain", "fell", "in", "Spain", "."), "typed text"), (("The", "UN", "met", "in", "May", "."), "typed text")]
    assert app.text_area(key="pool_text").value == ""  # added: a second Add does not send it again
    app.file_uploader(key="pool_upload").set_value(("news.txt", b"Angela Merkel visited Paris on Monday.\n", "text/plain")).run()
    app.button(key="pool_add").click().run(timeout=120)
    assert [s.value.split(";")[0] for s in app.success] == ["1 sentence(s) added to the pool"]  # the file alone
    app.file_uploader(key="pool_upload").set_value(("more.jsonl", b'{"text": "Snow in Oslo."}\n', "text/plain"))
    app.radio(key="pool_input").set_value("text").run()  # running text, by hand: the braces would become words
    app.button(key="pool_add").click().run(timeout=120)
    [refused] = app.error
    assert refused.value.replace("\\", "").startswith("Nothing added from more.jsonl: more.jsonl: its name says a jsonl file")
    assert len(pool.items()) == 3  # nothing of it in the pool


def test_a_file_added_again_counts_the_sentences_added_from_the_pool_as_in_the_corpus(pool_app):
    app, pool = pool_app
    text = b"Angela Merkel visited Paris on Monday.\nRain fell in Spain.\nThe UN met in May.\n"
    app.run(timeout=120)
    for _ in range(2):
        app.file_uploader(key="pool_upload").set_value(("news.txt", text, "text/plain")).run()
        app.button(key="pool_add").click().run(timeout=120)
        if not pool.counts()["added"]:
            assert "3 sentence(s) added" in app.success[0].value
            first = pool.items()[0]
            pool.accept(first.id, ["O"] * len(first.words), "ann")  # now a corpus sentence
    assert not app.exception
    assert ("0 sentence(s) added to the pool; dropped: 1 already in the corpus (sentence 1 of news.txt), 2 already in the "
            "pool (sentences 2, 3 of news.txt)") in app.info[0].value  # nothing added: not said in green


def test_a_pool_ranked_by_another_entry_than_the_active_one_says_so_beside_the_button(pool_app):
    from ner_core.storage.pool import Ranked
    from ner_core.workbench.pool_rank import ranking_model

    app, pool = pool_app
    pool.add([SENTENCE], "news.txt", "ann")
    rank = [Ranked(pool.items()[0].id, 1.0, "rare types", (), ("O",) * len(SENTENCE))]
    pool.record_ranking(rank, "voted of r20250101-171043-0123456789")  # a retrain's new entry, not activated
    app.run(timeout=120)
    active = ranking_model("default")[0]
    assert "Ranked by voted of r20250101-171043-0123456789" in [t.value for t in app.text]
    assert [w.value for w in app.warning if w.value.startswith("Not the active model")]
    assert app.button(key="pool_rank").label == f"Rank the pool with {active}: a background job"
    pool.record_ranking(rank, active)  # as the button's job records it
    app.run()
    assert f"Ranked by {active}, one of the active models" in [t.value for t in app.text]
    assert not [w.value for w in app.warning if w.value.startswith("Not the active model")]
    pool.add([("Snow", "fell", "on", "Oslo", ".")], "later.txt", "ann")  # helper-83: after the ranking, unsaid
    app.run()
    assert f"Ranked by {active}, one of the active models; 1 open sentence(s) added since are not ranked: they come after the " \
           "ranked ones until the pool is ranked again" in [t.value for t in app.text]


def test_a_discarded_sentence_is_listed_and_put_back_in_the_pool(pool_app):
    app, pool = pool_app
    pool.add([SENTENCE, ("Rain", "fell", ".")], "news.txt", "ann")
    dropped = pool.items()[0]
    pool.discard(dropped.id, "bob")
    app.run(timeout=120)
    assert not [d for d in app.dataframe if "discarded by" in d.value]  # read when opened (helper-80: stale after a discard)
    app.session_state["pool_discards_open"] = True  # the expander opened
    app.run(timeout=120)
    listed = app.dataframe[0].value
    assert list(listed["discarded by"]) == ["bob"] and list(listed["sentence"]) == [" ".join(dropped.words)]
    app.selectbox(key="pool_restore_pick").set_value(pool.discarded()[0]).run()
    app.button(key="pool_restore").click().run(timeout=120)
    assert not app.exception and app.success[0].value.startswith("Back in the pool")
    assert pool.item(dropped.id).state == "open" and pool.discarded() == []
