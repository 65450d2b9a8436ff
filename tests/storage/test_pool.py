"""A dataset's pool: intake with duplicates and limits, adds into the training split, discards, undo, conflicts."""
import threading

import pytest

from ner_core.data.corpus import Sentence, write_corpus
from ner_core.storage.db import make_engine
from ner_core.storage.pool import ADDED, OPEN, Pool, PoolError, Ranked
from ner_core.storage.store import CorrectionError, CorrectionStore, StaleSaveError

SENTENCES = [Sentence(("John", "lives", "in", "Paris"), ("B-per", "O", "O", "B-geo")),
             Sentence(("Mona", "Monday", "France", "UN", "Etna", "Olympics"), ("B-art", "B-tim", "B-gpe", "B-org", "B-nat", "B-eve"))]
NEW = [("The", "Louvre", "holds", "the", "Mona", "Lisa"), ("Rain", "in", "Spain"), ("Hurricane", "Katrina", "came")]


@pytest.fixture
def store(db_url, tmp_path):
    path = tmp_path / "corpus.conll"
    write_corpus(SENTENCES * 5, path)  # 10 sentences: a split with a training part of 8
    return CorrectionStore(make_engine(db_url), "demo", path)


@pytest.fixture
def pool(store):
    Pool(store).add(NEW, "new.txt", "ann")
    return Pool(store)


def test_intake_drops_duplicates_of_the_corpus_and_the_pool_and_counts_them(store):
    pool = Pool(store)
    first = pool.add([*NEW, NEW[0], SENTENCES[0].words, ()], "a.txt", "ann")
    assert (first.added, first.repeats, first.corpus_duplicates, first.empty, first.size) == (3, 1, 1, 1, 3)
    assert first.summary() == ("3 sentence(s) added to the pool; dropped: 1 already in the corpus (sentence 5 of a.txt), "
                               "1 repeated in the file (sentence 4 of a.txt), 1 empty (sentence 6 of a.txt); 3 open in the pool")
    again = pool.add([NEW[1], ("Snow", "in", "Oslo")], "b.txt", "bob")
    assert (again.added, again.pool_duplicates, again.size) == (1, 1, 4)
    assert "1 already in the pool" in again.summary()
    assert [i.line for i in pool.items()] == [1, 2, 3, 2]  # file order before any ranking
    retokenised = pool.add([("John", "lives", "in", "Par", "is"), ("John", "lives", "in", "Paris", "!")], "c.txt", "cy")
    assert (retokenised.added, retokenised.corpus_duplicates) == (1, 1)  # a corpus sentence split another way is the corpus's
    shouted = pool.add([tuple(w.upper() for w in SENTENCES[0].words), tuple(w.lower() for w in NEW[1])], "d.txt", "di")
    assert (shouted.added, shouted.corpus_duplicates, shouted.pool_duplicates) == (0, 1, 1)  # helper-83: a test sentence in
    # capitals went into the pool, and could be added to training


def test_sentences_mostly_in_a_script_the_corpus_does_not_use_are_dropped_unless_asked(store):
    foreign = [("Москва", "—", "столица", "России", "."), ("北京是中国的首都", "。"), ("Москва", "Moscow")]
    pool = Pool(store)
    intake = pool.add([*foreign, ("Zoë", "met", "Ødegaard", "in", "Málaga")], "a.txt", "ann")
    assert (intake.added, intake.other_scripts) == (2, (("CYRILLIC", 1), ("CJK", 1)))  # half Latin stays; accents are Latin
    assert "dropped: 2 mostly in a script the corpus does not use (CYRILLIC 1, CJK 1)" in intake.summary()
    kept = pool.add(foreign, "a.txt", "ann", any_script=True)
    assert (kept.added, kept.pool_duplicates, kept.other_scripts) == (2, 1, ())


