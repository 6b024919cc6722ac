"""Performance and fairness per window from the profile's counts (they merge, so these do too).

Confusion counts per (window, group) are (tp, fp, fn, tn). Score-bin counts per (window, group, label) give
the ROC AUC with ties inside a bin counted one half, and calibration as the observed positive rate per bin.
Fairness compares groups with at least `min_count` rows; smaller groups are listed as "too few" and left
out of the differences and the ratio (never silently).
"""

from __future__ import annotations

import math

import numpy as np

from raigov.evaluation.intervals import wilson
from raigov.monitoring.profile import Profile


def _div(a: float, b: float) -> float:
    return a / b if b else math.nan


def rates(conf: np.ndarray) -> dict:
    tp, fp, fn, tn = (int(v) for v in conf)
    n = tp + fp + fn + tn
    return {"n": n, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "accuracy": _div(tp + tn, n),
            "selection_rate": _div(tp + fp, n), "tpr": _div(tp, tp + fn), "fpr": _div(fp, fp + tn),
            "precision": _div(tp, tp + fp)}


def auc_from_bins(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC = P(score+ > score-) + 1/2 P(same bin), from counts per ascending score bin."""
    pos, neg = np.asarray(pos, np.float64), np.asarray(neg, np.float64)
    below = np.concatenate([[0.0], np.cumsum(neg)[:-1]])
    return _div(float(np.sum(pos * (below + 0.5 * neg))), float(pos.sum() * neg.sum()))


def _window_conf(profile: Profile, window: str) -> dict[str, np.ndarray]:
    return {g: v for (w, g, _), v in sorted(profile.confusion.items()) if w == window}


def performance(profile: Profile, window: str) -> dict:
    """Overall rates, AUC and calibration by score bin for one window (all groups summed)."""
    conf = sum(_window_conf(profile, window).values(), np.zeros(4, np.int64))
    nb = len(profile.spec.score_edges) - 1
    pos, neg = np.zeros(nb, np.int64), np.zeros(nb, np.int64)
    for (w, _, label), v in profile.scores.items():
        if w == window:
            if label == "1":
                pos += v
            else:
                neg += v
    e = profile.spec.score_edges
    calib = [{"bin": [e[i], e[i + 1]], "n": int(pos[i] + neg[i]), "positive_rate": _div(int(pos[i]), int(pos[i] + neg[i]))}
             for i in range(nb) if pos[i] + neg[i]]
    return {**rates(conf), "auc": auc_from_bins(pos, neg) if pos.any() or neg.any() else math.nan,
            "calibration": calib,
            "method": "AUC from score bins (ties within a bin count 1/2); calibration: positives / rows per bin"}


def newcombe(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p2 (method 10), from the two Wilson intervals."""
    (l1, l2), (u1, u2) = wilson([x1, x2], [n1, n2], confidence)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    return (float(d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
            float(d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)))


def fairness(profile: Profile, window: str, min_count: int = 30, confidence: float = 0.95) -> dict:
    """Per group: selection rate, TPR, FPR, precision (Wilson intervals on the selection rate); across the
    groups with at least `min_count` rows: demographic-parity difference (max - min selection rate, with the
    Newcombe interval of that difference), selection-rate ratio (min / max), equalized-odds difference
    (the larger of the TPR range and the FPR range, Fairlearn's worst case)."""
    groups = {}
    for g, conf in _window_conf(profile, window).items():
        r = rates(conf)
        lo, hi = wilson(r["tp"] + r["fp"], r["n"], confidence)
        r["selection_rate_ci"] = [float(lo), float(hi)]
        r["status"] = "ok" if r["n"] >= min_count else "too few"
        groups[g] = r
    ok = {g: r for g, r in groups.items() if r["status"] == "ok"}
    out = {"groups": groups, "min_count": min_count, "too_few": sorted(set(groups) - set(ok)),
           "demographic_parity_difference": None, "demographic_parity_difference_ci": None,
           "selection_rate_ratio": None, "equalized_odds_difference": None}
    if len(ok) >= 2:
        sel = {g: r["selection_rate"] for g, r in ok.items()}
        hi_g, lo_g = max(sel, key=sel.get), min(sel, key=sel.get)
        a, b = ok[hi_g], ok[lo_g]
        out["demographic_parity_difference"] = sel[hi_g] - sel[lo_g]
        out["demographic_parity_difference_ci"] = list(newcombe(a["tp"] + a["fp"], a["n"], b["tp"] + b["fp"],
                                                                b["n"], confidence))
        out["selection_rate_ratio"] = _div(sel[lo_g], sel[hi_g])

        def spread(k):
            v = [r[k] for r in ok.values()]
            return max(v) - min(v)

        out["equalized_odds_difference"] = max(spread("tpr"), spread("fpr"))
    return out
