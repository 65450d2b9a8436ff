"""The schema: migrations equal the models, an old database is upgraded in place, and two
processes opening a fresh database at once both succeed. On SQLite and PostgreSQL."""
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, create_engine, inspect, text

from ner_core.storage.datasets import list_datasets
from ner_core.storage.db import driver_url, head_revision, make_engine, metadata

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_build_exactly_the_models(db_url):
    engine = make_engine(db_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata())
        assert diff == [], f"the migrations and the models differ: {diff}"
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()


def old_schema() -> MetaData:
    """The tables as ``create_all`` made them before migrations existed (git d5300af)."""
    old = MetaData()
    Table("datasets", old, Column("id", Integer, primary_key=True), Column("name", String(200), unique=True, nullable=False),
          Column("path", String(1000), nullable=False), Column("created_at", DateTime(timezone=True), nullable=False))
    Table("corrections", old, Column("id", Integer, primary_key=True),
          Column("dataset_id", ForeignKey("datasets.id"), index=True, nullable=False),
          Column("sentence", Integer, index=True, nullable=False), Column("token", Integer, nullable=False),
          Column("old_tag", String(16), nullable=False), Column("new_tag", String(16), nullable=False),
          Column("author", String(100), nullable=False), Column("created_at", DateTime(timezone=True), nullable=False),
          Column("batch", String(32), index=True, nullable=False), Column("reverted", Boolean, nullable=False))
    return old


def test_a_database_from_before_migrations_is_upgraded_in_place(db_url):
    old = old_schema()
    engine = create_engine(driver_url(db_url))
    old.create_all(engine)
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(old.tables["datasets"].insert(), [{"id": 1, "name": "default", "path": "x.csv", "created_at": now},
                                                             {"id": 2, "name": "mine", "path": "y.jsonl", "created_at": now}])
        connection.execute(old.tables["corrections"].insert(), [
            {"dataset_id": 1, "sentence": 3, "token": 0, "old_tag": "O", "new_tag": "B-geo", "author": "ann",
             "created_at": now, "batch": "b1", "reverted": False}])
    engine.dispose()
    upgraded = make_engine(db_url)
    with upgraded.connect() as connection:
        assert connection.execute(text("SELECT sentence, new_tag, author FROM corrections")).all() == [(3, "B-geo", "ann")]
        assert connection.execute(text("SELECT name, scheme, split_rule FROM datasets ORDER BY id")).all() == [
            ("default", None, None), ("mine", None, None)]  # helper-75: no dataset's split moves (0018), the default's neither
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
        assert compare_metadata(MigrationContext.configure(connection), metadata()) == []
    assert {"jobs", "registry_entries", "sentence_versions"} <= set(inspect(upgraded).get_table_names())


def test_an_imported_dataset_records_the_tag_scheme_of_its_file(db_url, tmp_path):
    from ner_core.storage.datasets import import_dataset, import_scheme

    engine = make_engine(db_url)
    import_dataset(engine, "bio", b"Aspirin\tS-drug\nhelps\tO\n", "bio.tsv", tmp_path)
    import_dataset(engine, "plain", b"Aspirin\tB-drug\nhelps\tO\n", "plain.conll", tmp_path)
    assert import_scheme("bio", engine) == "BIOES" and import_scheme("plain", engine) == "IOB2"
    assert import_scheme("default", engine) is None  # the project's corpus was never imported



def test_an_archived_dataset_leaves_every_list_keeps_its_corrections_and_comes_back(db_url, tmp_path):
    """helper-70: trial imports stayed in every sidebar for good; archiving hides one and deletes nothing."""
    from ner_core.storage.datasets import archive_dataset, archived_datasets, dataset_paths, import_dataset, open_dataset
    from ner_core.storage.store import CorrectionError
    from ner_core.storage.users import RoleError, User, add_user

    engine = make_engine(db_url)
    import_dataset(engine, "trial", b"Aspirin\tB-drug\nhelps\tO\n", "trial.conll", tmp_path)
    opened = open_dataset("trial", engine)  # a page drawn before the archiving
    opened.save(0, ["O", "O"], author="ann")
    add_user(engine, "ann", "annotator", "correct horse")
    with pytest.raises(RoleError):
        archive_dataset(engine, "trial", "ann", User("ann", "annotator"))
    with pytest.raises(CorrectionError, match="the default corpus cannot be archived: only an imported dataset can"):
        archive_dataset(engine, "default", "root")
    archive_dataset(engine, "trial", "root", User("root", "admin"))
    assert "trial" not in dataset_paths(engine) and list(archived_datasets(engine)) == ["trial"]
    with pytest.raises(CorrectionError, match=r"the dataset 'trial' was archived by root on .*: restore it first"):
        open_dataset("trial", engine)
    with pytest.raises(CorrectionError, match=r"a dataset named 'trial' exists already \(archived: restore it"):
        import_dataset(engine, "trial", b"x\tO\n", "again.conll", tmp_path)  # the name stays its own
    with pytest.raises(CorrectionError, match="is archived already"):
        archive_dataset(engine, "trial", "root")
    for write in (lambda: opened.save(0, ["B-drug", "O"], author="ann"), lambda: opened.undo("ann", 0)):  # helper-71: kept unseen
        with pytest.raises(CorrectionError, match=r"the dataset 'trial' was archived by root on .*: nothing is saved to it until"):
            write()
    archive_dataset(engine, "trial", "root", restore=True)
    assert "trial" in dataset_paths(engine) and open_dataset("trial", engine).tags(0) == ["O", "O"]  # the correction kept


