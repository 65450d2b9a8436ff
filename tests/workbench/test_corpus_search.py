"""Finding sentences of a dataset as it is now, and who changed how much (no model), on both database backends."""
import pytest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.storage.db import make_engine
from ner_core.storage.pool import Pool
from ner_core.storage.store import CorrectionStore
from ner_core.workbench.corpus_search import ADDED, activity, corpus_rows, search

SENTENCES = [Sentence(("Iran", "met", "Iraq", str(i)), ("B-geo", "O", "B-geo", "O")) for i in range(8)] + [
    Sentence(("Ban", "and", "the", "UN", "met", "on", "Monday"), ("B-per", "O", "O", "B-org", "O", "O", "B-tim")),
    Sentence(("Mona", "Lisa", "is", "old"), ("B-art", "I-art", "O", "O")),
]


@pytest.fixture
def store(db_url, tmp_path):
    path = tmp_path / "small.conll"
    write_corpus(SENTENCES, path)
    return CorrectionStore(make_engine(db_url), "small", path)


def test_a_sentence_is_found_by_its_words_types_split_and_corrections_as_it_is_now(store):
    store.save(9, ["B-per", "I-per", "O", "O"], author="ann")  # Mona Lisa: art -> per
    pool = Pool(store)
    pool.add([("Zorblax", "visited", "Iran")], "new.txt", "ann")
    added, _ = pool.accept(pool.items()[0].id, ["B-per", "O", "B-geo"], "bob")
    rows = {r.number: r for r in corpus_rows(store)}
    assert len(rows) == 11 and rows[added].split == ADDED and rows[added].corrected
    assert rows[9].entities == (("Mona Lisa", "per"),) and rows[9].corrected and not rows[8].corrected
    assert {r.split for r in rows.values()} <= {"train", "val", "test", ADDED}
    assert [r.number for r in search(rows.values(), "MONA lisa")] == [9] == [r.number for r in search(rows.values(), "lis")]
    assert search(rows.values(), "ran") == []  # in "Iran", not at a word's start
    assert [r.number for r in search(rows.values(), types=["per"])] == [8, 9, added]  # the corrected tags, not the file's
    assert search(rows.values(), types=["art"]) == []
    assert [r.number for r in search(rows.values(), "iran", corrected_only=True)] == [added]
    assert [r.number for r in search(rows.values(), splits=[ADDED])] == [added]
    assert len(search(rows.values(), "iran", splits=["train", "val", "test"])) == 8


def test_activity_counts_each_persons_saves_and_what_was_undone_or_reverted(store):
    store.save(0, ["O", "O", "B-geo", "O"], author="ann")
    store.save(1, ["O", "O", "O", "O"], author="ann")
    store.undo("ann", 1)
    store.save(8, ["B-per", "O", "O", "B-org", "O", "O", "O"], author="bob")
    ann, bob = activity(store)
    assert (ann["person"], ann["saves"], ann["sentences"], ann["tokens changed"], ann["undone by themselves"],
            ann["reverted by others"]) == ("ann", 2, 2, 3, 2, 0)
    assert (bob["person"], bob["saves"], bob["tokens changed"], bob["undone by themselves"]) == ("bob", 1, 1, 0)
    assert ann["first save"] <= ann["last save"]


def test_activity_counts_the_sentences_each_annotator_tagged_in_double_annotation(store):
    """helper-82: ann and bob's double annotations were missing; only the adjudicator's save was counted."""
    from ner_core.storage.users import User, add_user
    from ner_core.workbench.agreement import adjudicate, assign, disagreements, save_annotation

    for name, role in (("ann", "annotator"), ("bob", "annotator"), ("rita", "reviewer")):
        add_user(store.engine, name, role, "correct horse")
    chosen = assign(store, 0.2, ("ann", "bob"), None)
    for sentence in chosen:
        n = len(store.original[sentence].words)
        save_annotation(store, sentence, ["O"] * n, User("ann", "annotator"))
        save_annotation(store, sentence, ["B-geo"] + ["O"] * (n - 1), User("bob", "annotator"))
    d = disagreements(store)[0]
    adjudicate(store, d.sentence, d.tags_b, "B", User("rita", "reviewer"), d.version)
    counts = {row["person"]: (row["double-annotated"], row["saves"]) for row in activity(store)}
    assert counts == {"ann": (len(chosen), 0), "bob": (len(chosen), 0), "rita": (0, 1)}
