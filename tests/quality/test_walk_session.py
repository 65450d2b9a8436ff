"""The Corpus page's keyboard walk over a dataset's own sentences: each op once, saves named by version, a sentence
changed meanwhile a conflict, and undo of this walk's own decisions."""
import pytest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.quality.walk_session import WalkSession
from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore

SENTENCES = [Sentence(("Rain", "in", "Spain"), ("O", "O", "B-geo")), Sentence(("Bush", "met", "Putin"), ("B-per", "O", "O")),
             Sentence(("Snow", "in", "Oslo"), ("O", "O", "O")), Sentence(("Hi", "UN"), ("O", "B-org"))]


@pytest.fixture
def store(db_url, tmp_path):
    path = tmp_path / "corpus.conll"
    write_corpus(SENTENCES, path)
    return CorrectionStore(make_engine(db_url), "demo", path)


def op(n, kind, item=None, tags=None, version=0, base=None):
    return {"id": f"op{n}", "kind": kind, "item": item, "tags": tags, "version": version, "base": base}


def test_a_walk_saves_keeps_skips_and_undoes_in_order(store):
    walk = WalkSession()
    walk.start(("demo", "in"), [0, 1, 2])
    assert walk.ahead() == [0, 1, 2]
    ops = [op(1, "keep", 0), op(2, "accept", 1, ["B-per", "O", "B-per"]), op(3, "skip", 2)]
    walk.apply(ops, store, "ann")
    walk.apply(ops, store, "ann")  # resent until acked: each once
    assert store.tags(1) == ["B-per", "O", "B-per"] and store.sentence_version(1) == 1 and store.sentence_version(0) == 0
    assert walk.ahead() == [] and walk.left() == 0 and walk.decided[walk.started] == 2 and walk.acked == ["op1", "op2", "op3"]
    walk.apply([op(4, "undo")], store, "ann")  # the save of sentence 1: reverted, and shown again first
    assert store.tags(1) == ["B-per", "O", "O"] and walk.ahead() == [1] and "Undone: sentence 1" in walk.pop_message()[1]
    walk.apply([op(5, "undo")], store, "ann")  # the keep: nothing to revert, shown again
    assert walk.ahead() == [0, 1] and walk.decided[walk.started] == 0
    walk.start(("demo", "in"), [2])  # the same search again (a rerun): the walk goes on as it was
    assert walk.ahead() == [0, 1]
    walk.start(("demo", "oslo"), [2])  # another search: a new walk
    assert walk.ahead() == [2] and walk.mine == []


def test_a_sentence_changed_meanwhile_is_a_conflict_until_one_version_is_chosen(store):
    walk = WalkSession()
    walk.start("all", [0, 1, 2, 3])
    store.save(3, ["B-org", "I-org"], author="bob")  # after the walk showed version 0
    walk.apply([op(1, "edit", 3, ["O", "B-geo"], version=0)], store, "ann")
    assert walk.conflict is not None and walk.conflict.theirs == ["B-org", "I-org"] and walk.conflict.author == "bob"
    assert store.tags(3) == ["B-org", "I-org"]  # nothing overwritten
    walk.apply([op(2, "overwrite", 3)], store, "ann")
    assert walk.conflict is None and store.tags(3) == ["O", "B-geo"] and store.history(3)[0]["author"] == "ann"
    store.save(2, ["B-geo", "O", "O"], author="bob")
    walk.apply([op(3, "accept", 2, ["B-geo", "O", "O"], version=0)], store, "ann")  # what bob saved already: no conflict
    assert walk.conflict is None and walk.pop_message()[1] == "Sentence 2 was saved meanwhile by bob, with your change in it: nothing more to save."
    walk.apply([op(4, "edit", 0, ["B-geo", "O", "B-geo"], version=0), op(5, "accept", 99, ["O"])], store, "ann")
    assert store.tags(0) == ["B-geo", "O", "B-geo"] and walk.pop_message()[0] == "error"  # 99: not of this walk


def test_a_conflict_shows_my_edit_on_their_version_so_that_overwriting_keeps_their_other_change(store):
    """helper-67: "Yours" was my whole sentence as I saw it, so o set back bob's change to a token I never touched."""
    walk = WalkSession()
    walk.start("all", [1])
    store.save(1, ["B-per", "B-org", "O"], author="bob")  # "met" made an org (bob), after the walk showed version 0
    walk.apply([op(1, "edit", 1, ["B-per", "O", "B-geo"], version=0, base=["B-per", "O", "O"])], store, "ann")  # Putin: geo
    assert walk.conflict.mine == ["B-per", "B-org", "B-geo"] and walk.conflict.theirs == ["B-per", "B-org", "O"]
    walk.apply([op(2, "overwrite", 1)], store, "ann")
    assert store.tags(1) == ["B-per", "B-org", "B-geo"]  # bob's org kept, ann's geo added


def test_a_sessions_first_walk_resumes_where_a_reload_left_it(store):
    walk = WalkSession()
    walk.start("all", [0, 1, 2, 3], resume=2)
    assert walk.ahead() == [2, 3]
    walk.start("other", [0, 1, 2, 3], resume=2)  # a new search in the same session starts at its beginning
    assert walk.ahead() == [0, 1, 2, 3]
    fresh = WalkSession()
    fresh.start("all", [0, 1], resume=7)  # not one of them: from the start
    assert fresh.ahead() == [0, 1]


def test_two_people_walking_one_search_take_different_sentences(store):
    """A walk claims what it sends, as the review queue and New text do: a colleague's walk is sent the others."""
    ann, bob = WalkSession(), WalkSession()
    for walk in (ann, bob):
        walk.start(("demo", "all"), [0, 1, 2, 3])
    assert ann.ahead(store, "ann") == [0, 1, 2, 3]
    assert bob.ahead(store, "bob") == [2, 3]  # she only looked, and holds half for a minute (before stop 53 only 0: helper-98)
    ann.apply([op(1, "keep", 0)], store, "ann")
    assert ann.ahead(store, "ann") == [1, 3]  # 2 is on bob's screen; 0, decided, stays hers
    assert bob.ahead(store, "bob") == [2, 3]  # helper-72: 0, which she kept, does not come to him (no record keeps a keep)
    bob.apply([op(1, "accept", 2, ["B-geo", "O", "B-geo"])], store, "bob")
    assert bob.ahead(store, "bob") == [3] and ann.ahead(store, "ann") == [1]  # 2 his while he walks, 3 his share
    ann.apply([op(2, "undo")], store, "ann")  # her keep of 0 taken back: shown to her again, still hers
    assert ann.ahead(store, "ann") == [0, 1] and bob.ahead(store, "bob") == [1, 3]  # of her two open, she holds half: 0
