"""A browser session at the review queue: ops applied once, skip rounds, the item on screen kept,
conflicts with both versions, undo, annotate-alike, and the sources that fill a split's queue."""
import pytest
from test_review_queue import ISSUES, PARTS, SENTENCES, filled, open_queue

from ner_core.data.corpus import Sentence
from ner_core.quality.label_issues import LabelIssue
from ner_core.quality.review_queue import ACCEPTED, CONSISTENCY, KEPT, MODEL, Candidate, ReviewQueue, fill_queue
from ner_core.quality.review_session import ReviewSession, fill_review_queue, flags_computed, model_source, open_elsewhere
from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore


@pytest.fixture
def queue(tmp_path):
    return filled(f"sqlite:///{tmp_path / 'queue.db'}", tmp_path)


def op(op_id: str, kind: str, item=None, version=None, tags=None) -> dict:
    return {"id": op_id, "kind": kind, "item": item, "version": version, "tags": tags}


def first(session: ReviewSession, queue, **filters):
    return session.ahead(queue, "train", **filters)[0][0]


def test_ahead_sends_one_item_per_sentence_most_suspicious_first(queue):
    ahead, rest = ReviewSession().ahead(queue, "train")
    assert [i.sentence for i in ahead] == [5, 0, 4]  # five open items on three sentences
    assert [i.sentence for i in rest] == [5, 4]
    assert [i.source for i in ReviewSession().ahead(queue, "train", sources=[CONSISTENCY])[0]] == [CONSISTENCY] * 2


def test_ops_are_applied_once_however_often_the_browser_resends_them(queue):
    session = ReviewSession()
    item = first(session, queue)
    ops = [op("a", "accept", item.id, queue.store.sentence_version(item.sentence))]
    session.apply(ops, queue, "train", "ann")
    session.apply(ops, queue, "train", "ann")  # the browser resends until acked
    session.apply([*ops, op("b", "keep", (nxt := first(session, queue)).id, queue.store.sentence_version(nxt.sentence))],
                  queue, "train", "ann")
    # the accept on "Paris" applied its sentence's consistency item too: settled with it, not asked again
    assert [(d["action"], d["sentence"], d["changed"]) for d in queue.decisions()] == [(KEPT, 0, 0), (ACCEPTED, 5, 0), (ACCEPTED, 5, 1)]
    assert session.acked == ["a", "b"] and session.pop_message()[0] == "success"
    assert queue.store.tags(item.sentence)[0] == "B-geo"
    session.apply([op("c", "accept", item.id, None), "not an op"], queue, "train", "ann")
    assert session.pop_message() == ("error", "Not saved: the browser sent a decision this page does not know.")


def test_skipping_every_item_starts_a_new_round(queue):
    session = ReviewSession()
    seen = []
    for n in range(5):
        item = first(session, queue)
        seen.append(item.id)
        session.apply([op(f"s{n}", "skip", item.id)], queue, "train", "ann")
    assert len(set(seen)) == 5  # each skip shows the next one, never one skipped this round
    assert first(session, queue).id == seen[0]  # all skipped: the round starts again
    assert session.skipped[("tiny", "train")] == []


def test_the_item_on_screen_stays_when_a_more_suspicious_one_arrives(queue):
    session = ReviewSession()
    shown = first(session, queue)
    fill_queue(queue, PARTS, lambda: SENTENCES, "train", ("run-2", lambda: [*ISSUES, LabelIssue(2, 4, "B-geo", "O", 0.99)]))
    assert queue.items("train")[0].score == 0.99
    assert first(session, queue).id == shown.id  # kept, not replaced by the new top item
    assert first(session, queue, types=["per"]).id != shown.id  # unless the filters hide it
    assert first(ReviewSession(), queue).score == 0.99  # a new session starts at the top


