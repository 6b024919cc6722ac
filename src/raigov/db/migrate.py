"""Alembic, driven from code: `raigov db upgrade` and the tests use these."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from raigov.db import privileges
from raigov.db.engine import Database


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("raigov.db").joinpath("migrations")))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head", *, runtime_role: str | None = None) -> dict | None:
    """Migrate DB to REVISION. With RUNTIME_ROLE (PostgreSQL, DB connected as the schema's owner), the
    owner then re-grants that role exactly the runtime privileges (raigov.db.privileges), in the same
    transaction: a refused role leaves nothing migrated. Returns what was granted, or None when there
    was nothing to grant (SQLite, no role, or the role is the owner itself)."""
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        separate = privileges.check_runtime_role(conn, runtime_role)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        return privileges.grant_runtime_privileges(conn, runtime_role) if separate else None


def downgrade(db: Database, revision: str) -> None:
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision(db)
