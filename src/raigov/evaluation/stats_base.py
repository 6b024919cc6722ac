"""The base of the mergeable statistics (see ``raigov.evaluation.stats``): the kinds of comparison, group
encoding (dictionary-encoded group columns, their sorted levels, and scattering counts into the union of
two level sets), the threshold array check and the tree merge."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

IMPOSTOR, GENUINE = 0, 1

Levels = tuple[tuple, ...]


# ---------------------------------------------------------------------------------------------
# group encoding
# ---------------------------------------------------------------------------------------------


def as_arrow(values) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if hasattr(values, "to_numpy") and hasattr(values, "dtype") and str(values.dtype) == "category":
        # pandas categorical: keep codes and categories without materialising objects
        return pa.DictionaryArray.from_arrays(
            pa.array(np.asarray(values.cat.codes), type=pa.int32()), pa.array(list(values.cat.categories))
        )
    arr = np.asarray(values)
    return pa.array(arr)


def encode_column(values) -> tuple[tuple, np.ndarray]:
    """Dictionary-encode one group column.

    Returns ``(levels, codes)``: the sorted tuple of the values that occur, and an ``int64`` code per
    row indexing into it. Nulls must have been rejected by the caller.
    """
    arr = as_arrow(values)
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    dictionary = arr.dictionary
    idx = arr.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    used = np.bincount(idx, minlength=len(dictionary)) > 0
    used_idx = np.flatnonzero(used)
    values_used = dictionary.take(pa.array(used_idx)).to_pylist()
    order = sorted(range(len(values_used)), key=lambda i: values_used[i])
    levels = tuple(values_used[i] for i in order)
    lookup = np.full(len(dictionary), -1, dtype=np.int64)
    lookup[used_idx[order]] = np.arange(len(order), dtype=np.int64)
    return levels, lookup[idx]


def encode_groups(columns: Sequence) -> tuple[Levels, np.ndarray]:
    """Encode several group columns into one flat (row-major, mixed-radix) intersection code."""
    levels, codes = [], []
    for col in columns:
        lv, c = encode_column(col)
        levels.append(lv)
        codes.append(c)
    shape = tuple(len(lv) for lv in levels)
    if not columns:
        return (), np.zeros(0, dtype=np.int64)
    if len(codes) == 1:
        return tuple(levels), codes[0]
    flat = np.ravel_multi_index(tuple(codes), shape) if all(shape) else np.zeros(0, dtype=np.int64)
    return tuple(levels), np.asarray(flat, dtype=np.int64)


def union_levels(a: Levels, b: Levels) -> Levels:
    if a == b:
        return a
    return tuple(tuple(sorted(set(x) | set(y))) for x, y in zip(a, b, strict=True))


def _level_maps(own: Levels, union: Levels) -> list[np.ndarray]:
    maps = []
    for o, u in zip(own, union, strict=True):
        pos = {v: i for i, v in enumerate(u)}
        maps.append(np.array([pos[v] for v in o], dtype=np.int64))
    return maps


def scatter(arr: np.ndarray, own: Levels, union: Levels) -> np.ndarray:
    """Place a dense array whose leading axes follow ``own`` into the ``union`` level space."""
    if own == union:
        return arr
    g = len(own)
    out = np.zeros(tuple(len(u) for u in union) + arr.shape[g:], dtype=arr.dtype)
    if arr.size:
        out[np.ix_(*_level_maps(own, union))] += arr
    return out


def remap_flat(codes: np.ndarray, own: Levels, union: Levels) -> np.ndarray:
    if own == union or codes.size == 0:
        return codes
    shape = tuple(len(o) for o in own)
    multi = np.unravel_index(codes, shape)
    maps = _level_maps(own, union)
    return np.ravel_multi_index(tuple(m[c] for m, c in zip(maps, multi)), tuple(len(u) for u in union)).astype(
        np.int64
    )


def n_cells(levels: Levels) -> int:
    return int(np.prod([len(lv) for lv in levels], dtype=np.int64)) if levels else 1


def cell_labels(columns: Sequence[str], levels: Levels) -> list[dict]:
    """The group dict ``{column: value}`` for every flat cell, in flat-code order."""
    import itertools

    return [dict(zip(columns, combo)) for combo in itertools.product(*levels)]



def check_thresholds(thresholds) -> np.ndarray:
    t = np.asarray(thresholds if thresholds is not None else [], dtype=np.float64).ravel()
    if np.isnan(t).any():
        raise ValueError("thresholds must not be NaN")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        t = np.unique(t)
    return t



def merge_all(items):
    """Tree-merge a sequence of statistics (pairwise, so depth is log2(n))."""
    items = list(items)
    if not items:
        raise ValueError("nothing to merge")
    while len(items) > 1:
        nxt = [items[i] + items[i + 1] for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    return items[0]

