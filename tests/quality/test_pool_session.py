"""The pool's keyboard session and its ranking: ops applied once, in order; a sentence decided first by
someone else reported; the ranking stores scores and the model's tags with each open sentence."""
import pytest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.models.pipeline import load_any
from ner_core.quality.pool_ranking import rank_pool
from ner_core.quality.pool_session import PoolSession
from ner_core.storage.db import make_engine
from ner_core.storage.pool import ADDED, DISCARDED, OPEN, Pool
from ner_core.storage.store import CorrectionStore, StorageWriteError
from ner_core.workbench.retrain import progress_line

NEW = [("Rain", "in", "Spain"), ("The", "Louvre", "is", "in", "Paris"), ("Snow", "in", "Oslo"), ("Hi", "there")]


@pytest.fixture
def pool(tmp_path, split):
    path = tmp_path / "corpus.conll"
    write_corpus(split.train[:20] + [Sentence(("Etna", "erupted"), ("B-nat", "O"))], path)
    pool = Pool(CorrectionStore(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), "demo", path))
    pool.add(NEW, "new.txt", "ann")
    return pool


def op(n, kind, item=None, tags=None):
    return {"id": f"op{n}", "kind": kind, "item": item, "tags": tags}


def test_each_op_applies_once_in_order(pool):
    session = PoolSession()
    first, second, third = (i.id for i in pool.items()[:3])
    ops = [op(1, "accept", first, ["O", "O", "B-geo"]), op(2, "discard", second), op(3, "skip", third)]
    session.apply(ops, pool, "ann")
    session.apply(ops, pool, "ann")  # the browser resends until acked: nothing twice
    assert pool.counts() == {OPEN: 2, ADDED: 1, DISCARDED: 1}
    assert session.acked == ["op1", "op2", "op3"]
    assert [i.words for i in session.ahead(pool)] == [NEW[3]]  # the skipped one waits for the next round
    session.apply([*ops, op(4, "undo")], pool, "ann")
    assert pool.item(second).state == OPEN and "back in the pool" in session.pop_message()[1]
    session.apply([op(5, "skip", NEW and pool.items()[-1].id)], pool, "ann")
    assert len(session.ahead(pool)) >= 1


def test_u_undoes_this_sessions_decisions_only_and_passes_one_it_cannot_undo(pool):
    first, second, third = (i.id for i in pool.items()[:3])
    earlier = PoolSession()  # a tab closed since, or another tab of the same annotator
    earlier.apply([op(1, "discard", first)], pool, "ann")
    session = PoolSession()
    session.apply([op(1, "accept", second, ["O", "B-org", "O", "O", "B-geo"]), op(2, "discard", third)], pool, "ann")
    index = pool.item(second).corpus_index
    pool.store.save(index, ["O", "B-org", "O", "O", "B-gpe"], "bob", expected_version=pool.store.snapshots([index])[index].version)
    session.apply([op(3, "undo")], pool, "ann")
    assert pool.item(third).state == OPEN  # the latest first
    session.apply([op(4, "undo")], pool, "ann")
    kind, text = session.pop_message()
    assert kind == "error" and "Not undone" in text and pool.item(second).state == ADDED  # bob's save since: kept
    session.apply([op(5, "undo")], pool, "ann")
    assert "Nothing of yours to undo in this session" in session.pop_message()[1]
    assert pool.item(first).state == DISCARDED  # another session's decision is never reached


def test_a_sentence_someone_else_decided_first_is_reported_not_overwritten(pool):
    item = pool.items()[0]
    pool.discard(item.id, "bob")
    session = PoolSession()
    session.apply([op(1, "accept", item.id, ["O"] * len(item.words))], pool, "ann")
    kind, text = session.pop_message()
    assert kind == "info" and "discarded by bob" in text and text.endswith("On to the next sentence.")
    assert pool.item(item.id).state == DISCARDED
    session.apply([op(2, "accept", item.id, "not a list"), {"id": "op3", "kind": "explode"}], pool, "ann")
    assert session.pop_message()[0] == "error" and pool.counts()[ADDED] == 0


