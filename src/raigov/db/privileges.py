"""Two roles on PostgreSQL: a migration owner and a runtime role.

The migration owner (RAIGOV_MIGRATION_DATABASE_URL) owns the schema, its tables, sequences and the
append-only trigger function; only `raigov db upgrade` connects as it. The runtime role (the user of
RAIGOV_DATABASE_URL, or RAIGOV_DATABASE_RUNTIME_ROLE) is what the web app, the CLI and the jobs use.
After every upgrade, in the same transaction, the owner re-grants the runtime role exactly:

- USAGE on the schema (not CREATE);
- SELECT, INSERT on the append-only audit tables (those with the raigov_append_only() triggers);
- SELECT on alembic_version (the readiness check reads it; only the owner moves it);
- SELECT, INSERT, UPDATE, DELETE on every other table;
- USAGE on the sequences;

and nothing else: no ownership, no TRUNCATE, no TRIGGER, no REFERENCES. A role that does not own a
table cannot ALTER it, DROP it, or disable or drop its triggers. Everything the runtime role held
before on the schema's tables and sequences is revoked first, so a re-run is idempotent and strips
privileges granted by hand. Re-granting after every upgrade (rather than ALTER DEFAULT PRIVILEGES)
covers tables that later migrations create, with the append-only rule applied to each.

SQLite and single-role setups (no migration URL, or the owner and the runtime role are the same
role) are left exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from raigov.errors import ValidationFailed

APPEND_ONLY = ("audit_events", "audit_tree_heads")  # as migration 0001; tables with the triggers are added
READ_ONLY = ("alembic_version",)
READ_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
APPEND = ("SELECT", "INSERT")
READ = ("SELECT",)
# privileges the runtime role must not hold on any table (ownership is checked apart)
NEVER = ("TRUNCATE", "TRIGGER", "REFERENCES")

ROLE_SETTING = "RAIGOV_DATABASE_RUNTIME_ROLE"


def runtime_role_name(settings) -> str | None:
    """The runtime role: RAIGOV_DATABASE_RUNTIME_ROLE, else the user name in RAIGOV_DATABASE_URL."""
    if settings.database_runtime_role:
        return settings.database_runtime_role
    if settings.database_url:
        return make_url(settings.database_url).username
    return None


def _q(conn: Connection, ident: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(ident)


def _schema(conn: Connection) -> str:
    return conn.execute(text("SELECT current_schema()")).scalar_one()


def append_only_tables(conn: Connection) -> set[str]:
    """The audit tables: APPEND_ONLY and every table of the schema guarded by raigov_append_only()."""
    rows = conn.execute(text(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "AND p.proname = 'raigov_append_only'")).scalars()
    return set(APPEND_ONLY) | set(rows)


def wanted_privileges(table: str, append_only: set[str]) -> tuple[str, ...]:
    if table in append_only:
        return APPEND
    if table in READ_ONLY:
        return READ
    return READ_WRITE


def _owned_by(conn: Connection, role: str) -> list[str]:
    """Objects of the current schema (and the schema itself) that ROLE owns or may act as owner of."""
    rows = conn.execute(text(
        """
        SELECT 'schema ' || n.nspname FROM pg_namespace n
         WHERE n.nspname = current_schema() AND pg_has_role(:r, n.nspowner, 'MEMBER')
        UNION ALL
        SELECT CASE c.relkind WHEN 'S' THEN 'sequence ' WHEN 'v' THEN 'view ' ELSE 'table ' END
               || c.relname FROM pg_class c
         WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
           AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND pg_has_role(:r, c.relowner, 'MEMBER')
        UNION ALL
        SELECT 'function ' || p.proname || '()' FROM pg_proc p
         WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
           AND pg_has_role(:r, p.proowner, 'MEMBER')
        """), {"r": role}).scalars()
    return sorted(rows)


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed.one(ROLE_SETTING, message)


def check_runtime_role(conn: Connection, role: str | None) -> bool:
    """Before migrating: may the owner (current_user) hand ROLE the runtime privileges? False when there
    is nothing to do (not PostgreSQL, no role, or ROLE is the owner itself: today's single-role setup).
    Raises ValidationFailed naming RAIGOV_DATABASE_RUNTIME_ROLE when the separation would be hollow."""
    if conn.dialect.name != "postgresql" or not role:
        return False
    owner = conn.execute(text("SELECT current_user")).scalar_one()
    if role == owner:
        return False
    found = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if found is None:
        raise _refuse(f"the runtime role {role!r} does not exist on the server: create it first "
                      "(see docs/operations.md, Databases)")
    if found[0]:
        raise _refuse(f"the runtime role {role!r} is a superuser: it bypasses every privilege; "
                      "use an ordinary LOGIN role")
    if conn.execute(text("SELECT pg_has_role(:r, current_user, 'MEMBER')"), {"r": role}).scalar_one():
        raise _refuse(f"the runtime role {role!r} is a member of the migration owner {owner!r} and could act as it")
    owned = _owned_by(conn, role)
    if owned:
        shown = ", ".join(owned[:8]) + (f" and {len(owned) - 8} more" if len(owned) > 8 else "")
        raise _refuse(f"the runtime role {role!r} owns {shown} in schema {_schema(conn)!r}: hand them to the "
                      f"migration owner first (as a superuser: REASSIGN OWNED BY {role} TO {owner})")
    return True


def grant_runtime_privileges(conn: Connection, role: str) -> dict:
    """Re-grant ROLE exactly the runtime privileges on the current schema (see the module's doc).
    Run as the owner, after the migrations, in their transaction."""
    schema = _schema(conn)
    s, r = _q(conn, schema), _q(conn, role)
    conn.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}")
    conn.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}")
    conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {s} FROM {r}")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {s} TO {r}")
    append_only = append_only_tables(conn)
    tables = conn.execute(text(
        "SELECT relname FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "AND relkind IN ('r', 'p', 'v', 'm') ORDER BY relname")).scalars().all()
    granted: dict[str, list[str]] = {}
    for t in tables:
        privs = wanted_privileges(t, append_only)
        conn.exec_driver_sql(f"GRANT {', '.join(privs)} ON TABLE {s}.{_q(conn, t)} TO {r}")
        granted[t] = list(privs)
    conn.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}")
    return {"role": role, "schema": schema, "tables": granted,
            "append_only": sorted(t for t in tables if t in append_only)}


@dataclass
class PrivilegeCheck:
    role: str
    schema: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"role": self.role, "schema": self.schema, "ok": self.ok, "problems": self.problems}


def check_privileges(conn: Connection) -> PrivilegeCheck:
    """What the connected (runtime) role could do beyond the runtime privileges: own or act as owner of
    the schema or its objects (ALTER, DROP, DISABLE TRIGGER), be a superuser, TRUNCATE, TRIGGER,
    REFERENCES on any table, change or delete audit rows, create objects in the schema."""
    role = conn.execute(text("SELECT current_user")).scalar_one()
    check = PrivilegeCheck(role=role, schema=_schema(conn))
    if conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar_one():
        check.problems.append(f"role {role} is a superuser: no privilege holds it back")
        return check
    for obj in _owned_by(conn, role):
        check.problems.append(f"role {role} owns {obj}: it can alter or drop it (and disable or drop triggers)")
    if conn.execute(text("SELECT has_schema_privilege(current_user, current_schema(), 'CREATE')")).scalar_one():
        check.problems.append(f"role {role} can create objects in schema {check.schema}")
    append_only = append_only_tables(conn)
    held: dict[str, list[str]] = {}
    for name, priv in conn.execute(text(
            "SELECT c.relname, p.priv FROM pg_class c CROSS JOIN unnest(CAST(:privs AS text[])) WITH ORDINALITY AS p(priv, n) "
            "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
            "AND c.relkind IN ('r', 'p') AND has_table_privilege(current_user, c.oid, p.priv) "
            "ORDER BY c.relname, p.n"), {"privs": [*NEVER, "UPDATE", "DELETE"]}):
        if priv in NEVER or name in append_only or name in READ_ONLY:
            held.setdefault(name, []).append(priv)
    for name, privs in held.items():
        check.problems.append(f"role {role} holds {', '.join(privs)} on {name}")
    return check
