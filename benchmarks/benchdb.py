"""A fresh, migrated database for a benchmark: a SQLite file, or a throw-away PostgreSQL schema."""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

from raigov.db.engine import Database
from raigov.db.migrate import upgrade

PG_URL = os.environ.get("RAIGOV_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def fresh(backend: str, workdir) -> tuple[Database, callable]:
    """(database, cleanup)."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{workdir}/bench.sqlite3")
        upgrade(db)
        return db, db.dispose
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    db = Database(f"{PG_URL}?options=-csearch_path%3D{schema}")
    upgrade(db)

    def cleanup():
        db.dispose()
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return db, cleanup