def test_an_add_after_another_add_with_other_tags_is_a_conflict_never_a_silent_loss(pool):
    item = next(i for i in pool.items() if len(i.words) == 5)  # The Louvre is in Paris
    theirs, mine = ["O", "B-org", "O", "O", "B-geo"], ["O", "B-geo", "O", "O", "B-geo"]
    other_tab, session = PoolSession(), PoolSession()  # one name in two tabs: both were sent the sentence
    other_tab.apply([op(1, "accept", item.id, theirs)], pool, "ann")
    session.apply([op(1, "edit", item.id, mine)], pool, "ann")
    index = pool.item(item.id).corpus_index
    assert session.pop_message() is None and session.conflict is not None  # not "saved": the choice is the user's
    assert (session.conflict.mine, session.conflict.theirs) == (mine, theirs) and pool.store.tags(index) == theirs
    assert session.ahead(pool, "ann") and session.conflict.shown(index, item.words)["sentence"] == index
    pool.store.save(index, ["O", "B-org", "O", "O", "B-gpe"], "bob", pool.store.snapshot(index).version)
    session.apply([op(2, "overwrite", item.id)], pool, "ann")  # bob saved since the conflict was shown: a new one
    assert session.conflict.theirs == ["O", "B-org", "O", "O", "B-gpe"] and session.conflict.author == "bob"
    session.apply([op(3, "overwrite", item.id)], pool, "ann")
    assert pool.store.tags(index) == mine and session.conflict is None
    assert session.pop_message() == ("success", f"Saved yours over bob's: sentence {index}. Undo it on Annotate.")
    other_tab.apply([op(2, "accept", item.id, theirs)], pool, "ann")  # its own resend, stale now: a conflict, no write
    other_tab.apply([op(3, "theirs", item.id)], pool, "ann")
    assert pool.store.tags(index) == mine and "nothing of yours was saved" in other_tab.pop_message()[1]
    other_tab.apply([op(4, "theirs", item.id)], pool, "ann")
    assert other_tab.pop_message() == ("info", "That conflict was resolved already.")


def test_an_undone_add_comes_back_with_the_tags_it_was_added_with(pool):
    session = PoolSession()
    item = next(i for i in pool.items() if len(i.words) == 5)
    mine = ["O", "B-org", "O", "O", "B-geo"]
    session.apply([op(1, "edit", item.id, mine), op(2, "undo")], pool, "ann")
    assert pool.item(item.id).state == OPEN and "with the tags you added it with" in session.pop_message()[1]
    assert session.ahead(pool, "ann")[0].id == item.id and session.start("demo", item.id)[0] == mine
    session.apply([op(3, "accept", item.id, mine)], pool, "ann")
    assert pool.store.tags(pool.item(item.id).corpus_index) == mine and session.start("demo", item.id) is None


def test_a_ranking_stores_scores_and_the_pre_annotation(pool, tiny_model):
    _, path = tiny_model
    events = []
    done = rank_pool(pool, load_any(path), "tiny", report=events.append)
    assert done["sentences"] == 4 and "no weak" in done["note"] and events
    assert events[-1]["done"] == events[-1]["total"] == 4 and events[-1]["eta_seconds"] == 0  # the job's progress bar
    assert progress_line(events)[1] == "scoring and pre-annotating the pool: 4/4 sentences done · finishing"
    ranked = pool.items()
    assert [i.score for i in ranked] == sorted((i.score for i in ranked), reverse=True)
    assert all(len(i.suggestion) == len(i.words) and i.ranked_with == "tiny" for i in ranked)


def ids(items) -> list[int]:
    return [i.id for i in items]


def test_a_sentence_on_one_annotators_screen_is_not_sent_to_another(pool, monkeypatch):
    ann = PoolSession()
    looked = ann.ahead(pool, "ann")
    held = len(pool_claims(pool.store, "ann"))  # ann only looked, and holds half the pool for a minute: before stop 53
    assert held == len(looked) // 2 and ids(PoolSession().ahead(pool, "bob")) == ids(looked[held:])  # the one on screen alone
    ann.apply([op(1, "discard", looked[0].id)], pool, "ann")
    mine = ann.ahead(pool, "ann")  # bob has looked[held] on screen; ann is sent the others, and holds half of them
    assert ids(mine) == ids(looked[1:held] + looked[held + 1:])
    assert not set(ids(PoolSession().ahead(pool, "carl"))) & (pool_claims(pool.store, "ann") | pool_claims(pool.store, "bob"))
    monkeypatch.setenv("NER_CLAIM_SECONDS", "0")
    assert ids(PoolSession().ahead(pool, "bob")) == ids(looked[1:])


