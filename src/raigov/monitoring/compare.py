"""`raigov monitor drift`: compare a current file with a reference file, without the database.

Three streamed passes: fix the spec on the reference, count both files on it (the mergeable profile, bounded
memory), then read each numeric column of both files (one column at a time) for the exact KS and
Wasserstein-1. The result's keys are a contract (docs/monitoring.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from raigov.errors import ValidationFailed
from raigov.evaluation.io import Source
from raigov.monitoring import drift as m
from raigov.monitoring import fit
from raigov.monitoring.columns import to_float
from raigov.monitoring.profile import MAX_REFERENCE_CATEGORIES, CategoricalSpec, NumericSpec, top_categories

KEYS = ("name", "kind", "n_reference", "n_current", "psi", "psi_critical", "js_distance", "js_base",
        "wasserstein_std", "chi2", "chi2_dof", "chi2_p", "ks", "ks_p", "drift", "method")


def infer_kinds(src: Source, sample_rows: int = 1000) -> tuple[list[str], list[str]]:
    """Every column: numeric when its type is (Parquet) or its first `sample_rows` values read as numbers."""
    numeric, categorical = [], []
    for _, batch in src.batches(src.names):
        for c in src.names:
            col = batch.column(c)
            if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
                numeric.append(c)
                continue
            try:
                to_float(col.slice(0, sample_rows), c)
                numeric.append(c)
            except ValidationFailed:
                categorical.append(c)
        break
    return numeric, categorical


def numeric_values(src: Source, column: str) -> np.ndarray:
    return fit.numeric_column(src, column)[0]


def _finite(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)


def drift_report(reference: str, current: str, numeric: Sequence[str] = (), categorical: Sequence[str] = (),
                 bins: int = 10, top_k: int = 20, alpha: float = m.ALPHA) -> dict:
    """The drift of each feature; see docs/monitoring.md for every formula."""
    if bins < 1 or bins > 1000:
        raise ValidationFailed.one("--bins", "must be between 1 and 1000")
    ref, cur = Source(reference), Source(current)
    numeric, categorical = list(numeric), list(categorical)
    if not numeric and not categorical:
        numeric, categorical = infer_kinds(ref)
    both = [*numeric, *categorical]
    if len(set(both)) != len(both):
        raise ValidationFailed.one("--numeric", "a column is named twice")
    ref.require({"--numeric": numeric, "--categorical": categorical})
    cur.require({"--numeric": numeric, "--categorical": categorical})
    rows = [_numeric(name, ref, cur, bins) for name in numeric]
    rows += _categorical(categorical, ref, cur, top_k)
    adjusted = m.benjamini_hochberg(np.array([r.pop("_p") for r in rows]))
    for r, q in zip(rows, adjusted, strict=True):
        r["drift"] = bool(q < alpha) if not math.isnan(q) else False
        r["method"] += (f"; drift: Benjamini-Hochberg-adjusted p ({'KS' if r['kind'] == 'numeric' else 'chi-square'})"
                        f" = {q:.4g} < {alpha} across {len(rows)} features")
    return {"features": [{k: r[k] for k in KEYS} for r in rows]}


def _numeric(name: str, ref: Source, cur: Source, bins: int) -> dict:
    """One numeric feature, each file's column read once and sorted: the bins, both counts, exact KS and W1."""
    xs, miss_x = fit.numeric_column(ref, name)
    spec = NumericSpec(name, fit.edges_from_sorted(xs, bins))
    ys, miss_y = fit.numeric_column(cur, name)
    out = _feature(spec, fit.counts_from_sorted(xs, miss_x, spec.edges), fit.counts_from_sorted(ys, miss_y, spec.edges))
    d, p, how, w = m.ks_and_wasserstein_sorted(xs, ys)
    sd = float(np.std(xs)) if xs.size else math.nan
    out.update(ks=_finite(d), ks_p=_finite(p), wasserstein_std=_finite(w / sd) if sd > 0 else None)
    out["method"] += (f"; KS two-sample on the {xs.size} + {ys.size} non-missing values, p {how}; Wasserstein-1 "
                      f"exact on the values / reference population std ({sd:.6g})")
    out["_p"] = p
    return out


def _categorical(names: Sequence[str], ref: Source, cur: Source, top_k: int) -> list[dict]:
    """The categorical features, each file read once for all of them (values counted per batch)."""
    if not names:
        return []
    per_file = []
    for src in (ref, cur):
        values: dict[str, dict[str, int]] = {c: {} for c in names}
        missing = dict.fromkeys(names, 0)
        for _, batch in src.batches(list(names)):
            for c in names:
                missing[c] += fit.value_counts(batch.column(c), values[c])
                if src is ref and len(values[c]) > MAX_REFERENCE_CATEGORIES:
                    raise ValidationFailed.one(c, f"more than {MAX_REFERENCE_CATEGORIES} distinct values: "
                                                  "not categorical")
        per_file.append((values, missing))
    (rv, rm), (cv, cm) = per_file
    rows = []
    for c in names:
        spec = CategoricalSpec(c, top_categories(rv[c], top_k), frozenset(rv[c]))
        out = _feature(spec, fit.categorical_counts(spec, rv[c], rm[c]), fit.categorical_counts(spec, cv[c], cm[c]))
        stat, dof, p = m.chi2_two_sample(out.pop("_r"), out.pop("_c"))
        out.update(chi2=stat, chi2_dof=dof, chi2_p=p, _p=p)
        out["method"] += "; chi-square two-sample on the 2 x B table, no continuity correction"
        rows.append(out)
    return rows


def _feature(f: NumericSpec | CategoricalSpec, r: np.ndarray, c: np.ndarray) -> dict:
    if f.kind == "numeric":
        r, c = m.fold_outer(r), m.fold_outer(c)
    kr, _ = m.kept(r, c)
    b = int(kr.size)
    n, mm = int(r.sum()), int(c.sum())
    out = {"name": f.name, "kind": f.kind, "n_reference": n, "n_current": mm,
           "psi": m.psi(r, c), "psi_critical": _finite(m.psi_critical(n, mm, b)),
           "js_distance": m.js_distance(r, c), "js_base": m.JS_BASE,
           "wasserstein_std": None, "chi2": None, "chi2_dof": None, "chi2_p": None, "ks": None, "ks_p": None,
           "_r": r, "_c": c}
    bins_said = (f"{len(f.edges) - 1} reference-quantile bins (outer edges -inf, +inf) + missing" if f.kind == "numeric"
                 else f"top {len(f.top)} reference categories + missing, other, unseen")
    out["method"] = (f"bins: {bins_said}; B = {b} bins non-empty in either file; PSI = sum (p-q) ln(p/q) with "
                     f"+{m.PSI_SMOOTHING} per bin; psi_critical = (1/N + 1/M) chi2_0.95(B-1), N = {n}, M = {mm}; "
                     f"JS distance base {m.JS_BASE:g} on the same bins")
    if f.kind == "numeric":
        del out["_r"], out["_c"]
    return out
