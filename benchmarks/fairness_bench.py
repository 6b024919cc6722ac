"""Fairlearn MetricFrame vs raigov on the same 1,000,000-row, 8-group classifier data.

Prints both wall times, the speed-up, and the largest absolute difference between the two results
(per-group selection rate, TPR, FPR, the overall values and the between-groups / to-overall
differences and ratios). Run:

    .venv/bin/python benchmarks/fairness_bench.py [--rows 1000000] [--groups 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def make_data(rows: int, groups: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, rows)
    y_true = (rng.random(rows) < 0.3 + 0.05 * (g % 3)).astype(np.int8)
    y_pred = (rng.random(rows) < np.where(y_true == 1, 0.8, 0.1) + 0.02 * g / groups).astype(np.int8)
    names = np.array([f"group_{i}" for i in range(groups)])
    return y_true, y_pred, pd.Categorical.from_codes(g, categories=list(names)), names[g]


def best_of(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3, help="raigov repetitions (best of); Fairlearn runs once")
    args = ap.parse_args(argv)

    import fairlearn
    import fairlearn.metrics as flm

    from raigov.evaluation.classifier import classifier_metrics

    y_true, y_pred, groups_cat, groups_str = make_data(args.rows, args.groups)
    metrics = {"selection_rate": flm.selection_rate, "tpr": flm.true_positive_rate, "fpr": flm.false_positive_rate}

    def run_fairlearn():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mf = flm.MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred,
                                 sensitive_features=pd.Series(groups_cat, name="group"))
            return {
                "by_group": mf.by_group, "overall": mf.overall,
                "diff_bg": mf.difference(), "diff_to": mf.difference(method="to_overall"),
                "ratio_bg": mf.ratio(), "ratio_to": mf.ratio(method="to_overall"),
            }

    def run_raigov(groups):
        r = classifier_metrics(y_true, y_pred, {"group": groups})
        return r, {m: (r.difference(m), r.difference(m, "to_overall"), r.ratio(m), r.ratio(m, "to_overall"))
                   for m in metrics}

    t_fl, fl = best_of(run_fairlearn, 1)
    t_rc, (r, agg) = best_of(lambda: run_raigov(pd.Series(groups_cat)), args.repeat)
    t_rs, (r2, _) = best_of(lambda: run_raigov(groups_str), args.repeat)
    assert r.stats.equals(r2.stats)

    import os
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    from raigov.evaluation.classifier import ClassifierSpec
    from raigov.evaluation.runner import run_classifier

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "clf.parquet")
        pq.write_table(pa.table({"y_true": y_true, "y_pred": y_pred,
                                 "group": pa.DictionaryArray.from_arrays(pa.array(groups_cat.codes),
                                                                         pa.array(list(groups_cat.categories)))}),
                       path, row_group_size=250_000)
        spec = ClassifierSpec(y_true="y_true", y_pred="y_pred", groups=("group",))
        t_rp, (r3, _) = best_of(lambda: run_classifier(path, spec), args.repeat)
    assert r3.stats.equals(r.stats)

    diffs = []
    labels = [lab["group"] for lab in r.labels]
    for m in metrics:
        fl_by = fl["by_group"][m].reindex(labels).to_numpy(dtype=float)
        diffs.append(np.max(np.abs(fl_by - r.by_group(m))))
        diffs.append(abs(fl["overall"][m] - r.overall(m)))
        for got, key in zip(agg[m], ("diff_bg", "diff_to", "ratio_bg", "ratio_to")):
            diffs.append(abs(fl[key][m] - got))
    max_diff = float(np.max(diffs))

    print(f"fairlearn {fairlearn.__version__}: {args.rows:,} rows x {args.groups} groups, metrics {list(metrics)}")
    print(f"  Fairlearn MetricFrame (+difference/ratio):  {t_fl:9.3f} s")
    print(f"  raigov, pandas categorical groups:           {t_rc:9.4f} s   speed-up {t_fl / t_rc:8.1f}x")
    print(f"  raigov, numpy string groups (encodes):       {t_rs:9.4f} s   speed-up {t_fl / t_rs:8.1f}x")
    print(f"  raigov, Parquet file end to end (validate, stream, SHA-256): {t_rp:9.4f} s   speed-up {t_fl / t_rp:8.1f}x")
    print(f"  max |Fairlearn - raigov| over by-group, overall, differences, ratios: {max_diff:.3e}")
    ok = max_diff <= 1e-12
    print("  results equal to 1e-12:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
