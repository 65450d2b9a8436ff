"""Double annotation, agreement (hand-computed F1 and kappa), adjudication and the review of corrections."""
import math
import threading

import pytest

from ner_core.data.corpus import Sentence
from ner_core.quality.review_queue import ACCEPTED, EDITED, MODEL, Candidate, ReviewQueue
from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionError, CorrectionStore
from ner_core.storage.users import RoleError, User, add_user, remove_user
from ner_core.workbench.agreement import (
    AgreementError,
    adjudicate,
    adopt_agreed,
    agreement,
    annotation,
    assign,
    assigned_to,
    disagreements,
    kappa,
    left_to_tag_note,
    pair_agreement,
    reassign,
    save_annotation,
    untagged,
)
from ner_core.workbench.correction_review import ReviewError, decide, decisions, pending, rejections, why_not

ANN, BOB = User("ann", "annotator"), User("bob", "annotator")
RITA, ROOT = User("rita", "reviewer"), User("root", "admin")
SENTENCES = [
    Sentence(("John", "Smith", "visited", "Paris"), ("B-per", "I-per", "O", "B-geo")),
    Sentence(("The", "UN", "met", "today"), ("O", "B-org", "O", "B-tim")),
    Sentence(("Rain", "fell"), ("O", "O")),
    Sentence(("Obama", "spoke"), ("B-per", "O")),
]


@pytest.fixture
def store(db_url):
    engine = make_engine(db_url)
    for user in (ANN, BOB, RITA, ROOT):
        add_user(engine, user.name, user.role, "correct horse")
    yield CorrectionStore(engine, "demo", "demo.conll", SENTENCES)
    engine.dispose()


def test_entity_f1_and_kappa_by_hand():
    a = [["B-per", "I-per", "O", "B-geo"], ["O", "B-org", "O", "O"]]
    b = [["B-per", "O", "O", "B-geo"], ["O", "B-org", "O", "B-tim"]]
    scores = pair_agreement(a, b)
    # A's entities: per(0-2), geo, org; B's: per(0-1), geo, org, tim. Shared: geo, org.
    # P = 2/4, R = 2/3, F1 = 2PR/(P+R) = 4/7.
    assert scores["entity_f1"] == pytest.approx(4 / 7)
    assert scores["per_type"]["per"]["f1"] == 0.0 and scores["per_type"]["geo"]["f1"] == 1.0
    assert scores["per_type"]["tim"]["f1"] == 0.0
    assert {t: (c["a"], c["b"]) for t, c in scores["per_type"].items()} == {"geo": (1, 1), "org": (1, 1), "per": (1, 1), "tim": (0, 1)}
    # 8 tokens. A: B-per 1, I-per 1, O 4, B-geo 1, B-org 1. B: B-per 1, O 4, B-geo 1, B-org 1, B-tim 1.
    # agree on 6 of 8: po = 0.75; pe = (1*1 + 1*0 + 4*4 + 1*1 + 1*1 + 0*1) / 64 = 19/64; kappa = 29/45.
    assert scores["kappa"] == pytest.approx((0.75 - 19 / 64) / (1 - 19 / 64)) == pytest.approx(29 / 45)
    # per: A marks tokens 0,1, B token 0: po = 7/8; pe = (2*1 + 6*7)/64 = 44/64.
    assert scores["per_type"]["per"]["kappa"] == pytest.approx((7 / 8 - 44 / 64) / (1 - 44 / 64))
    assert scores["per_type"]["geo"]["kappa"] == pytest.approx(1.0)
    assert math.isnan(kappa(["O", "O"], ["O", "O"]))  # one label on both sides: undefined


