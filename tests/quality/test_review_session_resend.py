"""Decisions resent by the browser (after a restarted server or a reload) and writes the database refused."""
import os

import pytest
from test_review_queue import filled

from ner_core.quality.review_queue import ACCEPTED, KEPT
from ner_core.quality.review_session import ReviewSession
from ner_core.storage.store import StorageWriteError


@pytest.fixture
def queue(tmp_path):
    return filled(f"sqlite:///{tmp_path / 'queue.db'}", tmp_path)


def op(op_id: str, kind: str, item: int, version: int) -> dict:
    return {"id": op_id, "kind": kind, "item": item, "version": version, "tags": None}


@pytest.mark.parametrize("kind", ["accept", "keep"])
def test_a_decision_resent_to_a_new_session_is_stored_once_without_a_conflict(queue, kind):
    session = ReviewSession()
    item = session.ahead(queue, "train")[0][0]
    sent = [op("a", kind, item.id, queue.store.sentence_version(item.sentence))]
    session.apply(sent, queue, "train", "ann")
    again = ReviewSession()  # the server restarted (or the page was reloaded): the browser resends the op
    again.apply(sent, queue, "train", "ann")
    assert [(d["item"], d["action"]) for d in queue.decisions()] == [(item.id, ACCEPTED if kind == "accept" else KEPT)]
    assert again.conflict is None and again.acked == ["a"] and again.pop_message()[0] == "success"


def test_a_refused_write_is_not_acked_and_is_stored_when_resent(queue, monkeypatch):
    session = ReviewSession()
    item = session.ahead(queue, "train")[0][0]
    sent = [op("a", "accept", item.id, queue.store.sentence_version(item.sentence)), op("b", "skip", item.id, 0)]
    decide = type(queue).decide

    def refuse(*args, **kwargs):
        raise StorageWriteError("nothing was saved: the database cannot write (read-only)")

    monkeypatch.setattr(type(queue), "decide", refuse)
    session.apply(sent, queue, "train", "ann")
    assert session.acked == [] and list(session.refused) == ["a"]  # the skip after it waits too: order is kept
    assert "the database cannot write" in session.refused["a"] and session.pop_message()[0] == "error"
    monkeypatch.setattr(type(queue), "decide", decide)
    session.apply(sent, queue, "train", "ann")  # the browser retries
    assert session.acked == ["a", "b"] and session.refused == {}
    assert [d["action"] for d in queue.decisions()] == [ACCEPTED]


def test_a_decision_on_a_read_only_database_is_not_acked_and_is_stored_once_it_is_writable(tmp_path):
    """PostgreSQL put read-only (a standby after a failover, maintenance) raises InternalError, not OperationalError:
    the decision is refused with the reason and not confirmed to the browser, which resends it."""
    import psycopg
    from conftest import fresh_database
    from sqlalchemy.engine import make_url

    with fresh_database("postgresql", tmp_path) as url:
        queue = filled(url, tmp_path)
        name = make_url(url).database

        def read_only(on: bool) -> None:
            with psycopg.connect(os.environ["NER_TEST_DB_URL"], autocommit=True) as connection:  # not the read-only one
                connection.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {"on" if on else "off"}')
            queue.store.engine.dispose()  # the setting holds for new connections

        session = ReviewSession()
        item = session.ahead(queue, "train")[0][0]
        sent = [op("a", "keep", item.id, queue.store.sentence_version(item.sentence))]
        read_only(True)
        session.apply(sent, queue, "train", "ann")
        assert session.acked == [] and session.refused["a"].startswith("Not saved: the database cannot write (read-only)")
        read_only(False)
        session.apply(sent, queue, "train", "ann")
        assert session.acked == ["a"] and [d["action"] for d in queue.decisions()] == [KEPT]
        queue.store.engine.dispose()


def test_an_op_whose_reads_fail_is_not_acked(queue, tmp_path):
    """Not only a refused write: a decision whose database reads fail (a lost database file here) is not confirmed."""
    session = ReviewSession()
    item = session.ahead(queue, "train")[0][0]
    sent = [op("a", "accept", item.id, queue.store.sentence_version(item.sentence))]
    queue.store.engine.dispose()
    (tmp_path / "queue.db").rename(tmp_path / "elsewhere.db")  # SQLite opens a new, empty file in its place
    session.apply(sent, queue, "train", "ann")
    assert session.acked == [] and "the database failed or cannot be reached (OperationalError: no such table" in session.refused["a"]
    queue.store.engine.dispose()
    (tmp_path / "queue.db").unlink()
    (tmp_path / "elsewhere.db").rename(tmp_path / "queue.db")
    session.apply(sent, queue, "train", "ann")
    assert session.acked == ["a"] and [d["action"] for d in queue.decisions()] == [ACCEPTED]
