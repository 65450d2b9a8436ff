import os
import tempfile
from contextlib import contextmanager

import pytest

from ner_core.data.corpus import default_corpus_path, format_corpus, read_corpus, split_corpus

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["NER_DEVICE"] = "cpu"  # tests run on the CPU, also where a GPU is at hand
# The app's own state (database, datasets, jobs, encoder features) goes to a scratch folder, never to the checkout's data/.
os.environ["NER_DATA_DIR"] = tempfile.mkdtemp(prefix="ner-tests-")
os.environ["NER_CACHE"] = os.path.join(os.environ["NER_DATA_DIR"], "cache")  # encoder features: computed afresh by each run
os.environ.pop("NER_DB_URL", None)


@pytest.fixture(scope="session")
def corpus():
    return read_corpus(default_corpus_path())


@pytest.fixture(scope="session")
def small_corpus(corpus, tmp_path_factory):
    """The first 1,000 sentences of the default corpus as a Kaggle CSV (its seeded split: 800/100/100):
    the app's corpus (``NER_CORPUS``) where a test runs a whole job or page, which a 43,000-sentence
    corpus would make minutes long."""
    path = tmp_path_factory.mktemp("small_corpus") / "corpus.csv"
    path.write_text(format_corpus(corpus[:1000], "csv"))
    return path


@pytest.fixture(scope="session")
def split(corpus):
    return split_corpus(corpus)


@pytest.fixture(scope="session")
def tiny_model(split, tmp_path_factory):
    """A Bi-LSTM-CRF trained for a few epochs on 200 sentences, saved as a checkpoint."""
    from ner_core.training.train import TrainConfig, train

    out = tmp_path_factory.mktemp("ckpt") / "tiny"
    result = train(split.train[:200], split.train[:200], TrainConfig(epochs=10, patience=10, batch_size=32, lr=1e-2), out_dir=out, progress=False)
    return result, out


@pytest.fixture(scope="session")
def small_run(split, tmp_path_factory):
    """Every model of the method retrained on a small subset, pipelines built, tables written."""
    from ner_core.data.corpus import Split
    from ner_core.study.experiments import run_experiments
    from ner_core.training.method import MethodSettings

    base = tmp_path_factory.mktemp("exp")
    small = Split(split.train[:300], split.val[:100], split.test[:100])
    settings = MethodSettings(epochs=2, weak_epochs=2, detector_epochs=1, progress=False)
    summary = run_experiments(small, base / "reports", base / "ckpt", settings, log=lambda _: None)
    return base, small, summary


@contextmanager
def fresh_database(kind: str, folder):
    """A fresh, empty database: a SQLite file in ``folder``, or a new database on the PostgreSQL server of
    ``$NER_TEST_DB_URL`` (a plain ``postgresql://user@host:port/db`` URL), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'db.sqlite'}"
        return
    server = os.environ.get("NER_TEST_DB_URL")
    if not server:
        pytest.skip("NER_TEST_DB_URL is not set: no PostgreSQL server to test against (.ci/run starts one)")
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    name = f"ner_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each database test runs on SQLite and on PostgreSQL (see :func:`fresh_database`)."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def team_db_url(tmp_path_factory):
    """One database for a module's app servers: PostgreSQL when ``$NER_TEST_DB_URL`` is set, else SQLite."""
    with fresh_database("postgresql" if os.environ.get("NER_TEST_DB_URL") else "sqlite", tmp_path_factory.mktemp("db")) as url:
        yield url