def test_assign_annotate_measure_and_adjudicate(store):
    chosen = assign(store, 0.5, ("ann", "bob"), ROOT, seed=1)
    assert len(chosen) == 2 and assigned_to(store, "ann") == chosen == assigned_to(store, "bob")
    assert assigned_to(store, "rita") == []
    first, second = chosen
    words = {i: SENTENCES[i].words for i in chosen}
    save_annotation(store, first, ["O"] * len(words[first]), ANN)
    save_annotation(store, first, ["B-org"] + ["O"] * (len(words[first]) - 1), ANN)  # a second save replaces the first
    save_annotation(store, first, ["O"] * len(words[first]), BOB)
    save_annotation(store, second, list(SENTENCES[second].tags), ANN)
    save_annotation(store, second, list(SENTENCES[second].tags), BOB)
    assert annotation(store, first, "ann")[0] == "B-org"
    assert store.history() == []  # double annotations are not corrections
    with pytest.raises(AgreementError, match="tagged by both annotators .*your tags are final"):
        save_annotation(store, first, ["O"] * len(words[first]), ANN)  # no second look once bob's tags are in

    [pair] = agreement(store)
    assert pair.annotators == ("ann", "bob") and pair.sentences == 2 and pair.disagreements == 1
    [d] = disagreements(store)
    assert (d.sentence, d.tags_a[0], d.tags_b[0]) == (first, "B-org", "O")

    result = adjudicate(store, first, d.tags_a, "A", RITA, d.version)
    assert result.changed == sum(x != y for x, y in zip(d.tags_a, SENTENCES[first].tags)) > 0
    assert store.tags(first) == d.tags_a
    assert store.history(first)[0]["author"] == "rita"  # written as a correction, by the adjudicator
    assert disagreements(store) == [] and assigned_to(store, "ann") == [second]
    with pytest.raises(AgreementError, match=f"sentence {first} was adjudicated already, by rita"):
        adjudicate(store, first, d.tags_b, "B", ROOT, d.version)
    with pytest.raises(AgreementError, match="was adjudicated by rita"):
        save_annotation(store, first, ["O"] * len(words[first]), ANN)
    assert adopt_agreed(store, RITA) == (1, []) and assigned_to(store, "ann") == []
    assert {b.origin for b in pending(store)} == {"Agreement"}  # rita's adjudication and adoption, saved on Agreement
    assert agreement(store)[0].sentences == 2  # agreement still counts adjudicated sentences


def test_a_removed_annotators_untagged_sentences_are_handed_to_another_and_their_tagged_ones_stay(store):
    """helper-82: a removed annotator's open sentences were never adjudicated, nor free to assign again."""
    tagged, *rest = assign(store, 1.0, ("ann", "bob"), ROOT, seed=1)
    save_annotation(store, tagged, list(SENTENCES[tagged].tags), BOB)
    assert untagged(store) == {"ann": 4, "bob": 3}
    remove_user(store.engine, "bob", ROOT)
    with pytest.raises(RoleError):
        reassign(store, "bob", "rita", ANN)
    with pytest.raises(AgreementError, match="no user named 'bob'"):
        reassign(store, "ann", "bob", ROOT)
    with pytest.raises(AgreementError, match="no open sentence left untagged that ann could take"):
        reassign(store, "bob", "ann", ROOT)  # ann is the other annotator of every one
    assert untagged(store) == {"ann": 4, "bob": 3}  # refusals change nothing

    assert left_to_tag_note(store.engine, "bob") == ("; bob leaves 3 sentence(s) of 'demo' to tag in double annotation: hand "
                                                     "them to someone on the Agreement page")  # said on removing bob
    assert reassign(store, "bob", "rita", ROOT) == rest
    assert left_to_tag_note(store.engine, "bob") == ""
    assert untagged(store) == {"ann": 4, "rita": 3} and assigned_to(store, "rita") == rest
    assert assigned_to(store, "bob") == [tagged]  # bob's tags stay his: ann's and his are adjudicated
    save_annotation(store, rest[0], list(SENTENCES[rest[0]].tags), RITA)
    save_annotation(store, rest[0], list(SENTENCES[rest[0]].tags), ANN)
    [pair] = agreement(store)
    assert pair.annotators == ("ann", "rita") and pair.sentences == 1