def test_a_stale_decision_becomes_a_conflict_with_both_versions(queue):
    session = ReviewSession()
    item = first(session, queue)  # sentence 5: "Paris" B-org -> B-geo
    seen = queue.store.sentence_version(item.sentence)
    theirs = ["B-per", "O", "O", "O"]
    queue.store.save(item.sentence, theirs, author="bob", expected_version=seen)
    session.apply([op("a", "accept", item.id, seen)], queue, "train", "ann")
    conflict = session.conflict
    assert (conflict.theirs, conflict.author, conflict.version) == (theirs, "bob", seen + 1)
    assert conflict.mine == ["B-geo", "O", "O", "O"] and conflict.decision == ACCEPTED  # the suggestion on their tags
    assert queue.is_open(item.id) and queue.store.tags(item.sentence) == theirs  # nothing overwritten
    session.overwrite(queue, "train", "ann")
    assert session.conflict is None and queue.store.tags(item.sentence) == conflict.mine and not queue.is_open(item.id)


def test_a_stale_decision_on_tokens_nobody_else_changed_is_saved_on_their_version_keeping_their_changes(queue):
    """helper-98: a keep refused as a conflict in which "0 tokens differ" (a colleague had changed another token), and
    the keys stopped until o or t. A decision whose flagged and changed tokens the save meanwhile left alone stands."""
    session = ReviewSession()
    item = first(session, queue)  # sentence 5: "Paris" B-org -> B-geo
    seen = queue.store.snapshot(item.sentence)
    theirs = list(seen.tags)
    theirs[-1] = "B-per"  # bob changes the last token
    queue.store.save(item.sentence, theirs, author="bob", expected_version=seen.version)
    mine = ["B-geo", *seen.tags[1:]]  # my edit of the first token, on the tags I was shown
    session.apply([{**op("e", "edit", item.id, seen.version, mine), "base": list(seen.tags)}], queue, "train", "ann")
    assert session.conflict is None and queue.store.tags(item.sentence) == ["B-geo", *theirs[1:]]  # bob's last token kept
    assert session.pop_message()[1].endswith("bob had changed other tokens of it meanwhile: theirs are kept.")
    other = next(i for i in queue.items("train") if i.sentence == 4 and i.start == 0)  # "John" B-per, flagged
    seen = queue.store.snapshot(4)
    queue.store.save(4, [*seen.tags[:3], "B-org", *seen.tags[4:]], author="bob", expected_version=seen.version)  # "Paris"
    session.apply([{**op("k", "keep", other.id, seen.version, list(seen.tags)), "base": list(seen.tags)}], queue, "train", "ann")
    assert session.conflict is None and not queue.is_open(other.id) and queue.store.tags(4)[3] == "B-org"
    seen, again = queue.store.snapshot(4), next(i for i in queue.items("train") if i.sentence == 4)
    theirs = [("B-per" if j == again.start else t) for j, t in enumerate(seen.tags)]  # bob retypes the flagged token itself:
    queue.store.save(4, theirs, author="bob", expected_version=seen.version)  # my keep judged what he changed
    session.apply([{**op("k2", "keep", again.id, seen.version, list(seen.tags)), "base": list(seen.tags)}], queue, "train", "ann")
    assert session.conflict is not None and session.conflict.theirs == theirs  # the user chooses


def test_undo_brings_the_item_back_and_says_what_was_undone(queue):
    session = ReviewSession()
    item = first(session, queue)
    session.apply([op("a", "accept", item.id, queue.store.sentence_version(item.sentence))], queue, "train", "ann")
    assert first(session, queue).id != item.id
    session.apply([op("u1", "undo")], queue, "train", "ann")
    assert session.pop_message() == ("success", "Undone on sentence 5: your decision 'accepted' on B-org -> B-geo "
                                                "(the item is back in the queue), 1 tag(s) set back.")
    assert first(session, queue).id == item.id and queue.store.tags(5)[0] == "B-org"
    session.apply([op("u2", "undo", item.id)], queue, "train", "ann")
    assert session.pop_message() == ("info", "Nothing of yours to undo on sentence 5.")
    session.apply([op("u3", "undo")], queue, "train", "ann")
    assert session.pop_message() == ("info", "Nothing of yours to undo.")


def test_after_a_reload_u_undoes_my_latest_stored_decision(queue):
    session = ReviewSession()
    for n in range(2):
        item = first(session, queue)
        session.apply([op(f"k{n}", "keep", item.id, queue.store.sentence_version(item.sentence))], queue, "train", "ann")
    reloaded = ReviewSession()  # a reload: a new browser session
    reloaded.apply([op("u", "undo", first(reloaded, queue).id)], queue, "train", "ann")
    assert reloaded.pop_message() == ("success", f"Undone on sentence {item.sentence}: your decision 'kept' on "
                                                 f"{item.given} -> {item.suggested} (the item is back in the queue), 0 tag(s) set back.")
    assert len(queue.decisions()) == 1 and queue.is_open(item.id)