def test_a_small_pool_stays_shared_and_two_pages_opened_at_once_show_two_sentences(tmp_path, monkeypatch):
    """Three working through eight sentences: each holds at most half of those open to them, so no one is locked out;
    a sentence another page claimed a moment before (its read done, its claim not yet) is not shown a second time."""
    from ner_core.quality import review_session
    from ner_core.storage.claims import claim

    write_corpus([Sentence(("Old",), ("O",))], tmp_path / "corpus.conll")
    store = CorrectionStore(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), "demo", tmp_path / "corpus.conll")
    pool = Pool(store)
    pool.add([(f"Sentence{i}", "here") for i in range(8)], "new.txt", "ada")
    ann, bob, carl = PoolSession(), PoolSession(), PoolSession()
    for session, who in ((ann, "ann"), (bob, "bob"), (carl, "carl")):
        first = session.ahead(pool, who)[0]
        session.apply([op(1, "skip", first.id)], pool, who)  # at work: no longer only looking
        session.ahead(pool, who)
    claimed = [pool_claims(store, who) for who in ("ann", "bob", "carl")]
    assert all(claimed) and len(set.union(*claimed)) == sum(map(len, claimed)) < 8  # each holds some, none the same
    real, raced = review_session.claim, []

    def dan_first(engine, kind, items, author, looking):  # dan's page claims eve's first sentence between her read and her claim
        if not raced:
            raced.append(claim(engine, kind, items[:1], "dan"))
        return real(engine, kind, items, author, looking)
    monkeypatch.setattr(review_session, "claim", dan_first)
    eve = PoolSession().ahead(pool, "eve")
    assert eve and eve[0].id not in pool_claims(store, "dan") and eve[0].id in pool_claims(store, "eve")


def pool_claims(store: CorrectionStore, author: str) -> set[int]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from ner_core.storage.schema import Claim

    with Session(store.engine) as session:
        return set(session.scalars(select(Claim.item_id).where(Claim.kind == "pool", Claim.author == author)))


def test_an_undone_sentence_is_on_screen_at_once_until_it_is_decided_again(pool):
    session = PoolSession()
    first, second = (i.id for i in pool.items()[:2])
    session.apply([op(1, "discard", second), op(2, "undo")], pool, "ann")
    assert ids(session.ahead(pool, "ann"))[:2] == [second, first]  # before the better-ranked sentence
    assert ids(session.ahead(pool, "ann"))[:2] == [second, first]  # on every rerun
    session.apply([op(3, "accept", second, ["O"] * 5)], pool, "ann")
    assert ids(session.ahead(pool, "ann"))[0] == first  # decided again: no longer pinned
    session.apply([op(4, "undo"), op(5, "skip", second)], pool, "ann")
    assert second not in ids(session.ahead(pool, "ann"))  # a skip passes it as any other


def test_a_skip_says_it_comes_back_and_decisions_are_counted(pool):
    session = PoolSession()
    first, second = (i.id for i in pool.items()[:2])
    session.apply([op(1, "skip", first)], pool, "ann")
    shown = pool.item(first)
    assert session.pop_message() == ("info", f"Skipped sentence {shown.line} of {shown.source}: it comes back at the end of the queue.")
    session.apply([op(2, "discard", second), op(3, "accept", first, ["O", "O", "O"])], pool, "ann")
    assert session.decided["demo"] == 2
    session.apply([op(4, "undo")], pool, "ann")
    assert session.decided["demo"] == 1


def test_an_added_sentence_is_said_with_its_entities_and_counted(pool):
    session = PoolSession()
    item = next(i for i in pool.items() if len(i.words) == 5)  # The Louvre is in Paris
    session.apply([op(1, "accept", item.id, ["O", "B-org", "O", "O", "B-geo"])], pool, "ann")
    assert "2 entities" in session.pop_message()[1] and session.decided["demo"] == 1
    other = next(i for i in pool.items() if len(i.words) == 3)
    session.apply([op(2, "edit", other.id, ["B-geo", "I-geo", "I-geo"])], pool, "ann")
    assert "1 entity." in session.pop_message()[1]  # three tags, one entity


