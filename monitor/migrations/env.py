"""Alembic environment: run against the connection handed over by Store.migrate(),
or against the URL in GOVMON_DATABASE_URL when called from the alembic command line
(used by maintainers to write a new revision: see docs/architecture.md)."""

import os

from alembic import context
from sqlalchemy import create_engine

from monitor.store import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(os.environ.get("GOVMON_DATABASE_URL", "sqlite:///govmon.db"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
