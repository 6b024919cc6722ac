"""Group commit of single decisions within one process (docs/oversight.md §7).

Every recorded decision appends to the audit trail, whose append lock serialises the writers, so under load
single decisions queue for it one transaction each. A :class:`Combiner` lets requests of the same caller that
arrive while one of theirs is being written wait for it, and then writes them together: the first request to
find the caller idle leads, writes what has queued by then (its own included) in one transaction, hands each
waiting request its own outcome, and passes the lead to the next request queued meanwhile. A request that finds
nothing in progress is written at once, alone: combining adds no wait at low load.

``work`` receives the payloads of one group and returns one outcome per payload, in order: a value, or an
exception, which that request raises. The rules of a group (what may be written together, what to do when a
member fails) are the caller's (web/api/oversight.py writes a group as one batch and, when anything in it would
not be answered as it would alone, each member alone).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

__all__ = ["Combiner"]


class _Waiting:
    __slots__ = ("done", "lead", "outcome", "payload")

    def __init__(self, payload: Any):
        self.payload = payload
        self.done = threading.Event()
        self.lead = False
        self.outcome: Any = None


class Combiner:
    """Groups concurrent calls with the same key (see the module docstring). At most `max_group` payloads a group;
    the rest wait for the next."""

    def __init__(self, max_group: int = 32):
        self.max_group = max_group
        self._lock = threading.Lock()
        self._queued: dict[Hashable, list[_Waiting]] = {}
        self._busy: set[Hashable] = set()

    def submit(self, key: Hashable, payload: Any, work: Callable[[Sequence[Any]], Sequence[Any]],
               max_group: int | None = None) -> Any:
        """`payload`'s outcome: written alone, or with those of other calls with `key` queued at the same time (at
        most `max_group` together; default the combiner's)."""
        me = _Waiting(payload)
        with self._lock:
            self._queued.setdefault(key, []).append(me)
            lead = key not in self._busy
            if lead:
                self._busy.add(key)
        if not lead:
            me.done.wait()
            if not me.lead:
                return _unwrap(me.outcome)
        with self._lock:  # leading: what has queued so far (this call's own payload among it)
            queued = self._queued[key]
            size = max(1, max_group or self.max_group)
            group, rest = queued[:size], queued[size:]
            if rest:
                self._queued[key] = rest
            else:
                del self._queued[key]
        try:
            outcomes = list(work([w.payload for w in group]))
            if len(outcomes) != len(group):
                raise RuntimeError(f"{len(outcomes)} outcomes for a group of {len(group)}")
        except BaseException as exc:  # noqa: BLE001 - every member gets it; this call raises it below
            outcomes = [exc] * len(group)
        for w, outcome in zip(group, outcomes, strict=True):
            w.outcome = outcome
            if w is not me:
                w.done.set()
        with self._lock:  # the lead passes to the next call queued meanwhile, or the key is idle again
            waiting = self._queued.get(key)
            if waiting:
                waiting[0].lead = True
                waiting[0].done.set()
            else:
                self._busy.discard(key)
        return _unwrap(me.outcome)


def _unwrap(outcome: Any) -> Any:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
