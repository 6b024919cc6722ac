"""PostgreSQL with a migration owner apart from the runtime role (issue #12, item 13): `raigov db upgrade`
connects as the owner (RAIGOV_MIGRATION_DATABASE_URL) and grants the runtime role (RAIGOV_DATABASE_URL)
only what the app needs, so the runtime role cannot alter the audit tables, disable or drop their
triggers, truncate them, or change their rows, while the app works as it. Without a migration URL
(SQLite, single-role setups) `raigov db upgrade` behaves as before."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from raigov.db.migrate import head_revision
from tests.conftest import PG_URL, need_postgres


class TwoRoles:
    """Two throw-away LOGIN roles (the owner, the runtime role) and a schema owned by the owner."""

    def __init__(self):
        sfx = uuid.uuid4().hex[:10]
        self.owner, self.runtime, self.schema = f"rg_owner_{sfx}", f"rg_runtime_{sfx}", f"t_{sfx}"
        self.admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with self.admin.begin() as c:
            c.execute(sa.text(f'CREATE ROLE "{self.owner}" LOGIN'))
            c.execute(sa.text(f'CREATE ROLE "{self.runtime}" LOGIN'))
            c.execute(sa.text(f'CREATE SCHEMA "{self.schema}" AUTHORIZATION "{self.owner}"'))
        self.engines: list[sa.Engine] = []

    def url(self, role: str) -> str:
        return make_url(PG_URL).set(username=role).update_query_dict(
            {"options": f"-csearch_path={self.schema}"}).render_as_string(hide_password=False)

    def engine(self, role: str) -> sa.Engine:
        eng = sa.create_engine(self.url(role).replace("postgresql://", "postgresql+psycopg://", 1))
        self.engines.append(eng)
        return eng

    def drop(self):
        from raigov.db.engine import reset_databases

        reset_databases()  # the CLI's cached engines hold connections as these roles
        for eng in self.engines:
            eng.dispose()
        with self.admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            c.execute(sa.text(f'DROP OWNED BY "{self.runtime}", "{self.owner}"'))
            c.execute(sa.text(f'DROP ROLE IF EXISTS "{self.runtime}"'))
            c.execute(sa.text(f'DROP ROLE IF EXISTS "{self.owner}"'))
        self.admin.dispose()


@pytest.fixture
def pg_roles(settings, monkeypatch):
    """The two roles, and the CLI's environment: the owner for migrations, the runtime role for the rest."""
    from raigov.config import reset_settings

    need_postgres()
    roles = TwoRoles()
    monkeypatch.setenv("RAIGOV_MIGRATION_DATABASE_URL", roles.url(roles.owner))
    monkeypatch.setenv("RAIGOV_DATABASE_URL", roles.url(roles.runtime))
    monkeypatch.setenv("RAIGOV_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("RAIGOV_DATABASE_RUNTIME_ROLE", raising=False)
    reset_settings()
    yield roles
    reset_settings()
    roles.drop()


def raigov(*args: str):
    from raigov.cli.main import app

    return CliRunner().invoke(app, list(args))


def refused(eng: sa.Engine, sql: str) -> str:
    """Run SQL as the engine's role; it must fail for lack of privilege (SQLSTATE 42501): the message."""
    with eng.connect() as c:
        try:
            c.exec_driver_sql(sql)
        except sa.exc.DBAPIError as exc:
            c.rollback()
            assert exc.orig.sqlstate == "42501", f"{sql}: {exc.orig}"
            return str(exc.orig)
        c.rollback()
    raise AssertionError(f"the runtime role could run: {sql}")


def said(res) -> str:
    """stderr with rich's line wrapping undone."""
    return " ".join(res.stderr.split())


def tables_in(roles: TwoRoles) -> set[str]:
    with roles.admin.connect() as c:
        return set(c.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": roles.schema}).scalars())


@pytest.mark.postgres
def test_runtime_role_cannot_alter_disable_triggers_or_truncate(pg_roles, settings, system):
    res = raigov("db", "upgrade")
    assert res.exit_code == 0, res.output
    assert "as the migration owner" in res.stdout and f"runtime role {pg_roles.runtime}" in res.stdout
    with pg_roles.admin.connect() as c:
        owners = dict(c.execute(sa.text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = :s"),
                                {"s": pg_roles.schema}).all())
    assert owners["audit_events"] == owners["users"] == pg_roles.owner and set(owners.values()) == {pg_roles.owner}

    # the app works as the runtime role: a user created through the identity service, its audit event
    from raigov.db.engine import Database
    from raigov.identity import service
    from raigov.identity.schemas import RoleGrantIn, UserCreate

    rt = Database(pg_roles.url(pg_roles.runtime))
    try:
        with rt.transaction() as s:
            assert s.execute(sa.text("SELECT current_user")).scalar_one() == pg_roles.runtime
            service.create_user(s, system, UserCreate(username="alice", display_name="Alice", roles=[
                RoleGrantIn(role="submitter", component="CBP")]), settings)
        with rt.transaction() as s:
            events = s.execute(sa.text("SELECT seq, action, object_id FROM audit_events")).all()
        from fastapi.testclient import TestClient

        from raigov.web.app import create_app

        with TestClient(create_app(settings, rt)) as client:  # the readiness check reads alembic_version
            r = client.get("/readyz")
        assert r.status_code == 200 and r.json()["status"] == "ready", r.text
    finally:
        rt.dispose()
    assert [(e.action, e.object_id) for e in events] == [("identity.user.create", "alice")]
    res = raigov("audit", "head", "--json")  # INSERT into audit_tree_heads through its sequence
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["tree_size"] == 1

    # and cannot tamper with the trail or the schema
    eng = pg_roles.engine(pg_roles.runtime)
    for sql in ["ALTER TABLE audit_events DISABLE TRIGGER USER",
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
                "ALTER TABLE audit_tree_heads DISABLE TRIGGER ALL",
                "ALTER TABLE audit_events ADD COLUMN forged text",
                "ALTER TABLE users ADD COLUMN forged text",
                "DROP TRIGGER audit_events_append_only ON audit_events",
                "DROP TRIGGER audit_events_no_truncate ON audit_events",
                "DROP TABLE audit_events",
                ("CREATE OR REPLACE FUNCTION raigov_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN RETURN NEW; END $$"),
                "CREATE TABLE stray (i int)",
                "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION raigov_append_only()",
                "UPDATE alembic_version SET version_num = 'forged'"]:
        msg = refused(eng, sql)
        assert "must be owner" in msg or "permission denied" in msg, msg
    for sql in ["TRUNCATE audit_events", "TRUNCATE audit_tree_heads", "TRUNCATE users",
                "UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events",
                "UPDATE audit_tree_heads SET root_hash = 'x'", "DELETE FROM audit_tree_heads"]:
        # refused by the privileges themselves, before the append-only triggers are reached
        assert "permission denied for table" in refused(eng, sql), sql
    with pg_roles.admin.connect() as c:
        assert c.execute(sa.text(f'SELECT count(*) FROM "{pg_roles.schema}".audit_events')).scalar_one() == 1
        enabled = c.execute(sa.text(
            "SELECT r.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = :s AND NOT t.tgisinternal"),
            {"s": pg_roles.schema}).all()
        partitions = set(c.execute(sa.text(
            "SELECT r.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class r ON r.oid = i.inhrelid "
            "JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = :s AND p.relname = 'oversight_decisions'"),
            {"s": pg_roles.schema}).scalars())
    # the audit trail and the decision ledger (migration 0010: decisions and refused attempts; 0023: the decisions'
    # keys, and each monthly partition of the decisions carries the parent's row trigger) keep their triggers
    ledger = ("audit_events", "audit_tree_heads", "oversight_decisions", "oversight_refusals", "oversight_decision_keys")
    assert sorted((t, n, e) for t, n, e in enabled if t in ledger) == sorted(
        (t, f"{t}_{k}", "O") for t in ledger for k in ("append_only", "no_truncate"))
    assert len(partitions) >= 26 and "oversight_decisions_default" in partitions
    assert {(t, n, e) for t, n, e in enabled if t not in ledger} == {
        (p, "oversight_decisions_append_only", "O") for p in partitions}

    res = raigov("audit", "verify", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["ok"] is True
    res = raigov("db", "check-privileges", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"applicable": True, "role": pg_roles.runtime, "schema": pg_roles.schema,
                                      "ok": True, "problems": []}


@pytest.mark.postgres
def test_every_upgrade_regrants_exactly_the_runtime_privileges(pg_roles):
    assert raigov("db", "upgrade").exit_code == 0
    with pg_roles.engine(pg_roles.owner).begin() as c:  # privileges granted by hand, a table of a later migration
        c.exec_driver_sql(f'GRANT UPDATE, TRUNCATE, TRIGGER ON audit_events TO "{pg_roles.runtime}"')
        c.exec_driver_sql("CREATE TABLE later_things (id serial PRIMARY KEY, name text)")
    res = raigov("db", "check-privileges", "--json")
    assert res.exit_code == 1, res.output
    assert json.loads(res.stdout)["problems"] == [f"role {pg_roles.runtime} holds TRUNCATE, TRIGGER, UPDATE on audit_events"]

    res = raigov("db", "upgrade")  # at head already: nothing to migrate, the grants are made again
    assert res.exit_code == 0, res.output
    eng = pg_roles.engine(pg_roles.runtime)
    assert "permission denied for table audit_events" in refused(eng, "TRUNCATE audit_events")
    with eng.begin() as c:
        c.exec_driver_sql("INSERT INTO later_things (name) VALUES ('x')")
        c.exec_driver_sql("UPDATE later_things SET name = 'y'")
        assert c.exec_driver_sql("SELECT name FROM later_things").scalar_one() == "y"
    assert "permission denied" in refused(eng, "TRUNCATE later_things")
    assert raigov("db", "check-privileges").exit_code == 0


@pytest.mark.postgres
def test_upgrade_refuses_a_hollow_separation_and_migrates_nothing(pg_roles, monkeypatch):
    from raigov.config import reset_settings

    monkeypatch.setenv("RAIGOV_DATABASE_RUNTIME_ROLE", "rg_no_such_role")
    reset_settings()
    res = raigov("db", "upgrade")
    assert res.exit_code == 2
    assert "RAIGOV_DATABASE_RUNTIME_ROLE: the runtime role 'rg_no_such_role' does not exist" in said(res)
    assert tables_in(pg_roles) == set()

    monkeypatch.delenv("RAIGOV_DATABASE_RUNTIME_ROLE")
    reset_settings()
    with pg_roles.admin.begin() as c:  # the runtime role owns a table of the schema
        c.exec_driver_sql(f'CREATE TABLE "{pg_roles.schema}".stray (i int)')
        c.exec_driver_sql(f'ALTER TABLE "{pg_roles.schema}".stray OWNER TO "{pg_roles.runtime}"')
    res = raigov("db", "upgrade")
    assert res.exit_code == 2
    assert f"the runtime role '{pg_roles.runtime}' owns table stray" in said(res)
    assert f"REASSIGN OWNED BY {pg_roles.runtime} TO {pg_roles.owner}" in said(res)
    assert tables_in(pg_roles) == {"stray"}

    with pg_roles.admin.begin() as c:  # or may act as the owner
        c.exec_driver_sql(f'DROP TABLE "{pg_roles.schema}".stray')
        c.exec_driver_sql(f'GRANT "{pg_roles.owner}" TO "{pg_roles.runtime}"')
    res = raigov("db", "upgrade")
    assert res.exit_code == 2
    assert f"is a member of the migration owner '{pg_roles.owner}'" in said(res)
    assert tables_in(pg_roles) == set()


def test_single_role_upgrade_is_as_before(backend, db, cli_env, monkeypatch):
    """No migration URL: `raigov db upgrade` migrates RAIGOV_DATABASE_URL as it always did; a migration
    URL naming the same role migrates and grants nothing."""
    from raigov.config import reset_settings

    res = raigov("db", "upgrade")
    assert res.exit_code == 0, res.output
    assert "as the migration owner" not in res.stdout and f"-> {head_revision(db)}" in res.stdout
    monkeypatch.setenv("RAIGOV_MIGRATION_DATABASE_URL", db.url)
    reset_settings()
    res = raigov("db", "upgrade")
    assert res.exit_code == 0, res.output
    assert "as the migration owner" in res.stdout and "no separate runtime role" in res.stdout


def test_check_privileges(backend, db, cli_env):
    """SQLite: nothing to check. PostgreSQL as the test superuser (a single-role setup): exit 1, saying so."""
    res = raigov("db", "check-privileges", "--json")
    out = json.loads(res.stdout)
    if backend == "sqlite":
        assert res.exit_code == 0 and out["applicable"] is False and out["ok"] is True
    else:
        assert res.exit_code == 1 and out["ok"] is False
        assert out["problems"] == [f"role {out['role']} is a superuser: no privilege holds it back"]
