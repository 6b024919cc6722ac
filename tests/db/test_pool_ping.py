"""The pool pings a PostgreSQL connection before use only when it sat in the pool PING_AFTER_IDLE seconds or more
(db/engine.py): a connection the server closed meanwhile is replaced, not handed to a request; one given back
moments ago is used at once (a round trip fewer a transaction under load)."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from raigov.db import engine as E


def _pid(db) -> int:
    with db.transaction() as s:
        return s.execute(text("SELECT pg_backend_pid()")).scalar()


def _kill(db, pid: int) -> None:
    with create_engine(db.url, poolclass=NullPool).connect() as c:  # not the pool's: it would hand out that one
        assert c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar() is True


def test_a_connection_closed_while_it_sat_in_the_pool_is_replaced(pg_db, monkeypatch):
    first = _pid(pg_db)
    _kill(pg_db, first)
    monkeypatch.setattr(E, "PING_AFTER_IDLE", 0.0)  # every connection has sat long enough
    assert _pid(pg_db) != first  # pinged, found closed, replaced: the request never sees it


def test_a_connection_given_back_moments_ago_is_not_pinged(pg_db, monkeypatch):
    calls = []
    real = pg_db.engine.dialect.do_ping
    monkeypatch.setattr(pg_db.engine.dialect, "do_ping", lambda conn: calls.append(1) or real(conn))
    _pid(pg_db)
    _pid(pg_db)
    _pid(pg_db)
    assert calls == []  # given back less than PING_AFTER_IDLE ago each time
    monkeypatch.setattr(E, "PING_AFTER_IDLE", 0.0)
    _pid(pg_db)
    assert calls == [1]


def test_a_ping_that_fails_opens_a_new_connection(pg_db, monkeypatch):
    first = _pid(pg_db)
    monkeypatch.setattr(E, "PING_AFTER_IDLE", 0.0)
    real, failed = pg_db.engine.dialect.do_ping, []

    def once(conn):  # the pooled connection does not answer; the new one would
        if not failed:
            failed.append(1)
            raise OSError("no answer")
        return real(conn)

    monkeypatch.setattr(pg_db.engine.dialect, "do_ping", once)
    assert _pid(pg_db) != first and failed == [1]
