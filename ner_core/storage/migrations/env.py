"""Alembic environment: migrates the connection handed over by ``ner_core.storage.db.upgrade``
(or, from the ``alembic`` command line, the database of ``$NER_DB_URL``)."""
from alembic import context
from sqlalchemy import create_engine

from ner_core.storage.db import default_db_url, driver_url, metadata

target_metadata = metadata()


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with create_engine(driver_url(default_db_url())).begin() as connection:
        run(connection)
