import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ner_core.corpus import Sentence, read_corpus, write_corpus
from ner_core.store import CorrectionError, CorrectionStore, make_engine

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    Sentence(("John", "lives", "in", "Paris"), ("B-per", "O", "O", "B-geo")),
    Sentence(("The", "Iliad", "is", "old"), ("O", "O", "O", "O")),
    Sentence(("Hurricane", "Katrina", "hit"), ("O", "B-per", "O")),
]


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.conll"
    write_corpus(SENTENCES, path)
    return path


def open_store(tmp_path, corpus_file):
    return CorrectionStore(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), "demo", corpus_file)


def test_corrections_survive_a_restart_and_never_touch_the_file(tmp_path, corpus_file):
    before = corpus_file.read_bytes()
    store = open_store(tmp_path, corpus_file)
    assert store.save(1, ["O", "B-art", "O", "O"], author="ann").changed == 1
    store.engine.dispose()
    again = open_store(tmp_path, corpus_file)
    assert again.tags(1) == ["O", "B-art", "O", "O"]
    assert again.history(1)[0] | {"time": None} == {
        "time": None, "sentence": 1, "token": 1, "word": "Iliad", "old": "O", "new": "B-art", "author": "ann", "undone": False,
    }
    assert corpus_file.read_bytes() == before


def test_undo_reverts_the_latest_batch(tmp_path, corpus_file):
    store = open_store(tmp_path, corpus_file)
    store.save(2, ["B-nat", "I-nat", "O"])
    store.save(0, ["B-per", "O", "O", "B-gpe"])
    assert store.undo() == 0
    assert store.tags(0) == list(SENTENCES[0].tags) and store.tags(2) == ["B-nat", "I-nat", "O"]
    assert store.undo() == 2 and store.tags(2) == list(SENTENCES[2].tags)
    assert store.undo() == -1
    assert [h["undone"] for h in store.history()] == [True, True, True]


def test_export_equals_original_plus_corrections(tmp_path, corpus_file):
    store = open_store(tmp_path, corpus_file)
    store.save(1, ["O", "B-art", "O", "O"])
    store.save(2, ["B-nat", "I-nat", "O"])
    store.save(2, ["B-eve", "I-eve", "O"])  # the latest correction wins
    out = tmp_path / "corrected.csv"
    write_corpus(store.corrected(), out)
    expected = [SENTENCES[0], Sentence(SENTENCES[1].words, ("O", "B-art", "O", "O")), Sentence(SENTENCES[2].words, ("B-eve", "I-eve", "O"))]
    assert read_corpus(out) == expected
    assert store.counts() == {"sentences": 2, "tokens": 3, "by_type": {"art": 1, "eve": 2}}


def test_invalid_corrections(tmp_path, corpus_file):
    store = open_store(tmp_path, corpus_file)
    with pytest.raises(CorrectionError, match="unknown tag\\(s\\): B-xyz"):
        store.save(0, ["B-xyz", "O", "O", "O"])
    with pytest.raises(CorrectionError, match="sentence 0 has 4 tokens, got 2 tags"):
        store.save(0, ["O", "O"])
    with pytest.raises(CorrectionError, match="invalid IOB2 at token\\(s\\) 1"):
        store.save(1, ["O", "I-art", "O", "O"], repair=False)
    result = store.save(1, ["O", "I-art", "O", "O"])
    assert result.repaired == [1] and store.tags(1) == ["O", "B-art", "O", "O"]
    with pytest.raises(CorrectionError, match="no sentence 9"):
        store.tags(9)


def test_save_many_is_one_batch_all_or_nothing(tmp_path, corpus_file):
    store = open_store(tmp_path, corpus_file)
    store.save(0, ["B-per", "O", "O", "B-gpe"], author="ann")
    result = store.save_many({1: ["O", "B-art", "O", "O"], 2: ["O", "B-nat", "O"]}, author="ann")
    assert result.changed == 2 and store.tags(1)[1] == "B-art" and store.tags(2)[1] == "B-nat"
    assert store.undo("ann") in (1, 2)  # one undo reverts the whole batch
    assert store.tags(1) == list(SENTENCES[1].tags) and store.tags(2) == list(SENTENCES[2].tags)
    assert store.tags(0) == ["B-per", "O", "O", "B-gpe"]  # the earlier batch stays
    with pytest.raises(CorrectionError, match="unknown tag"):
        store.save_many({1: ["O", "B-art", "O", "O"], 2: ["O", "B-xyz", "O"]})
    with pytest.raises(CorrectionError, match="no sentence 9"):
        store.save_many({1: ["O", "B-art", "O", "O"], 9: ["O"]})
    assert store.tags(1) == list(SENTENCES[1].tags)  # nothing of a refused batch was written


def test_two_writers_lose_nothing(tmp_path, corpus_file):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    stores = [CorrectionStore(make_engine(url), "demo", corpus_file) for _ in range(2)]

    def write(store, sentence, author):
        original = list(SENTENCES[sentence].tags)
        for i in range(40):  # every save flips the last token: exactly one row each
            store.save(sentence, original[:-1] + (["B-tim"] if i % 2 == 0 else [original[-1]]), author=author)

    threads = [threading.Thread(target=write, args=(s, 2 * k, f"writer{k}")) for k, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    history = stores[0].history(limit=1000)
    assert sum(h["author"] == "writer0" for h in history) == 40
    assert sum(h["author"] == "writer1" for h in history) == 40


WRITER = """
import sys
from ner_core.store import CorrectionStore, make_engine
store = CorrectionStore(make_engine(sys.argv[1]), "demo", sys.argv[2])
for i in range(100000):
    store.save(i % 3, store.tags(i % 3)[:-1] + ["O" if store.tags(i % 3)[-1] != "O" else "B-tim"], author=str(i))
    print(i, flush=True)
"""


def test_sigkill_mid_burst_keeps_every_committed_correction(tmp_path, corpus_file):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url, str(corpus_file)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    committed = []
    deadline = time.time() + 60
    while len(committed) < 50 and time.time() < deadline:
        committed.append(int(proc.stdout.readline()))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = CorrectionStore(make_engine(url), "demo", corpus_file)
    authors = {h["author"] for h in store.history(limit=100000)}
    assert {str(i) for i in committed} <= authors


def test_import_a_dataset_and_refuse_bad_uploads(tmp_path):
    from ner_core.corpus import CorpusError
    from ner_core.store import import_dataset, list_datasets

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store = import_dataset(engine, "my upload", b"Paris B-geo\nis O\n\nOK O\n", "mine.conll", tmp_path / "datasets")
    assert len(store.original) == 2 and list(list_datasets(engine)) == ["my upload"]
    store.save(1, ["B-org"])
    reopened = CorrectionStore(engine, "my upload", list_datasets(engine)["my upload"])
    assert reopened.tags(1) == ["B-org"]
    for data, filename, reason in [
        (b"Paris B-city\n", "x.conll", "unknown tag 'B-city'"),
        ("Paris B-geo\n".encode("utf-16"), "x.conll", "not a text file"),
        (b"{}", "x.json", "unknown corpus format"),
    ]:
        with pytest.raises(CorpusError, match=reason):
            import_dataset(engine, "bad", data, filename, tmp_path / "datasets")
    with pytest.raises(CorrectionError, match="exists already"):
        import_dataset(engine, "my upload", b"A O\n", "y.conll", tmp_path / "datasets")
    assert list(list_datasets(engine)) == ["my upload"]
