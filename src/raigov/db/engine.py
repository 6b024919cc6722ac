"""Engine and unit of work. SQLite runs in WAL mode with foreign keys on and takes the write lock at
the start of each writing transaction (BEGIN IMMEDIATE), so that writers are serialised instead of
failing late; a read transaction (`transaction(read=True)`) begins DEFERRED and never waits on a
writer (WAL readers see the last committed state). PostgreSQL is reached through psycopg 3.

`transaction(lock_wait=seconds)` bounds how long the transaction waits for a lock: SQLite's busy
timeout (the write lock), PostgreSQL's `lock_timeout` (row locks, the audit append lock). A wait
that runs out raises an OperationalError that `is_busy` recognises; the web answers it with 503 and
`Retry-After`."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from raigov.config import get_settings


def normalise_url(url: str) -> str:
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            opts = conn.get_execution_options()
            wait = opts.get(LOCK_WAIT_OPTION)
            # set on every transaction: the pooled connection may carry another transaction's value
            conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS if wait is None else max(int(wait * 1000), 0)}")
            conn.exec_driver_sql("BEGIN" if opts.get(READ_OPTION) else "BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    default_ms = _lock_ms(get_settings().db_lock_wait_seconds)

    # SQLAlchemy's pool_pre_ping, except for a connection given back less than PING_AFTER_IDLE seconds ago: a
    # round trip a transaction fewer under load (an operational system's decisions), while a connection that sat
    # in the pool (where a restart of the server or a network cut would have closed it) is still tried first
    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _given_back(dbapi_conn, record):  # a new connection needs no ping either
        if record is not None:
            record.info[_GIVEN_BACK] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, proxy):
        back = record.info.get(_GIVEN_BACK)
        if back is not None and time.monotonic() - back < PING_AFTER_IDLE and not dbapi_conn.closed:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure of the ping: the pool opens a new connection and tries again
            raise DisconnectionError(f"the pooled connection did not answer: {exc}") from exc
        if alive is False:
            raise DisconnectionError("the pooled connection did not answer")

    @event.listens_for(engine, "connect")
    def _pg_connect(dbapi_conn, record):
        # the usual wait, once per connection: a transaction asking for it needs no statement of its own
        dbapi_conn.autocommit = True
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {default_ms}")
        dbapi_conn.autocommit = False
        record.info[_SESSION_LOCK_MS] = default_ms

    @event.listens_for(engine, "begin")
    def _pg_begin(conn):
        wait = conn.get_execution_options().get(LOCK_WAIT_OPTION)
        wanted = 0 if wait is None else _lock_ms(wait)  # no wait given: PostgreSQL's own default, wait for ever
        if wanted != conn.info.get(_SESSION_LOCK_MS):  # SET LOCAL: for this transaction only
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {wanted}")

    return engine


_SESSION_LOCK_MS = "raigov_lock_timeout_ms"  # connection info: the lock_timeout the PostgreSQL session has
_GIVEN_BACK = "raigov_given_back"  # connection info: time.monotonic() when it was last given back to the pool
PING_AFTER_IDLE = 1.0  # seconds in the pool after which a connection is pinged before it is used again


def _lock_ms(seconds: float) -> int:
    return max(int(seconds * 1000), 1)


SQLITE_BUSY_MS = 30000  # how long a transaction waits for SQLite's write lock unless told otherwise
READ_OPTION = "raigov_read"  # execution option: a read transaction (SQLite: BEGIN DEFERRED)
LOCK_WAIT_OPTION = "raigov_lock_wait"  # execution option: seconds to wait for a lock


Statement = tuple[str, Mapping[str, object] | None]  # SQL text in psycopg's %(name)s style, and its parameters


def pipeline(session: Session, statements: Sequence[Statement]) -> list[list[tuple]]:
    """Statements sent in one round trip in the session's transaction (psycopg's pipeline mode; PostgreSQL only),
    each still run with its own snapshot, in order; a transaction not yet begun sends its BEGIN with them. The rows
    each returned. A database error is raised as SQLAlchemy's (``is_busy`` and the error handlers read it as they
    read any other), after which the transaction can only roll back."""
    import psycopg

    conn = session.connection().connection.driver_connection
    cursors = []
    try:
        with conn.pipeline():
            for sql, params in statements:
                cursors.append(conn.execute(sql, params))
        return [cur.fetchall() if cur.description is not None else [] for cur in cursors]
    except psycopg.Error as exc:  # the driver's own error: these cursors are not SQLAlchemy's
        raise DBAPIError.instance(f"(a pipeline of {len(statements)} statements)", None, exc, psycopg.Error) from None
    finally:
        for cur in cursors:
            cur.close()


def is_busy(exc: BaseException) -> bool:
    """Did a statement fail because another transaction held a lock past the wait allowed? (SQLite
    "database is locked"/"busy", PostgreSQL lock_not_available 55P03.) Such a failure is temporary:
    the caller may try again."""
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "55P03":  # psycopg: lock_timeout ran out
        return True
    name = getattr(orig, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return True
    msg = str(orig).lower()
    return type(orig).__module__.startswith("sqlite3") and ("database is locked" in msg or "database is busy" in msg
                                                            or "database table is locked" in msg)


class Database:
    """One engine and its session factory. `transaction()` is the unit of work: services write
    inside it, and everything (with its audit events) commits together or not at all."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, echo=echo)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._option_engines: dict[tuple, Engine] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, read: bool = False, lock_wait: float | None = None) -> Iterator[Session]:
        """One unit of work. `read=True`: the transaction is meant to read (SQLite begins it DEFERRED,
        so it neither takes nor waits for the write lock; a write in it is still possible and then
        waits like any other). `lock_wait`: seconds to wait for a lock before failing (see is_busy)."""
        opts = {}
        if read:
            opts[READ_OPTION] = True
        if lock_wait is not None:
            opts[LOCK_WAIT_OPTION] = lock_wait
        session = self.sessionmaker(bind=self._engine_with(opts)) if opts else self.sessionmaker()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def _engine_with(self, opts: dict) -> Engine:
        key = tuple(sorted(opts.items()))
        if key not in self._option_engines:  # a view of the same engine and pool, with options
            self._option_engines[key] = self.engine.execution_options(**opts)
        return self._option_engines[key]

    def dispose(self) -> None:
        self.engine.dispose()


_databases: dict[str, Database] = {}


def _database(url: str) -> Database:
    url = normalise_url(url)
    if url not in _databases:
        _databases[url] = Database(url)
    return _databases[url]


def get_database(url: str | None = None) -> Database:
    if url is None:
        settings = get_settings()
        if settings.db_url.startswith("sqlite"):
            settings.ensure_data_dir()
        url = settings.db_url
    return _database(url)


def reset_databases() -> None:
    for db in _databases.values():
        db.dispose()
    _databases.clear()
