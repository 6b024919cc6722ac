"""Execution backends: the same map (partition -> statistics) and reduce (``+``) run in-process,
streaming in bounded memory, or as a Dask graph on a cluster.

``map_fn(row_offset, batch) -> Stats`` must be picklable for Dask (use ``functools.partial`` of a
module-level function with a frozen spec dataclass). Because statistics are integer monoids, the
local fold and the Dask tree reduction give bit-identical counts.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence

from raigov.errors import ValidationFailed
from raigov.evaluation.io import Partition, Source, read_partition

Progress = Callable[[int, int | None], None]

BACKENDS = ("local", "dask")


def map_partition(part: Partition, map_fn, zero_fn=None):
    """Fold all batches of one partition (runs inside a Dask worker for the dask backend)."""
    acc = None
    for offset, batch in read_partition(part):
        s = map_fn(offset, batch)
        acc = s if acc is None else acc + s
    if acc is None:
        if zero_fn is None:
            raise ValidationFailed.one("FILE", "the input has no rows", "empty")
        acc = zero_fn()
    return acc


def run_local(source: Source, columns: Sequence[str], map_fn, zero_fn=None, progress: Progress | None = None):
    acc, done = None, 0
    for offset, batch in source.batches(columns):
        s = map_fn(offset, batch)
        acc = s if acc is None else acc + s
        done += batch.num_rows
        if progress:
            progress(done, source.num_rows)
    if acc is None:
        if zero_fn is None:
            raise ValidationFailed.one("FILE", "the input has no rows", "empty")
        acc = zero_fn()
    return acc


def _tree_reduce_futures(client, futures):
    while len(futures) > 1:
        nxt = [client.submit(operator.add, futures[i], futures[i + 1], pure=False)
               for i in range(0, len(futures) - 1, 2)]
        if len(futures) % 2:
            nxt.append(futures[-1])
        futures = nxt
    return futures[0]


class DaskRunner:
    """A Dask client: connects to ``scheduler`` or starts a distributed ``LocalCluster``.

    Use as a context manager; the cluster it started is closed on exit.
    """

    def __init__(self, scheduler: str | None = None, client=None, n_workers: int = 2, processes: bool = True):
        self._own = client is None
        self._cluster = None
        if client is not None:
            self.client = client
            return
        from distributed import Client, LocalCluster

        if scheduler:
            self.client = Client(scheduler)
        else:
            self._cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                                         dashboard_address=None)
            self.client = Client(self._cluster)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._own:
            self.client.close()
            if self._cluster is not None:
                self._cluster.close()

    def run(self, source: Source, columns, map_fn, zero_fn=None, progress: Progress | None = None,
            rows_per_partition: int | None = None):
        from distributed import as_completed

        parts = source.partitions(columns, rows_per_partition)
        futures = [self.client.submit(map_partition, p, map_fn, zero_fn, pure=False) for p in parts]
        if progress:
            done = 0
            rows = {f.key: (p.num_rows or 0) for f, p in zip(futures, parts)}
            for f in as_completed(futures):
                done += rows[f.key]
                progress(done, source.num_rows)
        return _tree_reduce_futures(self.client, futures).result()


def run(source: Source, columns, map_fn, backend: str = "local", scheduler: str | None = None,
        progress: Progress | None = None, zero_fn=None, runner: DaskRunner | None = None):
    if backend == "local":
        return run_local(source, columns, map_fn, zero_fn, progress)
    if backend == "dask":
        if runner is not None:
            return runner.run(source, columns, map_fn, zero_fn, progress)
        with DaskRunner(scheduler) as r:
            return r.run(source, columns, map_fn, zero_fn, progress)
    raise ValidationFailed.one("--backend", f"unknown backend {backend!r} (local or dask)")


def bind(fn, spec) -> Callable:
    """A picklable ``map_fn(row_offset, batch)`` from a module-level ``fn(spec, row_offset, batch)``."""
    return functools.partial(fn, spec)


def bind_args(fn, spec, *args) -> Callable:
    """Like :func:`bind`, with extra leading arguments: ``map_fn(row_offset, batch)`` calls
    ``fn(spec, *args, row_offset, batch)``."""
    return functools.partial(fn, spec, *args)
