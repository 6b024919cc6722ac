"""A cache of values read from the database, kept in this process and checked against the audit trail's epoch
(``service.epoch``): a value is reused only while no event that may change state was appended since it was read,
so it is never stale for longer than a statement's snapshot is. Used where one request would otherwise read the
same slowly-changing rows again and again: the gate's input for the decision ledger (oversight/facts.py) and an
API token's actor (identity/service.py)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy.orm import Session

from raigov.audit.service import epoch as trail_epoch

T = TypeVar("T")


def database_key(session: Session) -> str:
    """Which database (URL without the password, with its options: two PostgreSQL schemas differ)."""
    return session.get_bind().url.render_as_string(hide_password=True)


class EpochCache:
    """Up to `maxsize` entries, least recently used out first; safe across threads. An entry is
    (database, key) -> (epoch, time read, value)."""

    def __init__(self, maxsize: int = 10_000) -> None:
        self.maxsize = maxsize
        self._d: OrderedDict[tuple[str, Hashable], tuple[tuple[int, str], float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, key: Hashable, compute: Callable[[], T], *, max_age: float = 300,
            epoch: tuple[int, str] | bool | None = False, keep_none: bool = True) -> T:
        """The value of `key`: cached when it was read under the current epoch less than `max_age` seconds ago,
        else ``compute()`` (read after the epoch, so that a change committed in between only makes the entry
        newer than its epoch, never older). `epoch`: the epoch when the caller read it already in this
        transaction. ``max_age <= 0`` or an uncommitted change in this transaction: computed, not cached.
        ``keep_none=False``: a None value is not kept (an unknown API token must not push known ones out)."""
        if max_age <= 0:
            return compute()
        ep = trail_epoch(session) if epoch is False else epoch
        if ep is None:
            return compute()
        k = (database_key(session), key)
        now = time.monotonic()
        with self._lock:
            hit = self._d.get(k)
            if hit is not None and hit[0] == ep and now - hit[1] < max_age:
                self._d.move_to_end(k)
                return hit[2]  # type: ignore[return-value]
        value = compute()
        if value is None and not keep_none:
            return value
        with self._lock:
            self._d[k] = (ep, now, value)
            self._d.move_to_end(k)
            while len(self._d) > self.maxsize:
                self._d.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