def test_an_item_someone_decided_first_is_not_decided_twice_nor_a_conflict(queue):
    ann, bob = ReviewSession(), ReviewSession()
    item = first(ann, queue)
    assert first(bob, queue).id == item.id  # both see it
    seen = queue.store.sentence_version(item.sentence)
    ann.apply([op("a", "accept", item.id, seen)], queue, "train", "ann")
    bob.apply([op("b", "accept", item.id, seen)], queue, "train", "bob")
    decided = lambda: [d["author"] for d in queue.decisions() if d["item"] == item.id]  # noqa: E731
    assert bob.conflict is None and decided() == ["ann"]
    assert bob.pop_message() == ("info", f"Not saved: sentence {item.sentence}: this item was accepted by ann meanwhile; "
                                         "nothing was saved. On to the next item.")
    assert first(bob, queue).id != item.id
    bob.apply([op("e", "edit", item.id, seen, ["B-per", "O", "O", "O"])], queue, "train", "bob")  # other tags: a conflict
    assert bob.conflict.theirs == queue.store.tags(item.sentence)
    bob.overwrite(queue, "train", "bob")  # saved, knowingly; still one decision on the item
    assert queue.store.tags(item.sentence)[0] == "B-per" and decided() == ["ann"]
    other = next(i for i in queue.items("train") if i.sentence != item.sentence)  # another item, its sentence changed to
    now = queue.store.snapshot(other.sentence)  # what bob's accept would make: the same tags, no conflict
    queue.store.save(other.sentence, other.apply(now.tags), author="ann", expected_version=now.version)
    bob.apply([op("c", "accept", other.id, now.version)], queue, "train", "bob")
    assert bob.conflict is None and not queue.is_open(other.id)
    assert bob.pop_message()[1].endswith("ann had made this change meanwhile.")  # helper-99: "no change", unsaid whose


def test_an_accept_of_an_item_kept_meanwhile_is_a_conflict_not_a_silent_save(queue):
    """helper-84: a second tab's accept of an item the first tab kept changed the tags; the record still said kept."""
    one, two = ReviewSession(), ReviewSession()
    item = first(one, queue)
    seen = queue.store.snapshot(item.sentence)
    one.apply([op("g", "keep", item.id, seen.version)], queue, "train", "ann")
    two.apply([op("a", "accept", item.id, seen.version)], queue, "train", "ann")  # the same version: the keep changed nothing
    decided = lambda: [(d["author"], d["action"]) for d in queue.decisions() if d["item"] == item.id]  # noqa: E731
    assert queue.store.tags(item.sentence) == seen.tags and decided() == [("ann", KEPT)]
    conflict = two.conflict.shown(item.sentence, SENTENCES[item.sentence].words)
    assert (conflict["decided"], conflict["author"], conflict["theirs"]) == (KEPT, "ann", seen.tags)
    assert conflict["mine"] == item.apply(seen.tags) != seen.tags
    two.apply([op("t", "theirs", item.id, conflict["version"])], queue, "train", "ann")
    assert queue.store.tags(item.sentence) == seen.tags and decided() == [("ann", KEPT)]
    two.apply([op("g", "keep", item.id, seen.version)], queue, "train", "ann")  # helper-84: "kept: saved", though nothing was
    assert two.pop_message() == ("success", f"Sentence {item.sentence}: kept already (by you: this tab or another); nothing "
                                            "saved twice.") and decided() == [("ann", KEPT)]
    two.apply([op("a2", "accept", item.id, seen.version)], queue, "train", "ann")
    two.apply([op("o", "overwrite", item.id, two.conflict.version)], queue, "train", "ann")  # knowingly: saved as a correction
    assert queue.store.tags(item.sentence) == item.apply(seen.tags) and decided() == [("ann", KEPT)]


def ids(items) -> set[int]:
    return {i.id for i in items}


