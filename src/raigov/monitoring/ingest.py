"""Files to counts, streamed in batches (bounded memory once the spec is fixed): the reference profile of a new
monitor, and a window's counts on the monitor's bins (the same JSON the API takes: windows.check_counts)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from raigov.errors import ValidationFailed
from raigov.evaluation.io import Source
from raigov.monitoring.columns import to_float, to_text
from raigov.monitoring.fit import fit_reference
from raigov.monitoring.profile import Profile, Spec

WINDOW = "window"


def reference_profile(path: str, numeric: Sequence[str], categorical: Sequence[str], bins: int = 10,
                      top_k: int = 20) -> tuple[Spec, dict[str, list[int]], int]:
    """(spec, counts per feature, rows) of the reference file."""
    if not numeric and not categorical:
        raise ValidationFailed.one("numeric", "name at least one numeric or categorical feature")
    both = [*numeric, *categorical]
    if len(set(both)) != len(both):
        raise ValidationFailed.one("numeric", "a column is named twice")
    if not 1 <= bins <= 1000:
        raise ValidationFailed.one("bins", "must be between 1 and 1000")
    src = Source(path)
    src.require({"numeric": list(numeric), "categorical": list(categorical)})
    spec, fitted = fit_reference(src, numeric, categorical, bins=bins, top_k=top_k)
    counts = {f.name: fitted[f.name].tolist() for f in spec.features}
    rows = sum(counts[spec.features[0].name])
    if rows == 0:
        raise ValidationFailed.one("reference", "the reference file has no rows", "empty")
    return spec, counts, rows


def _flags(arr, column: str, offset: int) -> np.ndarray:
    """0/1 (or false/true) values as floats 0, 1; NaN when missing."""
    try:
        return to_float(arr, column, offset)
    except ValidationFailed:
        text = to_text(arr).to_pylist()
        words = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}
        out = []
        for i, v in enumerate(text):
            if v is None:
                out.append(np.nan)
            elif v.lower() in words:
                out.append(words[v.lower()])
            else:
                raise ValidationFailed.one(column, f"row {offset + i + 1}: {v!r} is not 0/1 or true/false") from None
        return np.array(out)


def window_counts(spec: Spec, config: dict, path: str) -> dict:
    """The window's counts from a CSV or Parquet file: ``{"rows", "features", "outcomes"}``. The file must hold
    every feature of the monitor (and its group, label and prediction columns when the monitor names them)."""
    src = Source(path)
    feats = [f.name for f in spec.features]
    extra = {k: config.get(k) for k in ("group", "label", "prediction") if config.get(k)}
    src.require({"the monitor's features": feats, **{f"the monitor's {k} column": v for k, v in extra.items()}})
    prof = Profile(spec)
    has_outcomes = "label" in extra and "prediction" in extra
    cols = [*feats, *extra.values()]
    for offset, batch in src.batches(list(dict.fromkeys(cols))):
        prof.add_batch(batch, WINDOW, None, offset)
        if has_outcomes:
            y = _flags(batch.column(extra["label"]), extra["label"], offset)
            p = _flags(batch.column(extra["prediction"]), extra["prediction"], offset)
            g = (to_text(batch.column(extra["group"])).fill_null("").to_pylist() if "group" in extra
                 else [""] * batch.num_rows)
            keep = ~(np.isnan(y) | np.isnan(p))
            if keep.any():
                prof.add_outcomes(WINDOW, np.asarray(g, dtype=object)[keep], y[keep] == 1, p[keep] == 1)
    counts = {f: prof.feature_counts(WINDOW, f).tolist() for f in feats}
    rows = sum(counts[feats[0]])
    if rows == 0:
        raise ValidationFailed.one("FILE", "the window is empty (0 rows)", "empty")
    outcomes = {g: v.tolist() for (_, g, _), v in sorted(prof.confusion.items())}
    return {"rows": rows, "features": counts, "outcomes": outcomes}