def test_a_pair_is_one_pair_in_either_order(store):
    """helper-86: after a hand-over, (ann, rita) and (rita, ann) were two rows, each with part of their sentences."""
    first = assign(store, 0.5, ("ann", "bob"), ROOT, seed=1)
    second = assign(store, 1.0, ("rita", "ann"), ROOT)
    assert reassign(store, "bob", "rita", ROOT) == first
    for i in first + second:  # ann tags every entity, rita none
        save_annotation(store, i, list(SENTENCES[i].tags), ANN)
        save_annotation(store, i, ["O"] * len(SENTENCES[i].words), RITA)
    [pair] = agreement(store)
    assert pair.annotators == ("ann", "rita") and pair.sentences == 4 and pair.disagreements == 3  # "Rain fell": alike
    assert {t: (c["a"], c["b"]) for t, c in pair.per_type.items()} == {"geo": (1, 0), "org": (1, 0), "per": (2, 0), "tim": (1, 0)}
    with pytest.raises(AgreementError, match=f"sentence {first[0]} is not assigned to bob: it is ann's and rita's"):
        save_annotation(store, first[0], list(SENTENCES[first[0]].tags), BOB)


def test_refusals_change_nothing(store):
    with pytest.raises(RoleError, match="ann is an annotator: only admins may assign"):
        assign(store, 0.5, ("ann", "bob"), ANN)
    with pytest.raises(AgreementError, match="two different annotators"):
        assign(store, 0.5, ("ann", "ann"), ROOT)
    with pytest.raises(AgreementError, match="no user named \"'; DROP TABLE users; --\""):
        assign(store, 0.5, ("ann", "'; DROP TABLE users; --"), ROOT)
    with pytest.raises(AgreementError, match=r"the share must be in \(0, 1\]"):
        assign(store, 1.5, ("ann", "bob"), ROOT)
    assert assigned_to(store, "ann") == []
    [sentence] = assign(store, 0.25, ("ann", "bob"), ROOT)
    length = len(SENTENCES[sentence].words)
    with pytest.raises(AgreementError, match=f"sentence {sentence} is not assigned to rita"):
        save_annotation(store, sentence, ["O"] * length, RITA)
    with pytest.raises(ValueError, match="unknown tag"):
        save_annotation(store, sentence, ["<img src=x onerror=alert(1)>"] * length, ANN)
    save_annotation(store, sentence, ["B-geo"] + ["O"] * (length - 1), ANN)
    save_annotation(store, sentence, ["O"] * length, BOB)
    with pytest.raises(RoleError, match="ann is an annotator: only reviewers and admins may adjudicate"):
        adjudicate(store, sentence, ["O"] * length, "B", ANN, 0)
    with pytest.raises(ValueError, match="tags"):  # wrong length: the store refuses, the claim is released
        adjudicate(store, sentence, ["O"], "edited", RITA, 0)
    promoted = User("ann", "reviewer")  # helper-82: ann, made a reviewer, settled her own disagreement with bob
    with pytest.raises(AgreementError, match=f"sentence {sentence} is ann's own double annotation \\(with bob\\): another reviewer"):
        adjudicate(store, sentence, ["O"] * length, "A", promoted, 0)
    assert len(disagreements(store)) == 1 and store.history() == []


def test_reviewers_accept_or_reject_correction_batches(store):
    store.save(0, ["B-per", "I-per", "O", "B-org"], author="ann")
    store.save(3, ["O", "O"], author="ann")
    store.save(2, ["B-geo", "O"], author="rita")
    first, second, own = pending(store)
    assert (first.author, first.sentences, first.changes[0].word, first.changes[0].new) == ("ann", [0], "Paris", "B-org")
    with pytest.raises(RoleError, match="ann is an annotator: only reviewers and admins may review"):
        decide(store, first.batch, "accepted", ANN)
    with pytest.raises(ReviewError, match="does not review their own"):
        decide(store, own.batch, "accepted", RITA)
    assert why_not(own, RITA) == "your own corrections are reviewed by someone else"  # the button says why
    assert why_not(first, ANN).startswith("ann is an annotator")
    assert why_not(first, RITA) is None and why_not(own, None) is None  # without users, anyone decides
    with pytest.raises(ReviewError, match="no correction batch"):
        decide(store, "'; DROP TABLE corrections; --", "accepted", RITA)
    assert len(pending(store)) == 3 and decisions(store) == []

    decide(store, first.batch, "accepted", RITA)
    version = store.sentence_version(3)
    with pytest.raises(ReviewError, match="a note holds at most 500 characters"):
        decide(store, second.batch, "rejected", RITA, "x" * 501)
    decide(store, second.batch, "rejected", RITA, "  Ali is a person here  ")
    assert store.sentence_version(3) == version + 1  # a save edited before the rejection is stale
    assert store.tags(0)[3] == "B-org" and store.tags(3) == ["B-per", "O"]  # rejected = reverted
    [rejected] = [h for h in store.history(3) if h["author"] == "ann"]
    assert rejected["reverted"] and rejected["reverted by"] == "rita" and rejected["reverted at"] is not None  # who and when
    assert rejected["rejected"] is True and rejected["why"] == "Ali is a person here"  # a rejection, not an undo; and why
    assert [b.batch for b in pending(store)] == [own.batch]
    assert [(d["decision"], d["reviewer"], d["note"]) for d in decisions(store)] == [
        ("rejected", "rita", "Ali is a person here"), ("accepted", "rita", "")]
    with pytest.raises(ReviewError, match="was accepted already, by rita"):
        decide(store, first.batch, "rejected", ROOT)
    assert store.tags(0)[3] == "B-org"


