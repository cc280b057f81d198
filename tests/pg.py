"""A throw-away PostgreSQL database on 127.0.0.1 for store tests.

Uses GOVMON_TEST_PG (default: postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
When no server answers there, the PostgreSQL variants are skipped, saying why; CI sets
GOVMON_REQUIRE_PG=1 so a missing server fails instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("GOVMON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def postgres_database() -> Iterator[str]:
    pytest.importorskip("psycopg")
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"govmon_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: skip, unless CI demands it
        admin.dispose()
        if os.environ.get("GOVMON_REQUIRE_PG"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {type(exc).__name__}")
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
