"""Summary measures of biometric error rates per demographic group (pure functions of group rates):
Gini, GARBE, FDR, max/min, max/geomean, IR, WERM, AU-FDR, zero handling, ``differentials`` and
``failure_rates``. The conventions are those of ``raigov.evaluation.biometric`` (its module docstring)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from raigov.evaluation import intervals as iv
from raigov.evaluation.stats import cell_labels, encode_groups, n_cells

ZERO_RULES = ("upper-bound", "epsilon", "undefined")


def gini(x) -> float | None:
    """Gini coefficient with the G/(G−1) correction; 0 when all values are 0; None for G < 2."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = x.size
    if n < 2:
        return None
    tot = x.sum()
    if tot == 0:
        return 0.0
    k = np.arange(1, n + 1)
    pair_sum = 2.0 * np.dot(2 * k - n - 1, x)
    return float((n / (n - 1)) * pair_sum / (2.0 * n * tot))


def garbe(fmr, fnmr, alpha: float = 0.5) -> float | None:
    a, b = gini(fmr), gini(fnmr)
    if a is None or b is None:
        return None
    return alpha * a + (1 - alpha) * b


def fdr(fmr, fnmr, alpha: float = 0.5) -> float | None:
    fmr, fnmr = np.asarray(fmr, float), np.asarray(fnmr, float)
    if fmr.size < 1 or fnmr.size < 1:
        return None
    return float(1 - (alpha * (fmr.max() - fmr.min()) + (1 - alpha) * (fnmr.max() - fnmr.min())))


def max_min_ratio(r) -> float | None:
    r = np.asarray(r, float)
    if r.size < 1 or r.min() <= 0:
        return None
    return float(r.max() / r.min())


def max_geomean(r) -> float | None:
    r = np.asarray(r, float)
    if r.size < 1 or r.min() <= 0:
        return None
    return float(r.max() / np.exp(np.log(r).mean()))


def ir(fmr, fnmr, alpha: float = 0.5) -> float | None:
    a, b = max_min_ratio(fmr), max_min_ratio(fnmr)
    if a is None or b is None:
        return None
    return float(a**alpha * b ** (1 - alpha))


def werm(fmr_max_geomean: float, fnmr_max_geomean: float, alpha: float = 0.5) -> float:
    """WERM (Linghu et al.): (max/geomean FMR)^α · (max/geomean FNMR)^(1−α)."""
    return float(fmr_max_geomean**alpha * fnmr_max_geomean ** (1 - alpha))


def au_fdr(fmr_targets, fdr_values) -> float:
    """Area under FDR over FMR-target thresholds, x scaled linearly to [0, 1], trapezoid rule
    (as the FDR authors' ``fpr_auc_score``)."""
    x = np.asarray(fmr_targets, float)
    y = np.asarray(fdr_values, float)
    xs = (x - x.min()) / (x.max() - x.min())
    o = np.argsort(xs, kind="stable")
    return float(np.trapezoid(y[o], xs[o]))


def au_fdr_targets(lo: float, hi: float, points: int = 0) -> tuple[float, ...]:
    """The FMR-target ladder for AU-FDR: ``points`` targets evenly spaced in log10 from ``lo`` to
    ``hi`` (both included; ``0`` = one per decade, at least 2), each rounded to 12 significant
    digits so that decades are exact (1e-05, not 9.999999999999999e-06)."""
    if not (0 < lo < hi < 1):
        raise ValueError("the AU-FDR range needs 0 < LO < HI < 1")
    if points == 0:
        points = max(2, math.ceil(math.log10(hi / lo) - 1e-9) + 1)
    if points < 2:
        raise ValueError("AU-FDR needs at least 2 targets")
    x = np.linspace(math.log10(lo), math.log10(hi), points)
    t = [float(f"{10.0 ** v:.12g}") for v in x]
    t[0], t[-1] = float(lo), float(hi)
    return tuple(sorted(set(t)))


def zero_adjusted(errors, n, rule: str = "upper-bound", confidence: float = 0.95, epsilon: float = 1e-6):
    """Rates for the ratio-type measures under a zero-handling rule (see module docstring)."""
    errors = np.asarray(errors, np.float64)
    n = np.asarray(n, np.float64)
    rate = errors / n
    if rule == "upper-bound":
        return np.where(errors == 0, iv.zero_error_upper_bound(n, confidence), rate)
    if rule == "epsilon":
        return rate + epsilon
    if rule == "undefined":
        return rate
    raise ValueError(f"unknown zero-handling rule {rule!r}; use one of {ZERO_RULES}")


