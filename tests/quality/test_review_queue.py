"""The review queue: filled once per source, ranked, filtered, decided for good, stale decisions refused, undo scoped."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ner_core.data.corpus import Sentence, format_corpus
from ner_core.data.tags import is_valid_iob2
from ner_core.quality.label_issues import LabelIssue
from ner_core.quality.review_queue import (
    ACCEPTED,
    CONSISTENCY,
    EDITED,
    KEPT,
    MODEL,
    QueueItem,
    ReviewQueue,
    consistency_candidates,
    describe_change,
    fill_queue,
    model_candidates,
    retag,
)
from ner_core.storage.db import make_engine
from ner_core.storage.store import CorrectionStore, StaleSaveError

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def s(words: str, tags: str) -> Sentence:
    words, tags = tuple(words.split()), tuple(tags.split())
    return Sentence(words, tags, tuple("NN" for _ in words))


SENTENCES = [
    s("H5N1 spread in Asia .", "B-nat O O B-geo O"),
    s("The H5N1 virus is back .", "O O O O O O"),
    s("H5N1 was found in Turkey .", "O O O O B-geo O"),
    s("Experts fear H5N1 .", "O O O O"),
    s("John Smith visited Paris .", "B-per I-per O B-geo O"),
    s("Paris is big .", "B-org O O O"),
]
PARTS = {"train": range(len(SENTENCES)), "val": [], "test": []}
ISSUES = [  # as from a model, numbered by corpus index
    LabelIssue(4, 3, "B-geo", "O", 0.30),
    LabelIssue(5, 0, "B-org", "B-geo", 0.90),
    LabelIssue(4, 0, "B-per", "B-org", 0.55),
]


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'queue.db'}"


def open_queue(db: str, tmp_path) -> ReviewQueue:
    """A fresh engine, store and queue on the database file: what a restarted server builds."""
    return ReviewQueue(CorrectionStore(make_engine(db), "tiny", tmp_path / "tiny.csv", SENTENCES))


def filled(db, tmp_path) -> ReviewQueue:
    queue = open_queue(db, tmp_path)
    fill_queue(queue, PARTS, lambda: SENTENCES, "train", ("run-1", lambda: ISSUES))
    return queue


def test_consistency_candidates_suggest_the_majority():
    found = consistency_candidates(SENTENCES, range(len(SENTENCES)))
    h5n1 = [c for c in found if SENTENCES[c.sentence].words[c.start] == "H5N1"]
    assert [(c.sentence, c.given, c.suggested, c.score) for c in h5n1] == [(0, "nat", "O", 0.75)]
    assert "H5N1" in h5n1[0].detail and "O 3" in h5n1[0].detail
    assert consistency_candidates(SENTENCES, [1, 2, 3]) == []  # only the given sentences' occurrences


def test_model_candidates_number_sentences_by_corpus_index():
    local = [LabelIssue(0, 1, "O", "B-geo", 0.5)]  # sentence 0 of a split whose corpus indices are [7, 9]
    (candidate,) = model_candidates(local, [7, 9])
    assert (candidate.source, candidate.sentence, candidate.start, candidate.end) == (MODEL, 7, 1, 2)


def test_items_are_ranked_by_score_and_filtered(db, tmp_path):
    queue = filled(db, tmp_path)
    items = queue.items("train")
    assert [i.score for i in items] == sorted((i.score for i in items), reverse=True)
    assert {i.source for i in items} == {MODEL, CONSISTENCY}
    assert [i.sentence for i in queue.items("train", sources=[MODEL])] == [5, 4, 4]
    assert {i.sentence for i in queue.items("train", types=["nat"])} == {0}
    assert [i.given for i in queue.items("train", types=["per"])] == ["B-per"]
    assert queue.count("train", sources=[MODEL]) == 3
    assert queue.items("val") == []


def test_the_queue_survives_a_restart_and_decided_items_leave_for_good(db, tmp_path):
    queue = filled(db, tmp_path)
    first, second, third = queue.items("train", sources=[MODEL])
    store = queue.store
    queue.decide(first.id, ACCEPTED, "ann", store.sentence_version(first.sentence))
    queue.decide(second.id, KEPT, "ann", store.sentence_version(second.sentence))  # "the gold was right"
    restarted = open_queue(db, tmp_path)
    assert fill_queue(restarted, PARTS, lambda: SENTENCES, "train", ("run-1", lambda: ISSUES)) == 0
    assert [i.id for i in restarted.items("train", sources=[MODEL])] == [third.id]
    assert restarted.store.tags(5)[0] == "B-geo"  # accepted: the suggestion is stored
    assert restarted.store.tags(4)[3] == "B-geo"  # kept: nothing changed
    assert {d["action"] for d in restarted.decisions("train")} == {ACCEPTED, KEPT}
    # a new scoring run adds only candidates not seen before; decided ones do not come back
    more = [*ISSUES, LabelIssue(2, 0, "O", "B-nat", 0.8)]
    assert fill_queue(restarted, PARTS, lambda: SENTENCES, "train", ("run-2", lambda: more)) == 1
    assert first.id not in {i.id for i in restarted.items("train")}


def test_a_stale_decision_is_refused_and_nothing_is_recorded(db, tmp_path):
    queue = filled(db, tmp_path)
    item = queue.items("train", sources=[MODEL])[0]  # sentence 5: "Paris" B-org -> B-geo
    seen = queue.store.sentence_version(item.sentence)
    other = ["B-per", "O", "O", "O"]
    queue.store.save(item.sentence, other, author="bob", expected_version=seen)  # another tab saves first
    with pytest.raises(StaleSaveError) as refused:
        queue.decide(item.id, EDITED, "ann", seen, ["B-nat", "O", "O", "O"])
    assert refused.value.tags == other and refused.value.author == "bob" and refused.value.version == seen + 1
    with pytest.raises(StaleSaveError):
        queue.decide(item.id, KEPT, "ann", seen)  # keeping the gold is a decision on a version too
    assert queue.is_open(item.id) and queue.store.tags(item.sentence) == other
    queue.decide(item.id, EDITED, "ann", refused.value.version, ["B-geo", "O", "O", "O"])  # overwrite, knowingly
    assert not queue.is_open(item.id) and queue.store.tags(item.sentence)[0] == "B-geo"


def test_an_item_whose_suggestion_a_colleague_applied_meanwhile_is_not_asked_again(db, tmp_path):
    """bob fixes "Paris" on Annotate while the item waits in ann's queue: it is settled as his, not shown to ann (who
    would have pressed a key for nothing); his undo, or a rejection of his save, brings it back."""
    from ner_core.quality.review_session import ReviewSession
    from ner_core.workbench.correction_review import decide

    queue = filled(db, tmp_path)
    paris = queue.items("train", sources=[MODEL])[0]  # sentence 5: "Paris" B-org -> B-geo
    store, ann = queue.store, ReviewSession()
    assert ann.ahead(queue, "train", sources=[MODEL], author="ann")[0][0].id == paris.id
    store.save(5, ["B-geo", "O", "O", "O"], author="bob")
    ahead, _ = ann.ahead(queue, "train", sources=[MODEL], author="ann")
    assert paris.id not in [i.id for i in ahead] and not queue.is_open(paris.id)
    assert [(d["item"], d["action"], d["author"], d["changed"]) for d in queue.decisions("train")] == [(paris.id, ACCEPTED, "bob", 0)]
    store.undo("bob", 5)
    assert queue.is_open(paris.id) and paris.id in [i.id for i in ann.ahead(queue, "train", sources=[MODEL], author="ann")[0]]
    batch = store.save(5, ["B-geo", "O", "O", "O"], author="bob").batch
    ann.ahead(queue, "train", sources=[MODEL], author="ann")
    decide(store, batch, "rejected", None)
    assert queue.is_open(paris.id) and store.tags(5)[0] == "B-org"


def test_an_item_whose_tokens_a_colleague_changed_otherwise_says_what_they_are_now(db, tmp_path):
    queue = filled(db, tmp_path)
    paris = next(i for i in queue.items("train", sources=[MODEL]) if i.sentence == 5)  # "Paris" B-org -> B-geo
    alike = next(i for i in queue.items("train", sources=[CONSISTENCY]) if i.sentence == 5)  # "Paris": org -> geo
    store = queue.store
    assert paris.changed_since(store.snapshot(5)) is None and alike.changed_since(store.snapshot(5)) is None
    store.save(5, ["B-per", "O", "O", "O"], author="bob")  # neither the given nor the suggestion
    assert paris.changed_since(store.snapshot(5)) == "changed since it was flagged, by bob: now B-per"
    assert alike.changed_since(store.snapshot(5)) == "changed since it was flagged, by bob: now per"
    store.save(5, ["B-per", "I-per", "O", "O"], author="bob")
    assert alike.changed_since(store.snapshot(5)) == "changed since it was flagged, by bob: now part of another entity"


def test_undo_acts_only_on_the_authors_decision_on_that_sentence(db, tmp_path):
    queue = filled(db, tmp_path)
    paris, per = queue.items("train", sources=[MODEL])[:2]  # sentences 5 and 4
    store = queue.store
    queue.decide(paris.id, ACCEPTED, "ann", store.sentence_version(5))
    queue.decide(per.id, ACCEPTED, "bob", store.sentence_version(4))
    assert queue.undo("ann", 4) is None  # bob's decision there is not ann's to undo
    assert queue.undo("bob", 5) is None
    undone = queue.undo("ann", 5)
    assert undone.item.id == paris.id and undone.action == ACCEPTED and undone.tokens == 1
    assert "sentence 5" in str(undone)
    assert queue.is_open(paris.id) and store.tags(5)[0] == "B-org"
    assert not queue.is_open(per.id) and store.tags(4)[0] == "B-org"  # bob's decision stands
    assert queue.undo("ann", 5) is None  # nothing left of ann's there


def test_annotate_alike_changes_every_occurrence_and_one_undo_reverts_it(db, tmp_path):
    queue = filled(db, tmp_path)
    (item,) = queue.items("train", types=["nat"])
    changes = queue.alike(item)
    assert sorted(changes.changes) == [0] and changes.changes[0][0] == "O"
    assert queue.decide_alike(item, changes, "ann").changed == 1
    assert not queue.is_open(item.id) and queue.store.tags(0)[0] == "O"
    undone = queue.undo("ann", 0)
    assert undone.tokens == 1 and queue.is_open(item.id) and queue.store.tags(0)[0] == "B-nat"


def test_annotate_alike_leaves_a_sentence_changed_meanwhile_as_it_is(db, tmp_path):
    queue = filled(db, tmp_path)
    (item,) = queue.items("train", types=["nat"])  # "Etna": B-nat in sentence 0, the majority says O
    counted = queue.alike(item)
    theirs = ["B-nat", "O", "O", "B-per", "O"]
    queue.store.save(0, theirs, author="bob", expected_version=counted.versions[0])  # saved between count and confirm
    done = queue.decide_alike(item, counted, "ann")
    assert (done.changed, done.saved, done.stale) == (0, [], [0])
    assert queue.store.tags(0) == theirs and queue.is_open(item.id)  # nothing of bob's overwritten


def test_undo_of_an_alike_decision_reverts_that_batch_only(db, tmp_path):
    queue = filled(db, tmp_path)
    (item,) = queue.items("train", types=["nat"])
    queue.decide_alike(item, queue.alike(item), "ann")
    later = queue.store.snapshot(5)
    queue.store.save(5, ["B-geo", *later.tags[1:]], author="ann", expected_version=later.version)  # ann's later, unrelated save
    undone = queue.undo("ann", 0)
    assert undone.item.id == item.id and undone.sentences == [0]
    assert queue.store.tags(0)[0] == "B-nat" and queue.store.tags(5)[0] == "B-geo"  # the later save stands


@pytest.fixture
def review_app(tmp_path, monkeypatch, corpus):
    """The app over a 300-sentence corpus file, with a fresh database."""
    path = tmp_path / "small.csv"
    path.write_text(format_corpus(corpus[:300], "csv"))
    monkeypatch.setenv("NER_CORPUS", str(path))
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("NER_CHECKPOINTS", str(tmp_path / "no-checkpoints"))
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page("pages/review.py")
    return app


def test_review_page_shows_the_first_item_and_the_next_ones(review_app):
    app = review_app
    app.run()
    assert not app.exception
    assert app.session_state["review_split"] == "train"
    upcoming = [line.split() for line in app.text[-1].value.splitlines()]  # sentence, score, source, given -> suggested, words
    assert len(upcoming) == 8
    assert {row[2] for row in upcoming} == {CONSISTENCY}  # no model, no cross-validated scores: strings only
    assert {row[1] for row in upcoming} == {"-"}  # a string's score (its majority's share) says nothing: not shown
    app.radio(key="review_split").set_value("test").run()
    assert not app.exception
    assert "evaluation only" in app.info[0].value


def annotator_data(app) -> dict:
    """What the review page passed to the keyboard annotator on its last run."""
    return json.loads(app.get("bidi_component")[0].proto.json)


def test_review_page_shows_what_a_strings_counts_are_and_where_items_are_left(review_app):
    app = review_app
    app.run()
    data = annotator_data(app)
    assert data["items"][0]["score"] is None and " is tagged " in data["items"][0]["detail"]  # not a "score 1.000"
    assert data["decided"] == 0
    app.pills(key="review_sources").set_value([MODEL]).run()  # no model flags the train split: nothing left
    left = annotator_data(app)
    assert left["items"] == [] and left["elsewhere"].startswith(f"Still open: {data['open']:,} on the train split of other types or sources.")
    assert "The model's flags of the train split are not computed yet" in left["elsewhere"]  # not "nothing to review"


def test_review_page_keeps_its_split_and_place_across_a_page_switch(review_app):
    app = review_app
    app.run()
    app.radio(key="review_split").set_value("val").run()
    place = dict(app.session_state["review_session"].current)
    app.switch_page("pages/registry.py").run()
    app.switch_page("pages/review.py").run()
    assert not app.exception
    assert app.session_state["review_split"] == "val"
    assert app.session_state["review_session"].current == place


def test_annotate_link_to_no_sentence_gives_a_message(review_app):
    app = review_app
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = "abc"
    app.run()
    assert not app.exception
    assert "does not name a sentence" in app.error[0].value
    assert app.text[0].value == "abc"  # the link's value, as plain text


def test_annotate_link_naming_two_sentences_opens_the_first_and_says_so(review_app):
    app = review_app
    app.switch_page("pages/annotate.py")
    app.query_params["sentence"] = ["5", "7"]
    app.run()
    assert not app.exception
    assert "names 2 sentences; showing the first" in app.info[0].value
    assert app.session_state["annotate_sentence"] == 5 and app.query_params["sentence"] == "5"


def test_review_page_starts_the_cross_validation_job_for_its_split(review_app):
    from processes import stop_jobs

    from ner_core.workbench.jobs import job_status, latest_job

    app = review_app
    app.run()
    assert not app.exception
    try:
        app.button(key="review_cross_val").click().run()
        assert not app.exception
        job = latest_job("default", "cross-val")
        assert job is not None
        spec = job_status(job)["spec"]  # a CrossValJobSpec, as stored
        assert (spec["dataset"], spec["split"], spec["config"]["folds"]) == ("default", "train", 5)
        assert (spec["config"]["recipe"], spec["config"]["budget_minutes"]) == ("auto", 60)  # the fold models choose
        assert any(t.value.startswith(f"Last run {job} (started ") for t in app.text)  # the page drawn again, the job followed
    finally:
        stop_jobs()


@pytest.mark.parametrize("tags, token, suggested, expected", [
    ("O B-per I-per O", 2, "I-nat", "O B-nat I-nat O"),  # "Tropical Storm Wilma": the entity retyped, never split
    ("B-per B-per O", 1, "I-per", "B-per I-per O"),  # continues the entity before it: one entity
    ("B-geo O O", 1, "I-geo", "B-geo I-geo O"),  # an O token that continues an entity joins it
    ("B-per O O", 1, "I-geo", "B-geo I-geo O"),  # ... of the suggested type, the entity before it retyped
    ("O O B-org I-org", 2, "I-geo", "O O B-geo I-geo"),  # nothing before it to continue: it starts one, its own entity retyped
    ("B-per I-per I-per", 1, "O", "B-per O B-per"),  # O inside an entity: the tokens around it stay entities
    ("B-per I-per I-per", 2, "O", "B-per I-per O"),
    ("B-per I-per I-per", 1, "B-org", "B-per B-org I-org"),  # B- inside: the entity split there, the rest retyped
    ("B-per I-per", 0, "B-org", "B-org I-org"),  # B- where the entity starts: the entity retyped
    ("O O O", 1, "B-geo", "O B-geo O"),
])
def test_a_token_suggestion_applies_to_the_entity_it_belongs_to(tags, token, suggested, expected):
    item = QueueItem(MODEL, 0, token, token + 1, tags.split()[token], suggested, 0.9)
    applied = item.apply(tags.split())
    assert applied == expected.split() and is_valid_iob2(applied)


def test_retag_keeps_the_rest_of_an_entity_it_cuts():
    assert retag(["B-per", "I-per", "O"], 1, 2, "geo") == ["B-per", "B-geo", "O"]  # "Angela Merkel": Angela stays per
    assert retag(["B-per", "I-per", "I-per"], 1, 2, "O") == ["B-per", "O", "B-per"]
    assert retag(["B-per", "I-per", "B-org"], 0, 3, "geo") == ["B-geo", "I-geo", "I-geo"]  # covered entirely: replaced


def test_describe_change_names_each_entity_changed():
    words = "Tropical Storm Wilma hit Angela Merkel in Paris".split()
    before = "O B-per I-per O B-per I-per O O".split()
    after = "O B-nat I-nat O B-per B-geo O B-geo".split()
    assert describe_change(words, before, after) == ('"Storm Wilma" per → nat; "Angela Merkel" per → "Angela" per + '
                                                     '"Merkel" geo; "Paris" O → geo')
    assert describe_change(words, after, before).endswith('"Paris" geo → O')
    assert describe_change(words, before, before) == "no change"


def test_an_item_says_what_its_score_means():
    model = QueueItem(MODEL, 0, 0, 1, "I-per", "I-nat", 0.997, "model: P(I-per) = 0.003")  # stored with an older wording
    assert model.note == "model's P(given I-per) = 0.003"
    (candidate,) = model_candidates([LabelIssue(0, 1, "O", "B-geo", 0.25)])
    assert candidate.detail == "model's P(given O) = 0.750"
    h5n1 = next(c for c in consistency_candidates(SENTENCES, range(len(SENTENCES))) if c.given == "nat")
    assert h5n1.detail == '"H5N1" is tagged O 3×, nat 1× in the corpus'


def test_two_servers_filling_one_queue_at_once_add_its_items_once(db_url, tmp_path):
    """helper-73: two instances started together both filled the queue, and the second's warm-up stopped on the
    unique key of an item the first had just added."""
    first, second = (ReviewQueue(CorrectionStore(make_engine(db_url), "tiny", tmp_path / "tiny.csv", SENTENCES)) for _ in range(2))

    def filled_meanwhile():  # the other server fills it after this one looked, before this one writes
        assert second.fill("train", MODEL, "run-1", model_candidates(ISSUES)) == 3
        yield from model_candidates(ISSUES)

    assert first.fill("train", MODEL, "run-1", filled_meanwhile()) == 0
    assert len(first.items("train")) == 3 and first.filled("train", MODEL, "run-1")


def test_two_annotators_deciding_one_item_at_the_same_moment_store_one_decision(db_url, tmp_path):
    """helper-98: on SQLite an item kept by two annotators at once had two decisions: the check for an earlier one ran
    outside the write transaction. Each round, two threads keep the same item at once; one decision is stored, the other
    told who decided first."""
    import threading

    from ner_core.quality.review_queue import AlreadyDecided

    queues = [ReviewQueue(CorrectionStore(make_engine(db_url), "tiny", tmp_path / "tiny.csv", SENTENCES)) for _ in range(2)]
    fill_queue(queues[0], PARTS, lambda: SENTENCES, "train", ("run-1", lambda: ISSUES))
    item = queues[0].items("train", sources=[MODEL])[0]
    for _ in range(15):
        version, outcomes, start = queues[0].store.sentence_version(item.sentence), [], threading.Barrier(2)

        def keep(queue, author):
            start.wait()
            try:
                queue.decide(item.id, KEPT, author, version)
                outcomes.append(author)
            except AlreadyDecided:
                outcomes.append("refused")

        threads = [threading.Thread(target=keep, args=(queue, name)) for queue, name in zip(queues, ("ann", "bob"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes)[-1] == "refused" and len(queues[0].decisions()) == 1, outcomes
        [winner] = [o for o in outcomes if o != "refused"]
        assert queues[0].undo(winner, item.sentence) is not None and queues[0].is_open(item.id)
