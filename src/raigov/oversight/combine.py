"""Group commit of single decisions within one process (docs/oversight.md §7).

Every recorded decision appends to the audit trail, whose append lock serialises the writers, so under load
single decisions queue for it one transaction each. A :class:`Combiner` lets requests of the same caller that
arrive while one of theirs is being written wait for it, and then writes them together: while a key has writes in
progress, one task of the event loop (the key's driver) takes what has queued (at most ``max_group``), writes it
in one call of ``work`` off the loop (``run``: the thread pool), hands each waiting request its own outcome, and
goes on while anything is queued; then the key is idle again. A request that finds its key idle starts a driver,
which writes it at the event loop's next turn, with whatever arrived in that same turn: combining adds no wait at
low load.

The waiting is done on the event loop (an :class:`asyncio.Future` per request), not in threads: a group costs one
hop to the thread pool, whatever its size, and a waiting request holds no thread. State is per event loop.

``work`` receives the payloads of one group and returns one outcome per payload, in order: a value, or an
exception, which that request raises. The rules of a group (what may be written together, what to do when a
member fails) are the caller's (web/api/oversight.py writes a group as one batch and, when anything in it would
not be answered as it would alone, each member alone).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

__all__ = ["Combiner"]

Work = Callable[[Sequence[Any]], Sequence[Any]]
Runner = Callable[..., Awaitable[Any]]


class Combiner:
    """Groups concurrent calls with the same key (see the module docstring). At most `max_group` payloads a group;
    the rest wait for the next."""

    def __init__(self, max_group: int = 32):
        self.max_group = max_group
        self._queued: dict[Hashable, list[tuple[Any, asyncio.Future]]] = {}
        self._drivers: dict[Hashable, asyncio.Task] = {}

    async def submit(self, key: Hashable, payload: Any, work: Work, run: Runner = asyncio.to_thread,
                     max_group: int | None = None) -> Any:
        """`payload`'s outcome: written alone, or with those of other calls with `key` queued at the same time (at
        most `max_group` together; default the combiner's), by ``await run(work, payloads)``. A key busy when
        this call comes is written by the driver already running, with the `work` and `run` of the call that
        started it."""
        loop = asyncio.get_running_loop()
        k = (loop, key)
        fut = loop.create_future()
        self._queued.setdefault(k, []).append((payload, fut))
        if k not in self._drivers:
            self._drivers[k] = loop.create_task(self._drive(k, work, run, max(1, max_group or self.max_group)))
        return await fut

    def idle(self) -> bool:
        """Nothing queued and no write in progress."""
        return not self._queued and not self._drivers

    async def _drive(self, k: Hashable, work: Work, run: Runner, size: int) -> None:
        try:
            while queued := self._queued.get(k):
                group, rest = queued[:size], queued[size:]
                if rest:
                    self._queued[k] = rest
                else:
                    del self._queued[k]
                try:
                    outcomes = list(await run(work, [p for p, _ in group]))
                    if len(outcomes) != len(group):
                        raise RuntimeError(f"{len(outcomes)} outcomes for a group of {len(group)}")
                except asyncio.CancelledError:
                    for _, fut in group:
                        fut.cancel()
                    raise
                except Exception as exc:  # noqa: BLE001 - every member gets it
                    outcomes = [exc] * len(group)
                for (_, fut), outcome in zip(group, outcomes, strict=True):
                    if fut.done():  # its request went away (cancelled): the write stands, nobody is told
                        continue
                    if isinstance(outcome, BaseException):
                        fut.set_exception(outcome)
                    else:
                        fut.set_result(outcome)
        finally:
            del self._drivers[k]
            for _, fut in self._queued.pop(k, ()):  # only when the driver itself is cancelled (shutdown)
                fut.cancel()