def differentials(
    fm, n_imp, fnm, n_gen, alpha: float = 0.5, zero_rule: str = "upper-bound", confidence: float = 0.95,
    epsilon: float = 1e-6,
) -> dict[str, Any]:
    """All §1.4 summaries from per-group error counts (groups with n = 0 of a kind are left out)."""
    fm, n_imp = np.asarray(fm, np.float64), np.asarray(n_imp, np.float64)
    fnm, n_gen = np.asarray(fnm, np.float64), np.asarray(n_gen, np.float64)
    vi, vg = n_imp > 0, n_gen > 0
    fmr, fnmr = fm[vi] / n_imp[vi], fnm[vg] / n_gen[vg]
    afmr = zero_adjusted(fm[vi], n_imp[vi], zero_rule, confidence, epsilon)
    afnmr = zero_adjusted(fnm[vg], n_gen[vg], zero_rule, confidence, epsilon)
    both = fmr.size > 0 and fnmr.size > 0
    out = {
        "fmr_max_min_ratio": max_min_ratio(afmr),
        "fnmr_max_min_ratio": max_min_ratio(afnmr),
        "fmr_max_geomean": max_geomean(afmr),
        "fnmr_max_geomean": max_geomean(afnmr),
        "fmr_max_minus_min": float(fmr.max() - fmr.min()) if fmr.size else None,
        "fnmr_max_minus_min": float(fnmr.max() - fnmr.min()) if fnmr.size else None,
        "gini_fmr": gini(fmr),
        "gini_fnmr": gini(fnmr),
        "garbe": garbe(fmr, fnmr, alpha) if both else None,
        "fdr": fdr(fmr, fnmr, alpha) if both else None,
        "ir": ir(afmr, afnmr, alpha) if both else None,
    }
    a, b = out["fmr_max_geomean"], out["fnmr_max_geomean"]
    out["werm"] = float(a**alpha * b ** (1 - alpha)) if (a is not None and b is not None) else None
    out["alpha"] = alpha
    out["zero_handling"] = zero_rule
    out["groups_fmr"] = int(vi.sum())
    out["groups_fnmr"] = int(vg.sum())
    return out


def fdr_from_counts(fm, n_imp, fnm, n_gen, alpha: float) -> float | None:
    """FDR from per-group counts, over the groups with comparisons of each kind (as differentials)."""
    fm, n_imp = np.asarray(fm, np.float64), np.asarray(n_imp, np.float64)
    fnm, n_gen = np.asarray(fnm, np.float64), np.asarray(n_gen, np.float64)
    vi, vg = n_imp > 0, n_gen > 0
    if not vi.any() or not vg.any():
        return None
    return fdr(fm[vi] / n_imp[vi], fnm[vg] / n_gen[vg], alpha)


def failure_rates(failed, groups: dict[str, object], ci_method: str = "wilson", confidence: float = 0.95):
    """FTE or FTA per group: ``failed`` is one boolean per enrolment transaction (FTE) or capture
    attempt (FTA); returns rows with attempts, failures, rate and interval, plus their Gini and
    max/min (zero handling ``upper-bound``)."""
    f = np.asarray(failed, bool)
    levels, code = encode_groups(list(groups.values()))
    cells = n_cells(levels)
    att = np.bincount(code, minlength=cells)
    fail = np.bincount(code, weights=f, minlength=cells).astype(np.int64)
    lo, hi = iv.proportion_ci(fail, att, ci_method, confidence)
    rows = []
    for i, lab in enumerate(cell_labels(tuple(groups), levels)):
        if att[i]:
            rows.append({"group": lab, "attempts": int(att[i]), "failures": int(fail[i]),
                         "rate": float(fail[i] / att[i]), "ci": [float(lo[i]), float(hi[i])]})
    obs = att > 0
    rates = fail[obs] / att[obs]
    return {"groups": rows, "gini": gini(rates),
            "max_min_ratio": max_min_ratio(zero_adjusted(fail[obs], att[obs], "upper-bound", confidence))}