def test_two_annotators_at_one_queue_are_sent_different_items_until_a_claim_lapses(queue, monkeypatch):
    ann, bob = ReviewSession(), ReviewSession()
    looked, _ = ann.ahead(queue, "train", author="ann")
    theirs, _ = bob.ahead(queue, "train", author="bob")
    assert len(looked) >= 3 and theirs and not ids(theirs) & ids(looked[:2])  # ann only looked, and holds her next item too
    # (for a minute): before stop 53 bob was sent it, and the two decided her buffer in turn (helper-98)
    ann.apply([op("k", "keep", looked[0].id, queue.store.sentence_version(looked[0].sentence))], queue, "train", "ann")
    mine, _ = ann.ahead(queue, "train", author="ann")  # after her first decision she holds what is sent, up to half
    assert mine and theirs[0].id not in ids(mine) and mine[0].id not in ids(ReviewSession().ahead(queue, "train", author="carl")[0])  # of what is open
    assert ReviewSession().ahead(queue, "train", author="ann")[0][0].id == mine[0].id  # ann's reload: hers first
    monkeypatch.setenv("NER_CLAIM_SECONDS", "0")  # ann's browser idle too long (or overlap wanted): her items go back
    assert {i.sentence for i in mine} <= {i.sentence for i in ReviewSession().ahead(queue, "train", author="bob")[0]}


def test_annotate_alike_after_counting_then_undo(queue):
    session = ReviewSession()
    (item,) = queue.items("train", types=["nat"])
    assert session.counted(item) is None
    assert sorted(session.count_alike(queue, item).changes) == [0] and session.counted(item) is not None
    session.confirm_alike(queue, item, "ann")
    assert session.pop_message()[1].startswith("\"H5N1\" annotated as O in 1 sentence(s)")
    assert queue.store.tags(0)[0] == "O" and session.alike is None
    session.apply([op("u", "undo")], queue, "train", "ann")
    assert queue.store.tags(0)[0] == "B-nat"


def test_the_model_source_of_a_split(tmp_path):
    queue, parts = open_queue(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path), {"train": [0, 1, 2, 3], "val": [4], "test": [5]}

    def load(name: str):
        pytest.fail("no model is loaded before its issues are asked for")

    assert model_source(queue.store, parts, "train", ["single"], load) is None  # trained on them: no model flags
    assert model_source(queue.store, parts, "val", [], load) is None
    assert model_source(queue.store, parts, "val", ["single", "other"], load)[0] == "model:single"
    assert fill_review_queue(queue, PARTS, "train", ["single"], load) > 0
    assert {i.source for i in queue.items("train")} == {CONSISTENCY}


def test_accepting_an_i_suggestion_retypes_the_whole_entity_and_says_so(tmp_path):
    store = CorrectionStore(make_engine(f"sqlite:///{tmp_path / 'storm.db'}"), "storm", tmp_path / "storm.csv",
                            [Sentence(tuple("Tropical Storm Wilma hit Mexico .".split()), ("O", "B-per", "I-per", "O", "B-geo", "O"),
                                      ("NN",) * 6), Sentence(("Etna", "erupted"), ("B-nat", "O"), ("NN", "NN"))])
    queue = ReviewQueue(store)
    queue.fill("train", MODEL, "run", [Candidate(MODEL, 0, 2, 3, "I-per", "I-nat", 0.99)])
    session = ReviewSession()
    item = first(session, queue)
    session.apply([op("a", "accept", item.id, store.sentence_version(0))], queue, "train", "ann")
    assert store.tags(0) == ["O", "B-nat", "I-nat", "O", "B-geo", "O"]  # not Storm/B-per Wilma/B-nat
    assert session.pop_message() == ("success", 'Sentence 0: accepted: "Storm Wilma" per → nat (2 tag(s) changed). '
                                                "Press u to undo it.")


