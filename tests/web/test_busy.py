"""Reads never wait on writes; a write that finds the database held by another writer (a long import)
gets 503 with Retry-After, never a 500 after a long wait (issue #12 item 7). The other writer is
simulated by a connection of its own holding what an import holds: on SQLite the write lock, on
PostgreSQL the audit append lock (and the rows of the sessions and tokens)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from raigov.audit.service import PG_LOCK_KEY
from raigov.db.base import utcnow
from raigov.errors import problem_type
from raigov.identity.models import ApiToken, WebSession
from tests.web.conftest import csrf_from

pytestmark = pytest.mark.serial  # times lock waits: runs alone, after the parallel part of make test

PROBLEM = "application/problem+json"


@contextmanager
def another_writer(db):
    """Hold, in a connection of its own, the lock a long write transaction holds."""
    if db.dialect == "sqlite":
        conn = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE web_sessions SET ip = ip")  # a write in flight, as an import's rows are
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with db.engine.connect() as conn:
        tx = conn.begin()
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"), {"k": PG_LOCK_KEY})
        conn.execute(sa.text("SELECT id FROM web_sessions FOR UPDATE"))
        conn.execute(sa.text("SELECT id FROM api_tokens FOR UPDATE"))
        try:
            yield
        finally:
            tx.rollback()


def _stale(db):
    """Make the sessions and tokens due for their "last used" note (which is a write): as if five minutes had
    passed, for the database and for this process's memory of the notes it took (identity._TOUCHED)."""
    from raigov.identity import service as identity

    with db.transaction() as s:
        s.execute(sa.update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        s.execute(sa.update(ApiToken).values(last_used_at=None))
    identity._TOUCHED.clear()


def _timed(fn):
    t0 = time.perf_counter()
    r = fn()
    return r, time.perf_counter() - t0


def test_signed_in_reads_do_not_wait_for_a_writer(backend, db, client, settings, make_user, sign_in, token_for):
    make_user("carol.caio", "caio")
    assert sign_in("carol.caio").status_code == 303
    headers = token_for("carol.caio")
    pages, api = ("/home", "/inventory", "/account", "/audit"), ("/api/v1/me", "/api/v1/use-cases", "/api/v1/audit/events")
    for url in pages + api:  # warm (templates, catalogue): what is timed below is waiting, not first use
        assert client.get(url, headers=headers if url.startswith("/api/") else None).status_code == 200
    _stale(db)
    with another_writer(db):
        for url in pages:
            r, dt = _timed(lambda url=url: client.get(url))
            assert r.status_code == 200, (url, r.status_code)
            assert dt < 1.0, f"GET {url} took {dt:.2f} s while another transaction held the write lock"
        for url in api:
            r, dt = _timed(lambda url=url: client.get(url, headers=headers))
            assert r.status_code == 200, (url, r.status_code, r.text[:200])
            assert dt < 1.0, f"GET {url} took {dt:.2f} s while another transaction held the write lock"
    with db.transaction() as s:  # the best-effort note was skipped while the database was busy ...
        assert s.scalar(sa.select(ApiToken.last_used_at)) is None
    assert client.get("/home").status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with db.transaction() as s:  # ... and is taken again once it is free
        seen = s.scalar(sa.select(WebSession.last_seen_at))
        assert utcnow() - seen < timedelta(seconds=30)
        assert s.scalar(sa.select(ApiToken.last_used_at)) is not None


def test_a_write_that_finds_the_database_busy_gets_503_with_retry_after(backend, db, client, settings, make_user,
                                                                        sign_in, token_for):
    settings.db_lock_wait_seconds = 0.5
    settings.busy_retry_after_seconds = 7
    make_user("carol.caio", "caio")
    assert sign_in("carol.caio").status_code == 303
    headers = token_for("carol.caio")
    with db.transaction() as s:
        tokens_before = s.scalar(sa.select(sa.func.count()).select_from(ApiToken))
    form_csrf = csrf_from(client.get("/account").text)
    with another_writer(db):
        r, dt = _timed(lambda: client.post("/api/v1/tokens", json={"name": "while busy"}, headers=headers))
        assert r.status_code == 503, r.text[:300]
        assert r.headers["retry-after"] == "7" and r.headers["content-type"] == PROBLEM
        body = r.json()
        assert body["type"] == problem_type("busy") and body["status"] == 503 and body["instance"] == "/api/v1/tokens"
        assert dt < 3.0, f"the write waited {dt:.2f} s, not the configured 0.5 s"
        page, dt = _timed(lambda: client.post("/account/tokens", data={"name": "page while busy", "csrf_token": form_csrf}))
        assert page.status_code == 503 and page.headers["retry-after"] == "7"
        assert "text/html" in page.headers["content-type"] and "The database is busy" in page.text
        assert dt < 3.0
    with db.transaction() as s:  # nothing half written
        assert s.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == tokens_before
    r = client.post("/api/v1/tokens", json={"name": "after"}, headers=headers)  # free again: the write goes through
    assert r.status_code == 201
