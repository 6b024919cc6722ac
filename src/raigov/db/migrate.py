"""Alembic, driven from code: `raigov db upgrade` and the tests use these."""

from __future__ import annotations

import logging
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from raigov.db import partitions, privileges
from raigov.db.engine import Database

log = logging.getLogger("raigov.db")


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("raigov.db").joinpath("migrations")))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head", *, runtime_role: str | None = None) -> dict | None:
    """Migrate DB to REVISION. With RUNTIME_ROLE (PostgreSQL, DB connected as the schema's owner), the
    owner then re-grants that role exactly the runtime privileges (raigov.db.privileges), in the same
    transaction: a refused role leaves nothing migrated. Returns what was granted, or None when there
    was nothing to grant (SQLite, no role, or the role is the owner itself). On PostgreSQL the monthly
    partitions are then topped up to 24 months ahead (raigov.db.partitions), before the grants, so that the
    runtime role reaches the new ones too."""
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        separate = privileges.check_runtime_role(conn, runtime_role)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        topped = partitions.ensure_months_ahead(conn)
        if topped.created or topped.left_in_default:
            log.info("partitions created: %s; months left in the DEFAULT partition (rows there): %s",
                     ", ".join(topped.created) or "none", ", ".join(topped.left_in_default) or "none")
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