def test_a_dataset_archived_while_a_save_is_open_waits_for_it_so_no_save_lands_unseen(db_url, tmp_path):
    """helper-73: the save read "not archived", the archiving committed, then the save did: kept out of everyone's sight."""
    import threading

    from ner_core.storage.datasets import archive_dataset, import_dataset, open_dataset

    engine = make_engine(db_url)
    import_dataset(engine, "trial", b"Aspirin\tB-drug\nhelps\tO\n", "trial.conll", tmp_path)
    opened = open_dataset("trial", engine)
    archiving = threading.Thread(target=archive_dataset, args=(make_engine(db_url), "trial", "root"))
    waited: list[bool] = []

    def archive_meanwhile(*_) -> None:
        archiving.start()
        archiving.join(1)
        waited.append(archiving.is_alive())  # the archiving waits for the open save's lock

    opened.save(0, ["O", "O"], author="ann", also=archive_meanwhile)
    archiving.join()
    assert waited == [True]
    with pytest.raises(Exception, match="the dataset 'trial' was archived by root"):
        opened.save(0, ["B-drug", "O"], author="ann")


def test_an_imported_dataset_keeps_each_type_in_its_test_part_and_one_imported_before_keeps_its_split(db_url, tmp_path):
    """helper-74: a rare type with no sentence in the test part was never scored; a dataset imported before the rule
    (migration 0018) keeps the plain split, so no sentence moves under its corrections and models."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from ner_core.data.corpus import split_indices
    from ner_core.storage.datasets import import_dataset, open_dataset
    from ner_core.storage.schema import Dataset

    engine = make_engine(db_url)
    data = "".join("EGFR\tB-GENE\nmutates\tO\n\n" if i in (1, 3, 5, 8, 9, 10) else "Aspirin\tB-CHEMICAL\n\n" for i in range(300))
    store = import_dataset(engine, "bio", data.encode(), "bio.conll", tmp_path)
    parts = store.split_indices()
    assert [sum(store.original[i].tags[0] == "B-GENE" for i in part) for part in parts] == [4, 1, 1]
    assert "GENE" in store.file_tagset.weak and len(store.split().test) == 30
    with Session(engine) as session, session.begin():
        session.execute(update(Dataset).where(Dataset.name == "bio").values(split_rule=None))
    assert open_dataset("bio", make_engine(db_url)).split_indices() == split_indices(300)


def test_a_dataset_imported_with_its_dev_and_test_files_keeps_their_split(db_url, tmp_path):
    from ner_core.data.corpus import CorpusError
    from ner_core.storage.datasets import import_dataset, open_dataset
    from ner_core.storage.pool import Pool
    from ner_core.storage.store import CorrectionError

    def conll(*words: str) -> bytes:
        return "".join(f"{w}\tB-drug\nhelps\tO\n\n" for w in words).encode()

    engine = make_engine(db_url)
    train, dev, test = conll(*(f"Drug{i}" for i in range(12))), conll("Devol", "Devix"), ("Testa\tB-drug\n\n" * 3).encode()
    logged: list[str] = []
    import_dataset(engine, "given", train, "train.conll", tmp_path, logged.append, dev=(dev, "dev.conll"), test=(test, "test.tsv"))
    store = open_dataset("given", engine)
    split = store.split()
    assert [len(p) for p in (split.train, split.val, split.test)] == [12, 2, 3]  # as published, not 80/10/10 of 17
    assert [s.words[0] for s in split.val] == ["Devol", "Devix"] and split.test[0].words == ("Testa",)
    assert len(logged) == 3 and logged[1].startswith("dev: ") and logged[2].startswith("test: ")
    Pool(store).add([("Newdrug", "helps")], "new.txt", "ann")
    item = Pool(store).items()[0]
    Pool(store).accept(item.id, ["B-drug", "O"], "ann")
    again = open_dataset("given", engine).split()
    assert [len(p) for p in (again.train, again.val, again.test)] == [13, 2, 3]  # an added sentence trains; val and test stay
    with pytest.raises(CorrectionError, match="give both a dev and a test file"):
        import_dataset(engine, "half", train, "train.conll", tmp_path, dev=(dev, "dev.conll"))
    with pytest.raises(CorpusError):
        import_dataset(engine, "empty", train, "train.conll", tmp_path, dev=(b"", "dev.conll"), test=(test, "test.tsv"))
    assert "half" not in list_datasets(engine) and "empty" not in list_datasets(engine)  # nothing registered
    assert [len(p) for p in open_dataset("given", engine).split_indices()] == [12, 2, 3]


def test_two_imports_under_one_name_at_once_keep_one_and_refuse_the_other(db_url, tmp_path):
    """Both pass the name check before either registers: the database's unique name decides, the other is told."""
    import threading

    from ner_core.storage.datasets import import_dataset, open_dataset
    from ner_core.storage.store import CorrectionError

    engine = make_engine(db_url)
    files = {who: "\n\n".join(f"{who}\tB-per\nsaid\tO\nthing{i}\tO" for i in range(3000)).encode() for who in ("Alice", "Bob")}
    barrier, done, refused = threading.Barrier(2), [], []

    def run(who: str) -> None:
        barrier.wait()
        try:
            done.append((who, len(import_dataset(engine, "race", files[who], f"{who}.conll", tmp_path / "datasets").original)))
        except CorrectionError as err:
            refused.append(str(err))

    threads = [threading.Thread(target=run, args=(who,)) for who in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == 1 and len(refused) == 1, (done, refused)
    assert "exists already" in refused[0]
    winner = done[0][0]
    assert open_dataset("race", engine).original[0].words[0] == winner  # what the winner was told it imported
    assert len(list((tmp_path / "datasets").iterdir())) == 1  # the other's file is gone
    engine.dispose()



def test_an_import_removes_what_an_import_killed_while_writing_left(tmp_path):
    import os
    import time

    from ner_core.storage.datasets import import_dataset

    folder = tmp_path / "datasets"
    folder.mkdir()
    old, running = folder / "a.jsonl.tmp-write", folder / "b.jsonl.tmp-write"
    for partial in (old, running):
        partial.write_text("{")
    os.utime(old, (time.time() - 7200, time.time() - 7200))  # two hours untouched: its import was killed
    import_dataset(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), "x", b"A\tB-per\n", "x.conll", folder)
    assert not old.exists() and running.exists()  # a running import's file is recent: kept



