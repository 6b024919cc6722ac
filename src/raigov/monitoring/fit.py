"""The reference's spec and its counts on it, from a file, fast and in bounded memory.

:func:`fit_reference` reads the reference once when its numeric values fit ``memory_values`` (float64 each):
each numeric column is sorted, its edges are read off the sorted values (:func:`quantiles.linear_quantiles`,
equal to ``np.quantile`` bit for bit) and its counts are taken by binary search of the edges in the sorted
values; a categorical column is counted per value (Arrow's ``value_counts``) and its counts derived from those.
A larger reference switches, during the same first read, to the bounded path: pass 1's key histograms
(:func:`quantiles.top_histogram`), the exact radix selection of the order statistics the quantiles need
(:func:`quantiles.select`, one or more reads of each numeric column) and a counting read on the fixed bins. Both
paths give the spec and the counts of :func:`profile.fit_spec` + :func:`profile.profile_batches` exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from raigov.errors import ValidationFailed
from raigov.evaluation.io import Source
from raigov.monitoring import quantiles
from raigov.monitoring.columns import to_float, to_text
from raigov.monitoring.profile import MAX_REFERENCE_CATEGORIES, CategoricalSpec, NumericSpec, Spec, top_categories

MEMORY_VALUES = 1 << 24  # numeric reference values held in memory for the one-read fit (128 MB of float64)


def edges_from_sorted(xs: np.ndarray, bins: int) -> tuple[float, ...]:
    """:func:`profile.quantile_edges` of the sorted non-missing values ``xs``."""
    if xs.size == 0:
        raise ValidationFailed.one("REFERENCE", "a numeric feature has no value in the reference")
    return _edges(quantiles.linear_quantiles(lambda r: xs[r], xs.size, np.linspace(0.0, 1.0, bins + 1)))


def _edges(q: np.ndarray) -> tuple[float, ...]:
    edges = np.unique(q)
    if edges.size == 1:
        edges = np.array([edges[0], edges[0]])
    return tuple(float(v) for v in edges)


def counts_from_sorted(xs: np.ndarray, missing: int, edges: Sequence[float]) -> np.ndarray:
    """A numeric feature's counts (missing, underflow, bins, overflow) of the sorted non-missing values ``xs``:
    the same as counting :meth:`NumericSpec.codes` row by row (the last bin closed)."""
    e = np.asarray(edges, np.float64)
    left = np.searchsorted(xs, e, side="left")
    top = int(np.searchsorted(xs, e[-1], side="right"))
    inner = np.diff(np.append(left[:-1], top))
    return np.concatenate([[missing, left[0]], inner, [xs.size - top]]).astype(np.int64)


def value_counts(arr: pa.Array, into: dict[str, int]) -> int:
    """Add the non-missing text values' counts of ``arr`` to ``into``; returns the number missing."""
    text = to_text(arr)
    vc = pc.value_counts(text.drop_null())
    for v, n in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True):
        into[v] = into.get(v, 0) + n
    return text.null_count


def categorical_counts(spec: CategoricalSpec, counts: dict[str, int], missing: int) -> np.ndarray:
    """A categorical feature's counts (missing, top K, other, unseen) from its per-value counts."""
    out = np.zeros(spec.n_bins, np.int64)
    out[0] = missing
    index = {v: i + 1 for i, v in enumerate(spec.top)}
    for v, n in counts.items():
        out[index.get(v, spec.n_bins - 2 if v in spec.reference else spec.n_bins - 1)] += n
    return out


def numeric_column(src: Source, column: str) -> tuple[np.ndarray, int]:
    """The sorted non-missing values of one numeric column and the number missing (one read of that column)."""
    parts = [to_float(b.column(column), column, off) for off, b in src.batches([column])]
    x = np.concatenate(parts) if parts else np.array([])
    del parts
    keep = ~np.isnan(x)
    xs = x[keep]
    xs.sort()
    return xs, int(x.size - xs.size)


def _present(src: Source, column: str) -> Iterator[np.ndarray]:
    for off, b in src.batches([column]):
        x = to_float(b.column(column), column, off)
        yield x[~np.isnan(x)]


def fit_reference(src: Source, numeric: Sequence[str], categorical: Sequence[str], bins: int = 10,
                  top_k: int = 20, memory_values: int = MEMORY_VALUES) -> tuple[Spec, dict[str, np.ndarray]]:
    """(spec, counts per feature) of the reference; see the module's docstring. Long because it is the one read
    that serves both paths (held values, or pass-1 histograms once the budget is passed)."""
    numeric, categorical = list(numeric), list(categorical)
    held: dict[str, list[np.ndarray]] | None = {c: [] for c in numeric}
    hist = {c: np.zeros(1 << quantiles.LEVELS[0], np.int64) for c in numeric}
    missing = dict.fromkeys([*numeric, *categorical], 0)
    values: dict[str, dict[str, int]] = {c: {} for c in categorical}
    n_held = 0
    for offset, batch in src.batches([*numeric, *categorical]):
        for c in numeric:
            x = to_float(batch.column(c), c, offset)
            nan = np.isnan(x)
            missing[c] += int(nan.sum())
            if held is not None:
                held[c].append(x[~nan])
            else:
                hist[c] += quantiles.top_histogram(x[~nan])
        n_held += batch.num_rows * len(numeric)
        if held is not None and n_held > memory_values:
            for c in numeric:
                for part in held[c]:
                    hist[c] += quantiles.top_histogram(part)
            held = None
        for c in categorical:
            missing[c] += value_counts(batch.column(c), values[c])
            if len(values[c]) > MAX_REFERENCE_CATEGORIES:
                raise ValidationFailed.one(c, f"more than {MAX_REFERENCE_CATEGORIES} distinct values: not categorical")
    feats: list[NumericSpec | CategoricalSpec] = []
    counts: dict[str, np.ndarray] = {}
    q = np.linspace(0.0, 1.0, bins + 1)
    for c in numeric:
        if held is not None:
            xs = np.concatenate(held[c]) if held[c] else np.array([])
            held[c] = []
            xs.sort()
            feats.append(NumericSpec(c, edges_from_sorted(xs, bins)))
            counts[c] = counts_from_sorted(xs, missing[c], feats[-1].edges)
            continue
        n = int(hist[c].sum())
        if n == 0:
            raise ValidationFailed.one("REFERENCE", "a numeric feature has no value in the reference")
        found = quantiles.select(lambda c=c: _present(src, c), hist[c], quantiles.needed_ranks(n, q))
        feats.append(NumericSpec(c, _edges(quantiles.linear_quantiles(
            lambda r, found=found: np.array([found[int(i)] for i in r]), n, q))))
    if held is None and numeric:
        for offset, batch in src.batches(numeric):
            for f in feats:
                k = f.codes(to_float(batch.column(f.name), f.name, offset))
                counts[f.name] = counts.get(f.name, 0) + np.bincount(k, minlength=f.n_bins)
    for c in categorical:
        feats.append(CategoricalSpec(c, top_categories(values[c], top_k), frozenset(values[c])))
        counts[c] = categorical_counts(feats[-1], values[c], missing[c])
    return Spec(tuple(feats)), counts