def test_an_accepted_batch_is_not_undone_by_its_author(store):
    batch = store.save(0, ["B-per", "I-per", "O", "B-org"], author="ann").batch
    decide(store, batch, "accepted", RITA)
    version = store.sentence_version(0)
    with pytest.raises(CorrectionError, match="was accepted by rita on .* so it can no longer be undone: change the tags by a new save"):
        store.undo("ann")
    assert store.tags(0)[3] == "B-org" and store.sentence_version(0) == version  # the accepted change stands
    assert [(d["batch"], d["decision"]) for d in decisions(store)] == [(batch, "accepted")]
    store.save(0, ["B-per", "I-per", "O", "B-geo"], author="ann")  # she changes it back by a new save ...
    assert [b.author for b in pending(store)] == ["ann"]  # ... which a reviewer sees


def test_an_accept_and_an_undo_at_once_never_both_happen(store):
    """An accepted batch stays live; an undone one gets no decision: whichever comes first wins."""
    for _ in range(12):
        tag = next(t for t in ("B-org", "B-tim", "B-per") if t != store.tags(0)[3])  # a change every round
        batch = store.save(0, ["B-per", "I-per", "O", tag], author="ann").batch
        barrier, refused = threading.Barrier(2), []

        def accept() -> None:
            barrier.wait()
            try:
                decide(store, batch, "accepted", RITA)
            except ReviewError as err:
                refused.append(str(err))

        def undo() -> None:
            barrier.wait()
            try:
                store.undo("ann", batch=batch)
            except CorrectionError as err:
                refused.append(str(err))

        threads = [threading.Thread(target=accept), threading.Thread(target=undo)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        accepted = batch in {d["batch"] for d in decisions(store)}
        undone = not any(b.batch == batch for b in pending(store)) and not accepted
        assert len(refused) == 1 and accepted != undone, refused
        if accepted:
            assert store.tags(0)[3] == tag  # its change stands


def test_a_rejection_reopens_the_review_queue_item_decided_with_its_batch(store):
    queue = ReviewQueue(store)
    queue.fill("train", MODEL, "run", [Candidate(MODEL, 0, 3, 4, "B-geo", "B-org", 0.9)])
    [item] = queue.items("train")
    queue.decide(item.id, EDITED, "ann", 0, ["B-per", "I-per", "O", "O"])
    assert not queue.is_open(item.id)
    [batch] = pending(store)
    assert batch.origin == "Review queue"
    decide(store, batch.batch, "rejected", RITA, "the flagged tag was right")
    assert store.tags(0)[3] == "B-geo" and queue.is_open(item.id)  # the suspect tag is back, and so is its item
    assert queue.decisions() == [] and [i.id for i in queue.items("train")] == [item.id]
    assert rejections(store, [item.id]) == {  # said with it, and why
        item.id: "rita rejected ann's decision (edited) on it before: \"the flagged tag was right\""}


def test_a_rejection_reopens_an_accept_that_changed_nothing_because_a_colleague_saved_it_first(store):
    queue = ReviewQueue(store)
    queue.fill("train", MODEL, "run", [Candidate(MODEL, 0, 3, 4, "B-geo", "B-org", 0.9)])
    [item] = queue.items("train")
    tags = store.tags(0)
    carol = store.save(0, [*tags[:3], "B-org", *tags[4:]], "carol", expected_version=0)  # she fixes it on Annotate
    queue.decide(item.id, ACCEPTED, "bob", 1)  # bob accepts the same: nothing changes, no batch of his
    assert not queue.is_open(item.id)
    decide(store, carol.batch, "rejected", RITA)
    assert store.tags(0)[3] == "B-geo" and queue.is_open(item.id)  # the suspect tag is back, and so is its item


def test_a_rejection_of_a_superseded_batch_keeps_the_tags_and_the_version(store):
    ann = store.save_many({2: ["B-geo", "O"], 3: ["O", "O"]}, author="ann").batch
    store.save(2, ["B-org", "O"], author="bob")  # bob changes ann's only change of sentence 2 again
    versions = store.sentence_version(2), store.sentence_version(3)
    done = decide(store, ann, "rejected", RITA)
    assert (done.changed, done.superseded, done.by) == ((3,), (2,), ("bob",))
    assert str(done) == "Rejected: ann's save on sentences 2, 3; sentence(s) 2 keep their tags, superseded by bob's later save."
    assert store.tags(2) == ["B-org", "O"] and store.tags(3) == ["B-per", "O"]
    assert (store.sentence_version(2), store.sentence_version(3)) == (versions[0], versions[1] + 1)
    assert store.snapshot(2).author == "bob"  # a sentence the rejection leaves as it is: still bob's version

    again = store.save(2, ["B-tim", "O"], author="ann").batch
    store.save(2, ["B-per", "O"], author="bob")
    version = store.sentence_version(2)
    done = decide(store, again, "rejected", ROOT)
    assert str(done) == ("Rejected: ann's save on sentence 2; its changes had been superseded by bob's later save: "
                         "the tags stay as they are.")
    assert store.tags(2) == ["B-per", "O"] and store.sentence_version(2) == version
    assert [(d["batch"], d["decision"]) for d in decisions(store)][0] == (again, "rejected")  # recorded all the same
    assert str(decide(store, pending(store)[0].batch, "accepted", RITA)) == "Accepted: bob's save on sentence 2."


def test_a_rejection_sets_back_a_token_not_changed_since_and_keeps_one_that_was(store):
    batch = store.save(0, ["B-org", "I-org", "O", "B-org"], author="ann").batch
    store.save(0, ["B-per", "I-per", "O", "B-org"], author="bob")
    version = store.sentence_version(0)
    done = decide(store, batch, "rejected", RITA)
    assert str(done) == "Rejected: ann's save on sentence 0, set back." and done.changed == (0,)
    assert store.tags(0) == ["B-per", "I-per", "O", "B-geo"] and store.sentence_version(0) == version + 1


def test_a_rejection_that_would_break_an_entity_a_colleague_built_on_it_is_refused(store):
    """helper-69: bob tagged "Rain" B-org, ann extended it over "fell"; rejecting bob's save left "O I-org"."""
    batch = store.save(2, ["B-org", "O"], author="bob").batch
    store.save(2, ["B-org", "I-org"], author="ann")
    version = store.sentence_version(2)
    with pytest.raises(ReviewError, match="not rejected: ann built on it on sentence 2, and setting it back would change "
                       "their entity"):
        decide(store, batch, "rejected", RITA)
    assert store.tags(2) == ["B-org", "I-org"] and store.sentence_version(2) == version and pending(store)[0].batch == batch
    # helper-71: valid tags all the same, but ann's "Smith visited" would become "John Smith visited"
    split = store.save(0, ["B-per", "B-per", "O", "B-geo"], author="bob").batch
    store.save(0, ["B-per", "B-per", "I-per", "B-geo"], author="ann")
    with pytest.raises(ReviewError, match="not rejected: ann built on it on sentence 0"):
        decide(store, split, "rejected", RITA)
    store.save(1, ["O", "B-geo", "O", "B-tim"], author="bob")  # an entity of bob's; ann changes another one
    other = pending(store)[-1].batch
    store.save(1, ["O", "B-geo", "O", "O"], author="ann")
    assert decide(store, other, "rejected", RITA).changed == (1,) and store.tags(1) == ["O", "B-org", "O", "O"]


def test_an_undo_or_rejection_never_brings_back_a_type_removed_since(store):
    """helper-69: an added type untagged, then removed; undoing the untagging brought its tag back, and every later
    save of that sentence was refused for an unknown tag."""
    from ner_core.storage.entity_types import add_type, remove_type

    add_type(store, "drug", "root")
    store.save(2, ["B-drug", "O"], author="ann")
    untag = store.save(2, ["O", "O"], author="ann").batch
    remove_type(store, "drug")
    with pytest.raises(CorrectionError, match="undoing this save would bring back B-drug, of a type removed since: add the type again"):
        store.undo("ann", 2)
    with pytest.raises(ReviewError, match="not rejected: it would bring back B-drug on sentence 2, of a type removed since"):
        decide(store, untag, "rejected", RITA)
    assert store.tags(2) == ["O", "O"] and store.save(2, ["B-org", "O"], author="bob").changed == 1
    add_type(store, "drug", "root")  # taken back: now the undo may restore it
    store.undo("bob", 2)
    assert store.undo("ann", 2) is not None and store.tags(2) == ["B-drug", "O"]


def test_the_history_tells_a_rejection_from_an_undo(store):
    store.save_many({1: ["O", "B-geo", "O", "B-tim"], 2: ["B-geo", "O"]}, author="ann")
    store.undo("ann", sentence=1)  # ann undoes her change of sentence 1; rita rejects the rest of the batch
    decide(store, pending(store)[0].batch, "rejected", RITA)
    rows = {h["sentence"]: h for h in store.history()}
    assert (rows[1]["reverted"], rows[1]["rejected"], rows[1]["reverted by"]) == (True, False, "ann")
    assert (rows[2]["reverted"], rows[2]["rejected"], rows[2]["reverted by"]) == (True, True, "rita")


def test_adopting_or_adjudicating_keeps_what_someone_saved_since_the_annotators_started(store):
    """helper-61: alice fixed a token on Annotate after both annotators had tagged the sentence; "Adopt every sentence
    both tagged alike" and "Take bob's" then set it back to the annotators' O, with no word."""
    assign(store, 1.0, ("ann", "bob"), ROOT, among=[0, 1, 2])
    for user in (ANN, BOB):
        save_annotation(store, 0, ["B-per", "I-per", "O", "B-geo"], user, base=list(SENTENCES[0].tags))  # alike
    save_annotation(store, 1, ["O", "B-org", "O", "O"], ANN, base=list(SENTENCES[1].tags))  # they differ on "today"
    save_annotation(store, 1, ["O", "B-org", "O", "B-tim"], BOB, base=list(SENTENCES[1].tags))
    save_annotation(store, 2, ["B-tim", "O"], ANN, base=["O", "O"])  # alike, and alice saves "Rain" otherwise
    save_annotation(store, 2, ["B-tim", "O"], BOB, base=["O", "O"])
    store.save(0, ["B-per", "I-per", "B-org", "B-geo"], author="alice")  # "visited": nobody else touched it
    store.save(1, ["B-org", "B-org", "O", "B-tim"], author="alice")  # "The"
    store.save(2, ["B-org", "O"], author="alice")

    later = {d.sentence: d for d in disagreements(store)}
    assert sorted(later) == [1, 2] and later[2].later == (0,) and later[2].start == ["B-org", "O"]
    # the adjudicated column's default: their tags over alice's where they agree, the tag now where they differ (helper-66: ann's
    # O, so that "Take the edited column" took one annotator's side unseen)
    assert later[1].start == ["B-org", "B-org", "O", "B-tim"]
    assert adopt_agreed(store, RITA) == (1, [2])  # 2 waits: alice and the annotators changed "Rain" each their way
    assert store.tags(0) == ["B-per", "I-per", "B-org", "B-geo"]  # alice's "visited" kept: the annotators left it O
    adjudicate(store, 1, later[1].tags_b, "B", RITA, later[1].version)
    assert store.tags(1) == ["B-org", "B-org", "O", "B-tim"]  # bob's, with alice's "The"
    with pytest.raises(AgreementError, match=r'sentence 2 was saved since ann tagged it, otherwise than ann did: "Rain" now B-org, ann\'s B-tim'):
        adjudicate(store, 2, later[2].tags_a, "A", RITA, later[2].version)
    assert store.tags(2) == ["B-org", "O"]
    adjudicate(store, 2, ["B-tim", "O"], "edited", RITA, later[2].version)  # the adjudicator's own call, seeing both
    assert store.tags(2) == ["B-tim", "O"] and disagreements(store) == []


def test_an_annotation_saved_before_its_base_was_kept_counts_saves_made_after_it_as_later(store):
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from ner_core.storage.schema import DoubleAnnotation

    assign(store, 1.0, ("ann", "bob"), ROOT, among=[0])
    for user in (ANN, BOB):
        save_annotation(store, 0, ["B-per", "I-per", "O", "O"], user)  # both drop "Paris"
    with Session(store.engine) as session, session.begin():
        session.execute(update(DoubleAnnotation).values(base=None))  # as saved before migration 0014
    store.save(0, ["B-per", "I-per", "B-org", "B-geo"], author="alice")  # "visited" after their saves
    assert adopt_agreed(store, RITA) == (1, [])
    assert store.tags(0) == ["B-per", "I-per", "B-org", "O"]  # alice's "visited" kept, their "Paris" taken


def test_an_adjudication_names_its_save_whose_rejection_reopens_it_and_annotate_saves_read_as_annotate(store):
    """helper-62: the adjudicator's own Annotate saves of a sentence read as "on Agreement"; rejecting an adoption left
    its sentences settled, the annotators' agreed tags out of the corpus and nobody asked to settle them again."""
    assign(store, 1.0, ("ann", "bob"), ROOT, among=[2, 3])
    for user in (ANN, BOB):
        save_annotation(store, 2, ["B-tim", "O"], user)
        save_annotation(store, 3, ["B-per", "B-tim"], user)
    store.save(3, ["B-org", "O"], author="rita")  # on Annotate, before rita settles sentence 3 on Agreement
    store.save(3, ["B-per", "O"], author="ann")  # ... and ann sets it back: rita's "Obama" would otherwise conflict
    assert adopt_agreed(store, RITA) == (2, [])
    assert sorted((b.author, b.origin) for b in pending(store)) == [("ann", "Annotate"), ("rita", "Agreement"), ("rita", "Annotate")]
    annotate_save = next(b for b in pending(store) if b.author == "rita" and b.origin == "Annotate")
    adoption = next(b for b in pending(store) if b.origin == "Agreement")
    decide(store, adoption.batch, "rejected", ROOT)
    assert store.tags(2) == ["O", "O"] and assigned_to(store, "ann") == [2, 3]  # open again, for a person to settle:
    reopened = {d.sentence: d for d in disagreements(store)}
    assert sorted(reopened) == [2, 3] and all(d.reopened for d in reopened.values())  # listed, tagged alike as they are
    assert adopt_agreed(store, RITA) == (0, [])  # never adopted again in one click: the reviewer had rejected that
    adjudicate(store, 2, reopened[2].tags_a, "A", ROOT, reopened[2].version)
    assert store.tags(2) == ["B-tim", "O"] and annotate_save.sentences == [3]
    assert [(p.disagreements, p.adjudicated) for p in agreement(store)] == [(1, 1)]  # 3 open; 2 settled by ROOT's choice


def test_the_adjudicated_column_never_starts_with_an_entity_nobody_tagged():
    """helper-68: A's and B's overlapping entities, mixed token by token, gave "O B-geo I-eve": saved unedited as an
    eve on "floods" that neither annotator nor the gold had."""
    from ner_core.workbench.agreement import _start

    now = ["O", "B-geo", "O", "O", "B-tim", "O"]  # The Nile floods every summer .
    assert _start(["B-eve", "I-eve", "I-eve", "O", "O", "O"], ["O", "B-eve", "I-eve", "O", "O", "O"], now) == now
    agreed = _start(["B-org", "O", "O", "O", "O", "O"], ["B-org", "O", "O", "O", "B-tim", "O"], now)
    assert agreed == ["B-org", "O", "O", "O", "B-tim", "O"]  # their org and O; the tag now where they differ
