"""Shared fixtures: a fresh, migrated database on SQLite and on PostgreSQL, settings in a temporary
data directory, the app. Outside CI a missing PostgreSQL server is a loud skip; with CI=true it
fails the run."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from raigov.config import Settings
from raigov.db.engine import Database
from raigov.db.migrate import upgrade

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


class PgSchema:
    """A throw-away schema on the PostgreSQL test database, reached through search_path."""

    def __init__(self):
        self.name = f"t_{uuid.uuid4().hex[:12]}"
        self.admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with self.admin.begin() as c:
            c.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        sep = "&" if "?" in PG_URL else "?"
        self.url = f"{PG_URL}{sep}options=-csearch_path%3D{self.name}"

    def drop(self):
        with self.admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


def make_database(backend: str, tmp_path: Path):
    """(Database, cleanup) for a fresh migrated database."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'raigov.sqlite3'}")
        upgrade(db)
        return db, db.dispose
    need_postgres()
    schema = PgSchema()
    db = Database(schema.url)
    upgrade(db)

    def cleanup():
        db.dispose()
        schema.drop()

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
