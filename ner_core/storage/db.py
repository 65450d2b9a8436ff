"""The database: URL, engine and schema (SQLite by default, PostgreSQL for a team).

A team points every app instance and job at one server with ``NER_DB_URL=postgresql://user:password@host:5432/db``
(a plain URL gets the psycopg 3 driver) and at one shared ``NER_DATA_DIR`` (the registry's checkpoint
folders and the job logs live there).

The schema is versioned with Alembic (``ner_core/storage/migrations``). :func:`make_engine` upgrades the
database to the newest revision, under a lock so that two processes opening a fresh database at
once do not both create it; a database made before Alembic (today's tables, no
``alembic_version``) is stamped ``0001`` and upgraded in place, never rebuilt.

Every table is defined on :class:`Base` in :mod:`.schema`, so that ``Base.metadata`` is complete
wherever the schema is compared or migrated.
"""
from __future__ import annotations

import fcntl
import importlib
import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PG_LOCK_KEY = 0x4E45525F  # pg_advisory_lock key held while migrating ("NER_")


class Base(DeclarativeBase):
    pass


def metadata() -> MetaData:
    """``Base.metadata`` with every table defined (they all live in :mod:`.schema`)."""
    importlib.import_module(".schema", __package__)
    return Base.metadata


SQLITE_FILE = "workbench.db"  # the database under the data folder, unless $NER_DB_URL names another


def data_path() -> Path:
    """``$NER_DATA_DIR`` (default ``data/``): the database file, registry checkpoints, job logs; not created here."""
    return Path(os.environ.get("NER_DATA_DIR", Path(__file__).resolve().parents[2] / "data"))


def data_dir() -> Path:
    """:func:`data_path`, created if missing."""
    path = data_path()
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_url() -> str:
    """``$NER_DB_URL``, else a SQLite file under ``$NER_DATA_DIR`` (default ``data/``)."""
    if os.environ.get("NER_DB_URL"):
        return os.environ["NER_DB_URL"]
    return f"sqlite:///{data_dir() / SQLITE_FILE}"


def driver_url(url: str) -> str:
    """A plain ``postgresql://`` URL gets the psycopg 3 driver; any other URL is kept."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def make_engine(url: str | None = None) -> Engine:
    """An engine on a database upgraded to the newest schema.

    A SQLite file gets WAL, synchronous FULL and a 30 s busy timeout; a plain ``postgresql://`` URL
    the psycopg 3 driver.
    """
    url = driver_url(url or default_db_url())
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and not Path(parsed.database or ".").parent.is_dir():  # SQLite would say only "unable to open"
        raise ValueError(f"NER_DB_URL={url}: the database's folder {Path(parsed.database).parent} does not exist; "
                         "create it, or name a file in a folder that exists")
    engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {}, pool_pre_ping=not sqlite)
    if sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:
            cursor = connection.cursor()  # WAL is the file's own setting, made under the migration lock
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        event.listen(engine, "before_cursor_execute", _locking_select)

    upgrade(engine)
    return engine


def _locking_select(connection: Connection, cursor, _statement, _parameters, context, _many) -> None:
    """SQLite: a ``SELECT ... FOR UPDATE`` (which SQLite does not have) opening a transaction opens it with the write lock
    (``BEGIN IMMEDIATE``), so that what it reads cannot change before the transaction writes, as on PostgreSQL. The
    driver otherwise opens a transaction only at the first write, and a check then write (is this item decided yet?)
    let two annotators' decisions through at once (helper-98)."""
    statement = getattr(context.compiled, "statement", None) if context is not None else None
    if getattr(statement, "_for_update_arg", None) is not None and not connection.connection.dbapi_connection.in_transaction:
        cursor.execute("BEGIN IMMEDIATE")


@lru_cache(maxsize=8)
def _shared(url: str) -> Engine:
    return make_engine(url)


def shared_engine(url: str | None = None) -> Engine:
    """One engine per URL for this process (default: :func:`default_db_url`), made on first use."""
    return _shared(url or default_db_url())


def _alembic_config(connection: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    config = _alembic_config(None)  # type: ignore[arg-type]
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; a pre-Alembic database is stamped ``0001`` first.

    Even the check is made under :func:`_migration_lock`: a SQLite file read by one process while
    another switches it to WAL fails that switch at once ("database is locked", no busy wait).
    """
    from alembic import command

    head = head_revision()
    with _migration_lock(engine) as connection:
        if current_revision(connection) == head:
            return
        config = _alembic_config(connection)
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and "datasets" in tables:
            command.stamp(config, "0001")  # created by create_all before migrations existed
        command.upgrade(config, "head")
        connection.commit()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection held under a cross-process lock: a file lock beside a SQLite file (switched to
    WAL, which it keeps, under that lock), a PostgreSQL advisory lock otherwise."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        lock_file = open(f"{database}.migrate-lock", "a") if database and database != ":memory:" else None
        try:
            if lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
            with engine.connect() as connection:
                if lock_file:
                    connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                yield connection
        finally:
            if lock_file:
                lock_file.close()  # releases the lock
    else:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PG_LOCK_KEY})
            connection.commit()
            try:
                yield connection
            finally:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
                connection.commit()
