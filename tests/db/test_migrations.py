"""Models and migrations agree on both backends; SQLite runs in WAL mode with foreign keys on."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from raigov.db.migrate import current_revision, head_revision
from raigov.db.registry import metadata


def test_models_and_migrations_agree(db):
    with db.engine.connect() as conn:
        from raigov.db.migrations.env_filters import include_object

        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(ctx, metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    assert current_revision(db) == head_revision(db)


def test_org_units_seeded(db):
    with db.engine.connect() as conn:
        codes = {r[0] for r in conn.execute(text("SELECT code FROM org_units"))}
    for code in ["DHS", "CBP", "CISA", "FEMA", "FLETC", "ICE", "TSA", "USCG", "USCIS", "USSS", "S&T", "CWMD", "OHS",
                 "CRCL", "PRIV", "OCIO", "OGC", "MGMT"]:
        assert code in codes


def test_sqlite_pragmas(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_upgrade_is_idempotent(db):
    from raigov.db.migrate import upgrade

    upgrade(db)
    upgrade(db)
    assert current_revision(db) == head_revision(db)
