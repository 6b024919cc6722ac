"""Shared fixtures: a fresh, migrated database on SQLite and on PostgreSQL, settings in a temporary
data directory, the app. Outside CI a missing PostgreSQL server is a loud skip; with CI=true it
fails the run."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from raigov.config import Settings
from raigov.db.engine import Database
from raigov.db.migrate import upgrade
from raigov.identity import credentials

# Passwords in tests: still argon2id, at the lowest cost (production keeps RFC 9106's low-memory profile,
# 0.17 s of CPU a hash; a suite that signs people in thousands of times spent minutes on it).
credentials._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
credentials._dummy_hash.cache_clear()

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("RAIGOV_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SHARED = Path(__file__).resolve().parents[2] / "shared"

_pg_state: dict = {}
PASSWORD = "Correct-Horse-Battery-9"


def postgres_available() -> str | None:
    """None when the server answers, else the reason."""
    if "reason" not in _pg_state:
        try:
            eng = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                                   connect_args={"connect_timeout": 3})
            with eng.connect() as c:
                c.execute(sa.text("SELECT 1"))
            eng.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # noqa: BLE001
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} is not reachable: {type(exc).__name__}: {exc}"
    return _pg_state["reason"]


def need_postgres() -> None:
    reason = postgres_available()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true and {reason}")
        print(f"\n*** SKIPPING PostgreSQL test: {reason} ***")
        pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "backend" in getattr(item, "fixturenames", ()) and "[postgres" in item.nodeid:
            item.add_marker(pytest.mark.postgres)


def _admin_engine():
    return sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")


class _Templates:
    """One migrated database per backend and test process, made on first use; each test gets a copy of it
    (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL: ~0.07 s instead of running every
    migration again, 0.3-0.6 s). Dropped when the process ends."""

    def __init__(self):
        self.sqlite: Path | None = None
        self.pg: str | None = None

    def sqlite_file(self) -> Path:
        if self.sqlite is None:
            folder = Path(tempfile.mkdtemp(prefix="raigov-template-"))
            db = Database(f"sqlite:///{folder / 'template.sqlite3'}")
            upgrade(db)
            db.dispose()
            self.sqlite = folder / "template.sqlite3"
            atexit.register(shutil.rmtree, folder, True)
        return self.sqlite

    def pg_name(self) -> str:
        if self.pg is None:
            name = f"raigov_tmpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            admin = _admin_engine()
            with admin.connect() as c:
                c.execute(sa.text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            db = Database(pg_url(name))
            upgrade(db)
            db.dispose()
            self.pg = name
            atexit.register(drop_pg_database, name)
        return self.pg


TEMPLATES = _Templates()


def pg_url(database: str) -> str:
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def drop_pg_database(name: str) -> None:
    admin = _admin_engine()
    try:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def sweep_pg_databases() -> None:
    """Drop the test databases left by test processes that were killed (their pid is in the name)."""
    if postgres_available():
        return
    admin = _admin_engine()
    with admin.connect() as c:
        names = c.execute(sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'raigov\\_t%'")).scalars().all()
    admin.dispose()
    for name in names:
        pid = name.split("_")[2] if name.count("_") >= 3 else ""
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            drop_pg_database(name)


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # once, in the controlling process
        sweep_pg_databases()


def make_database(backend: str, tmp_path: Path):
    """(Database, cleanup) for a fresh migrated database: a copy of this process's migrated template."""
    if backend == "sqlite":
        target = tmp_path / "raigov.sqlite3"
        shutil.copyfile(TEMPLATES.sqlite_file(), target)
        db = Database(f"sqlite:///{target}")
        return db, db.dispose
    need_postgres()
    name = f"raigov_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATES.pg_name()}"'))
    admin.dispose()
    db = Database(pg_url(name))

    def cleanup():
        db.dispose()
        drop_pg_database(name)

    return db, cleanup


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production",
                    login_max_failures=3, login_lockout_minutes=15)


@pytest.fixture
def db(backend: str, tmp_path: Path):
    database, cleanup = make_database(backend, tmp_path)
    yield database
    cleanup()


@pytest.fixture
def sqlite_db(tmp_path: Path):
    database, cleanup = make_database("sqlite", tmp_path)
    yield database
    cleanup()


@pytest.fixture
def pg_db(tmp_path: Path):
    database, cleanup = make_database("postgres", tmp_path)
    yield database
    cleanup()


@pytest.fixture
def system():
    from raigov.identity.permissions import Actor

    return Actor.system("test")


@pytest.fixture
def make_user(db, settings, system):
    """Create a person (or service) with roles; returns the username. Password: PASSWORD."""
    from raigov.identity import service
    from raigov.identity.schemas import RoleGrantIn, UserCreate

    def _make(username: str, *roles: str, kind: str = "person", org_unit: str | None = None,
              password: bool = True) -> str:
        """password=False: a person who signs in only through single sign-on (no argon2 hash to compute:
        service-level tests that never sign in use it to stay quick)."""
        grants = []
        for spec in roles:
            role, _, unit = spec.partition("@")
            grants.append(RoleGrantIn(role=role, component=unit or None))
        with db.transaction() as s:
            service.create_user(s, system, UserCreate(
                username=username, display_name=username.title(), kind=kind, org_unit=org_unit,
                password=PASSWORD if kind != "service" and password else None, roles=grants), settings)
        return username

    return _make


@pytest.fixture
def actor_of(db):
    from raigov.identity import service

    def _actor(username: str):
        with db.transaction() as s:
            return service.actor_for(s, service.get_user(s, username))

    return _actor


@pytest.fixture
def cli_env(db, settings, monkeypatch):
    """The CLI (a process of its own in production) pointed at this test's database and data directory."""
    from raigov.config import reset_settings

    monkeypatch.setenv("RAIGOV_DATABASE_URL", db.url)
    monkeypatch.setenv("RAIGOV_DATA_DIR", str(settings.data_dir))
    reset_settings()
    yield
    reset_settings()