def test_a_pool_over_its_limit_is_refused_whole(store, monkeypatch):
    monkeypatch.setenv("NER_MAX_POOL_SENTENCES", "3")
    pool = Pool(store)
    pool.add(NEW[:2], "a.txt", "ann")
    with pytest.raises(PoolError, match="over the limit of 3 .*nothing was added"):
        pool.add([NEW[2], ("Snow", "in", "Oslo")], "b.txt", "ann")
    assert pool.counts()[OPEN] == 2
    first = pool.items()[0]
    pool.discard(first.id, "ann")  # a decided sentence no longer takes room
    assert pool.add([NEW[2], ("Snow", "in", "Oslo")], "b.txt", "ann").added == 2
    monkeypatch.setenv("NER_MAX_POOL_SENTENCES", "0")
    with pytest.raises(PoolError, match="1 or more"):
        pool.add([("Hail", "in", "Bern")], "c.txt", "ann")


def test_the_same_sentence_tokenised_another_way_is_one_pool_sentence(store):
    pool = Pool(store)
    assert pool.add([("Storm", "Omega", "hit", "New-Orleans", ".")], "a.txt", "ann").added == 1
    again = pool.add([("Storm", "Omega", "hit", "New", "-", "Orleans", "."), ("Rain", "fell", ".")], "b.txt", "ann")
    assert (again.added, again.pool_duplicates) == (1, 1)


def test_an_added_sentence_joins_the_training_split_with_history_version_and_export(store, pool):
    item = pool.items()[0]
    index, saved = pool.accept(item.id, ["O", "B-art", "O", "O", "B-art", "I-art"], "ann")
    assert index == len(store.original) and saved.changed == 3 and saved.batch
    state = store.snapshot(index)
    assert state.tags == ["O", "B-art", "O", "O", "B-art", "I-art"] and state.version == 1 and state.author == "ann"
    assert Sentence(NEW[0], tuple(state.tags)) in store.split().train
    assert store.split().train[-1].words == NEW[0] and len(store.split().val) == 1
    assert store.corpus()[-1].words == NEW[0] and len(store.corrected()) == len(store.original)
    assert {h["word"] for h in store.history(index)} == {"Louvre", "Mona", "Lisa"}
    assert pool.counts() == {OPEN: 2, ADDED: 1, "discarded": 0}
    assert store.counts()["added"] == 1  # the export panel's summary counts it (it is in the export)
    # corrected like any sentence afterwards, by version
    store.save(index, ["O", "B-geo", "O", "O", "B-art", "I-art"], "bob", expected_version=1)
    assert store.snapshot(index).version == 2
    # a sentence without entities is added too (a negative example), and gets the next index
    other, saved = pool.accept(other_item := pool.items()[0].id, ["O", "O", "O"], "ann")
    assert other == index + 1 and saved.changed == 0 and store.snapshot(other).version == 1
    count, entities = pool.added_since(None)
    assert count == 2 and entities == {"geo": 1, "art": 1}
    assert pool.undo("ann", other_item) is not None  # the second add undone: its number stays unused
    last = pool.items()[-1]
    third, _ = pool.accept(last.id, ["O"] * len(last.words), "ann")
    csv = store.export("csv").decode()  # numbered as the app numbers them (helper-66: +1 before), the undone add's gap kept
    assert csv.splitlines()[1].startswith("Sentence: 0,")
    assert f"Sentence: {index}," in csv and f"Sentence: {third}," in csv and f"Sentence: {index + 1}," not in csv