def test_a_skip_says_so_and_decisions_are_counted_per_split(queue):
    session = ReviewSession()
    item = first(session, queue)
    session.apply([op("s", "skip", item.id)], queue, "train", "ann")
    assert session.pop_message() == ("info", f"Skipped sentence {item.sentence}: it comes back at the end of the queue.")
    for n in range(2):
        item = first(session, queue)
        session.apply([op(f"k{n}", "keep", item.id, queue.store.sentence_version(item.sentence))], queue, "train", "ann")
    assert session.pop_message() == ("success", f"Sentence {item.sentence}: kept: the given tags stay. Press u to undo it.")
    assert session.decided[("tiny", "train")] == 2
    session.apply([op("u", "undo")], queue, "train", "ann")
    assert session.decided[("tiny", "train")] == 1 and session.decided[("tiny", "val")] == 0


def test_the_end_of_a_queue_says_where_items_are_left(queue):
    assert open_elsewhere(queue, "train") == "Nothing is open on the other splits either."
    unscored = (" The model's flags of the val split are not computed yet: score it out of sample (Model flags, above: "
                "a background job).")  # not "nothing to review": nothing was scored there
    computed = flags_computed(queue, "val", range(len(queue.store.original)))
    assert flags_computed(queue, "train", []) and not computed  # the train split's queue holds model flags
    assert open_elsewhere(queue, "val", computed=computed) == "Still open: 5 on the train split." + unscored
    assert open_elsewhere(queue, "val", types=["per"], computed=computed) == "Still open: 1 on the train split with these filters." + unscored


def test_a_split_scored_without_a_flag_has_its_flags_computed(queue):
    """A cross-validated run that flagged nothing (clean data) is not "not computed yet" (helper-52 ran it, reloaded,
    and was told to run it again)."""
    import numpy as np

    from ner_core.quality.issue_scores import store_run
    from ner_core.training.cross_val import CrossValResult

    sentences = queue.store.original[:2]
    labels = sorted({t for s in sentences for t in s.tags})
    sure = [np.eye(len(labels))[[labels.index(t) for t in s.tags]] for s in sentences]  # the fold models agree with every tag
    store_run(queue.store.engine, queue.store.name, "v", sentences, CrossValResult(labels, [0, 1], sure, [], {}), "models")
    assert flags_computed(queue, "val", [1, 5]) and not flags_computed(queue, "val", [5, 6])
    assert open_elsewhere(queue, "val", sources=[CONSISTENCY]).endswith("on the train split with these filters.")
    assert open_elsewhere(queue, "train", sources=[CONSISTENCY]) == "Still open: 3 on the train split of other types or sources."


def test_a_conflict_is_resolved_by_the_keys_ops(queue):
    session = ReviewSession()
    item = first(session, queue)
    seen = queue.store.sentence_version(item.sentence)
    theirs = ["B-per", "O", "O", "O"]
    queue.store.save(item.sentence, theirs, author="bob", expected_version=seen)
    session.apply([op("a", "accept", item.id, seen)], queue, "train", "ann")
    session.apply([op("t", "theirs", item.id, session.conflict.version)], queue, "train", "ann")
    assert session.conflict is None and queue.store.tags(item.sentence) == theirs and queue.is_open(item.id)
    assert session.pop_message() == ("info", "Kept the stored version (bob's): nothing of yours was saved; the item is "
                                             "shown again on it.")
    assert first(session, queue).id == item.id  # shown again, on their version
    session.apply([op("a2", "accept", item.id, seen)], queue, "train", "ann")  # the same stale version: a conflict again
    session.apply([op("o", "overwrite", item.id, session.conflict.version)], queue, "train", "ann")
    assert queue.store.tags(item.sentence) == ["B-geo", "O", "O", "O"] and not queue.is_open(item.id)
    session.apply([op("o2", "overwrite", item.id, 0)], queue, "train", "ann")
    assert session.pop_message() == ("info", "That conflict was resolved already.")


def test_an_edit_that_leaves_the_flagged_token_as_it_was_says_so(queue):
    session = ReviewSession()
    item = first(session, queue)
    seen = queue.store.snapshot(item.sentence)
    mine = list(seen.tags)
    other = next(j for j in range(len(mine)) if not item.start <= j < item.end)  # a token the flag is not about
    mine[other] = "B-org" if mine[other] == "O" else "O"
    session.apply([op("e", "edit", item.id, seen.version, mine)], queue, "train", "ann")
    kind, text = session.pop_message()
    assert kind == "success" and f'the flagged "{" ".join(queue.store.original[item.sentence].words[item.start:item.end])}" kept as {item.given}' in text