def test_an_import_into_a_data_folder_it_cannot_write_is_a_message_and_registers_nothing(tmp_path):
    import pytest

    from ner_core.storage.datasets import import_dataset, list_datasets
    from ner_core.storage.store import CorrectionError

    (tmp_path / "data").write_text("a file where the data folder should be")  # as unwritable as a full or read-only disk
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(CorrectionError, match=r"^nothing was imported: the data folder cannot be written \("):
        import_dataset(engine, "x", b"A\tB-per\n", "x.conll", tmp_path / "data" / "datasets")
    assert list_datasets(engine) == {}


OPENER = """
import os, sys, time
import ner_core.storage.db
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.005)
from ner_core.storage.db import make_engine
make_engine(sys.argv[1])
print("ok")
"""


def test_processes_opening_a_fresh_database_at_once(db_url, tmp_path):
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, db_url, str(go)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    assert [p.stdout.readline() for p in procs] == ["ready\n"] * 3  # every process has imported and waits
    go.touch()
    outcomes = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 3, [err for _, err in outcomes]
    with make_engine(db_url).connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1


def test_fresh_sqlite_files_opened_at_once_ten_times_over():
    """benchmarks/fresh_database_race.py: each trial releases three processes together (a barrier) into
    make_engine on a new file; a read or a switch to WAL outside the migration lock failed some."""
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fresh_database_race.py"), "--trials", "10", "--processes", "3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("10/10 trials: every one of 3 processes opened the fresh database\n")