@pytest.mark.parametrize("kind", ["accept", "discard"])
def test_a_decision_resent_to_a_new_session_is_recognised_as_saved(pool, kind):
    item = pool.items()[0]
    sent = [op(1, kind, item.id, ["O"] * len(item.words))]
    PoolSession().apply(sent, pool, "ann")
    again = PoolSession()  # a reload or a restarted server: the tab resends what it kept
    again.apply(sent, pool, "ann")
    where = f"Sentence {pool.item(item.id).corpus_index}" if kind == "accept" else "That sentence"
    assert again.pop_message() == ("success", f"{where}: {pool.item(item.id).state}: saved. Press u to undo it.")
    assert again.decided["demo"] == 1  # the tab's decision: counted in the session that took it, and u reaches it
    again.apply([op(9, "undo")], pool, "ann")
    assert pool.item(item.id).state == OPEN
    again.apply([op(10, kind, item.id, ["O"] * len(item.words))], pool, "ann")  # decided again, for the rest of the test
    assert pool.counts()[ADDED if kind == "accept" else DISCARDED] == 1
    PoolSession().apply([op(2, "discard" if kind == "accept" else "accept", item.id, ["O"] * len(item.words))], pool, "ann")
    assert pool.counts()[ADDED if kind == "accept" else DISCARDED] == 1  # another decision on it is refused


def test_a_refused_write_is_not_acked_and_is_stored_when_resent(pool, monkeypatch):
    session = PoolSession()
    first, second = (i.id for i in pool.items()[:2])
    sent = [op(1, "discard", first), op(2, "skip", second)]
    discard = Pool.discard

    def refuse(*args, **kwargs):
        raise StorageWriteError("nothing was saved: the database cannot write (read-only)")

    monkeypatch.setattr(Pool, "discard", refuse)
    session.apply(sent, pool, "ann")
    assert session.acked == [] and list(session.refused) == ["op1"]  # the skip after it waits too: order is kept
    assert "cannot write" in session.refused["op1"] and session.pop_message()[0] == "error"
    monkeypatch.setattr(Pool, "discard", discard)
    session.apply(sent, pool, "ann")
    assert session.acked == ["op1", "op2"] and session.refused == {} and pool.item(first).state == DISCARDED


def test_a_page_that_only_looked_holds_its_sentence_a_minute_a_page_at_work_five(pool, monkeypatch):
    from ner_core.storage import claims

    looked = PoolSession().ahead(pool, "ada")[0]  # ada added the text, saw the first sentence and left
    working = PoolSession()
    mine = working.ahead(pool, "ann")[0]
    working.apply([op(1, "skip", mine.id)], pool, "ann")
    held = working.ahead(pool, "ann")[0]  # ann at work: her sentence on screen held for the five minutes
    assert looked.id not in ids(PoolSession().ahead(pool, "bob"))  # within the minute: still ada's
    monkeypatch.setattr(claims, "LOOK_SECONDS", 0)  # the minute has passed
    bobs = ids(PoolSession().ahead(pool, "bob"))
    assert looked.id in bobs and held.id not in bobs


def test_an_add_with_a_type_removed_meanwhile_comes_back_first_with_the_rest_of_its_tags(pool):
    """helper-79: the add was refused as "unknown tag(s)" and the sentence came back with the model's tags, so the
    annotator's other changes were gone."""
    from ner_core.storage.entity_types import add_type, remove_type

    add_type(pool.store, "product", "admin")
    first, second = (i.id for i in pool.items()[:2])
    session = PoolSession()
    assert session.ahead(pool, "ann")[0].id == first
    remove_type(pool.store, "product")  # while the page offered it
    mine = ["B-per", "O", "B-product"]  # "Rain" made per (the annotator's change), "Spain" the removed type
    session.apply([op(1, "edit", first, mine)], pool, "ann")
    kind, text = session.pop_message()
    assert kind == "error" and "B-product" in text and "back on screen with your other tags" in text
    assert pool.item(first).state == OPEN and session.acked == ["op1"]  # refused for good: not resent
    assert session.back == "op1" and session.ahead(pool, "ann")[0].id == first  # shown first, before the next one
    assert session.start("demo", first)[0] == ["B-per", "O", "O"]
    session.apply([op(2, "edit", first, session.start("demo", first)[0])], pool, "ann")
    assert pool.item(first).state == ADDED and pool.store.tags(pool.item(first).corpus_index) == ["B-per", "O", "O"]
    assert session.start("demo", first) is None and session.ahead(pool, "ann")[0].id == second