def test_a_sentence_is_decided_once_even_by_two_people_at_once(pool):
    item, errors, done = pool.items()[0], [], []

    def add(name):
        try:
            done.append(pool.accept(item.id, ["O"] * len(item.words), name))
        except PoolError as err:
            errors.append(str(err))

    threads = [threading.Thread(target=add, args=(name,)) for name in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == 1 and len(errors) == 1 and "meanwhile" in errors[0]
    with pytest.raises(PoolError, match="added by"):
        pool.discard(item.id, "carl")


def test_undo_reopens_a_discard_and_takes_an_add_back_out_of_the_corpus(store, pool):
    first, second = pool.items()[:2]
    pool.discard(first.id, "ann")
    assert pool.undo("ann", first.id).state == OPEN
    index, _ = pool.accept(second.id, ["B-geo", "O", "B-geo"], "ann")
    assert store.split().train[-1].words == second.words
    undone = pool.undo("ann", second.id)
    assert undone.id == second.id and undone.state == OPEN
    assert second.words not in [s.words for s in store.split().train]
    assert store.snapshot(index).tags == ["O", "O", "O"]
    again, _ = pool.accept(second.id, ["O", "O", "B-geo"], "bob")  # a re-add keeps its index
    assert again == index and store.snapshot(index).tags == ["O", "O", "B-geo"]
    assert pool.undo("nobody", second.id) is None


def test_a_sentence_whose_add_was_undone_takes_no_save_and_a_re_add_starts_from_all_o(store, pool):
    item = pool.items()[2]  # Hurricane Katrina came
    index, _ = pool.accept(item.id, ["O", "B-nat", "O"], "ann")
    pool.undo("ann", item.id)
    assert not store.in_corpus(index) and store.in_corpus(0)
    with pytest.raises(CorrectionError, match=f"sentence {index} is not in the corpus: its add from the pool was undone or rejected"):
        store.save(index, ["B-eve", "O", "O"], "alice")
    assert store.snapshot(index).tags == ["O", "O", "O"]
    again, result = pool.accept(item.id, ["O", "B-nat", "O"], "bob")  # what bob was shown is what is stored
    assert again == index and store.snapshot(index).tags == ["O", "B-nat", "O"] and result.changed == 1


def test_reviewers_see_and_reject_an_add_from_the_pool_which_goes_back_to_the_pool(store, pool):
    from ner_core.workbench.correction_review import decide, pending

    item = pool.items()[0]
    index, _ = pool.accept(item.id, ["O", "B-art", "O", "O", "B-art", "I-art"], "ann")
    batch, = pending(store)
    assert batch.sentences == [index] and [c.word for c in batch.changes] == ["Louvre", "Mona", "Lisa"]
    assert batch.origin == "New text"
    decide(store, batch.batch, "rejected", None)
    assert pool.item(item.id).state == OPEN and index not in store.added() and not pending(store)


def test_rejecting_an_add_is_refused_once_someone_else_saved_the_sentence(store, pool):
    """helper-61: the rejected add took bob's later correction out of the corpus with it, and the next add of the
    sentence marked bob's row as undone by the adder."""
    from ner_core.workbench.correction_review import ReviewError, decide, pending

    item = pool.items()[0]
    index, _ = pool.accept(item.id, ["O", "B-art", "O", "O", "B-art", "I-art"], "ann")
    fixed = ["O", "B-art", "O", "B-geo", "B-art", "I-art"]
    store.save(index, fixed, author="bob")
    add = next(b for b in pending(store) if b.origin == "New text")
    with pytest.raises(ReviewError, match=rf"not rejected: bob saved sentence {index} since it was added from the pool"):
        decide(store, add.batch, "rejected", None)
    assert index in store.added() and store.tags(index) == fixed and pool.item(item.id).state != OPEN
    assert {b.batch for b in pending(store)} >= {add.batch}  # still waiting for a decision


def test_an_add_without_any_entity_is_reviewed_as_any_other_add(store, pool):
    """helper-62: a sentence added all O wrote no correction row, so it never reached Review corrections."""
    from ner_core.workbench.correction_review import decide, decisions, pending

    first, second = pool.items()[:2]
    kept, _ = pool.accept(first.id, ["O"] * len(first.words), "ann")
    dropped, _ = pool.accept(second.id, ["O"] * len(second.words), "ann")
    waiting = pending(store)
    assert [(b.author, b.origin, b.added, b.sentences, b.changes) for b in waiting] == [
        ("ann", "New text", (kept,), [kept], ()), ("ann", "New text", (dropped,), [dropped], ())]
    assert str(decide(store, waiting[0].batch, "accepted", None, name="rita")) == f"Accepted: ann's save on sentence {kept}."
    decide(store, waiting[1].batch, "rejected", None, name="rita")
    assert kept in store.added() and dropped not in store.added() and pool.item(second.id).state == OPEN and not pending(store)
    made = {d["decision"]: d for d in decisions(store)}
    assert (made["accepted"]["author"], made["accepted"]["sentences"], made["accepted"]["tokens"]) == ("ann", str(kept), 0)
    assert (made["rejected"]["reviewer"], made["rejected"]["sentences"]) == ("rita", str(dropped))


def test_undo_of_an_add_is_refused_once_someone_else_changed_it(store, pool):
    item = pool.items()[0]
    index, _ = pool.accept(item.id, ["O"] * len(item.words), "ann")
    store.save(index, ["B-geo"] + ["O"] * (len(item.words) - 1), "bob", expected_version=1)
    with pytest.raises(StaleSaveError, match="changed by bob"):
        pool.undo("ann", item.id)
    assert store.snapshot(index).tags[0] == "B-geo" and pool.item(item.id).state == ADDED


def test_the_stores_undo_of_an_add_batch_takes_it_out_of_the_corpus(store, pool):
    item = pool.items()[0]
    index, _ = pool.accept(item.id, ["O", "B-art"] + ["O"] * (len(item.words) - 2), "ann")
    assert store.undo("ann").batch
    assert pool.item(item.id).state == OPEN and index not in store.added()


def test_bad_tags_and_names_are_refused_and_nothing_is_stored(store, pool):
    item = pool.items()[0]
    with pytest.raises(CorrectionError, match="unknown tag"):
        pool.accept(item.id, ["B-xyz"] + ["O"] * (len(item.words) - 1), "ann")
    with pytest.raises(CorrectionError, match="tokens, got 2 tags"):
        pool.accept(item.id, ["O", "O"], "ann")
    with pytest.raises(CorrectionError, match="annotator's name"):
        pool.accept(item.id, ["O"] * len(item.words), "")
    with pytest.raises(PoolError, match="no pool sentence"):
        pool.discard(10**6, "ann")
    assert pool.counts()[OPEN] == 3 and not store.added()


def test_a_ranking_orders_the_queue_and_carries_the_pre_annotation(pool):
    ids = [i.id for i in pool.items()]
    stored = pool.record_ranking([Ranked(ids[2], 0.9, "eve likely", ("eve",), ("O", "B-eve", "O")),
                                  Ranked(ids[0], 0.2, "uncertain", (), ("O",) * 6)], "model A")
    assert stored == 2
    best = pool.items()
    assert [i.id for i in best] == [ids[2], ids[0], ids[1]]  # ranked ones first, the unranked after
    assert best[0].suggestion == ("O", "B-eve", "O") and best[0].types == ("eve",) and pool.ranked_with() == {"model A"}
    assert [i.id for i in pool.items(skip=[ids[2]])][0] == ids[0]


def test_the_pool_command_adds_files_and_lists_them_and_refuses_bad_ones(tmp_path, small_corpus, monkeypatch, capsys):
    from ner_core.cli import main

    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    text = tmp_path / "news.txt"
    text.write_text("Angela Merkel visited the Louvre in Paris. The Super Bowl was held in Miami.\n\n"
                    "Angela Merkel visited the Louvre in Paris.\n")
    records = tmp_path / "more.jsonl"
    records.write_text('{"text": "Snow fell on Oslo."}\n{"tokens": ["Rain", "in", "Spain"]}\n')
    assert main(["pool", "add", str(text), "--author", "ann"]) == 0
    assert "dataset 'default': 2 sentence(s) added to the pool; dropped: 1 repeated in the file (sentence 3 of news.txt)" in capsys.readouterr().out
    assert main(["pool", "add", "--dataset", "default", str(records)]) == 0  # options before the FILE too
    assert "2 sentence(s) added" in capsys.readouterr().out
    greek = tmp_path / "greek.txt"
    greek.write_text("Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.\n")
    assert main(["pool", "add", str(greek)]) == 0
    assert "0 sentence(s) added to the pool; dropped: 1 mostly in a script the corpus does not use (GREEK 1)" in capsys.readouterr().out
    assert main(["pool", "add", str(greek), "--any-script"]) == 0
    assert "1 sentence(s) added" in capsys.readouterr().out
    long = tmp_path / "long.txt"
    long.write_text(" ".join(f"word{i}" for i in range(200)) + "\n")
    assert main(["pool", "add", str(long)]) == 0 and "1 sentence(s) added" in capsys.readouterr().out
    assert main(["pool", "status", "--top", "6"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "6 open, 0 added, 0 discarded" and "unranked" in out[1] and len(out) == 7
    assert max(map(len, out)) < 140 and any(line.endswith("… (200 tokens)") for line in out)  # helper-73: a line each
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    assert main(["pool", "add", str(empty)]) == 1
    assert "no text" in capsys.readouterr().err
    assert main(["pool", "add", str(tmp_path / "missing.txt")]) == 1
    assert main(["pool", "status", "--dataset", "nope"]) == 1
    assert "no dataset named 'nope'" in capsys.readouterr().err


def test_the_datasets_command_imports_a_corpus_whose_pool_then_takes_text(tmp_path, small_corpus, monkeypatch, capsys):
    from ner_core.cli import main

    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    corpus = tmp_path / "drug notes.conll"
    corpus.write_text("Aspirin\tB-DRUG\ncures\tO\n\nIbuprofen\tB-DRUG\nhelps\tO\n")
    assert main(["datasets", "import", str(corpus)]) == 0
    said = capsys.readouterr()
    assert "imported 2 sentences as dataset 'drug notes' (2 train, 0 val, 0 test, split 80/10/10): `pool add --dataset 'drug notes' FILE`" in said.out
    assert "note: val and test hold no sentence: a model trained on it has nothing to be scored on" in said.err  # helper-90
    assert "drug notes.conll: conll, utf-8, 2 sentences" in said.err
    assert main(["datasets", "import", str(corpus), "--name", "drug notes"]) == 1
    assert "a dataset named 'drug notes' exists already" in capsys.readouterr().err
    assert main(["datasets", "import", str(tmp_path)]) == 1 and "a directory, not a file" in capsys.readouterr().err
    assert main(["datasets", "list"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == ["default", "drug notes"]
    (tmp_path / "new.txt").write_text("Aspirin is sold in Oslo.\n")
    assert main(["pool", "add", "--dataset", "drug notes", str(tmp_path / "new.txt")]) == 0
    assert capsys.readouterr().out.startswith("dataset 'drug notes': 1 sentence(s) added to the pool")


def test_the_store_counts_the_indices_of_added_sentences(store, pool):
    assert store.size() == len(store.original)
    item = pool.items()[0]
    index, _ = pool.accept(item.id, ["O"] * len(item.words), "ann")
    assert store.size() == index + 1 and store.words(index) == item.words
    pool.undo("ann", item.id)
    assert store.size() == index + 1 and index not in store.added()  # the index stays, out of the corpus


def test_text_added_to_a_pool_is_tokenised_as_the_dataset_corpus_is(tmp_path, small_corpus, monkeypatch, capsys):
    """helper-74: the corpus kept "first-line" whole, its new sentences split it in three."""
    from ner_core.cli import main
    from ner_core.storage.datasets import open_dataset
    from ner_core.storage.pool import Pool

    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    text = tmp_path / "news.txt"
    text.write_text("The long-term plan of the pro-government party failed.\n")
    assert main(["pool", "add", str(text)]) == 0
    assert "words kept whole as the corpus writes them (long-term): 2" in capsys.readouterr().err  # helper-75: its own style
    words = Pool(open_dataset("default")).items(limit=1)[0].words
    assert list(words) == ["The", "long-term", "plan", "of", "the", "pro-government", "party", "failed", "."]


def test_a_size_limit_lowered_below_the_datasets_own_file_holds_new_input_not_the_corpus(tmp_path, monkeypatch):
    """helper-83: with NER_MAX_UPLOAD_MB under the corpus's size, every pool add failed on the corpus file."""
    from ner_core.data.corpus import CorpusError, load_corpus_bytes

    path = tmp_path / "corpus.conll"
    write_corpus(SENTENCES * 400, path)  # about 40 kB
    monkeypatch.setenv("NER_MAX_UPLOAD_MB", "0.01")  # 10 kB
    store = CorrectionStore(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), "demo", path)
    assert len(store.original) == 800 and Pool(store).add(NEW, "new.txt", "ann").added == len(NEW)
    with pytest.raises(CorpusError, match="over the limit of 0.0 MB"):  # new input: held to it
        load_corpus_bytes(path.read_bytes(), "again.conll")
