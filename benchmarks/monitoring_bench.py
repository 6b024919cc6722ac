"""Monitoring: raigov's drift (the core, `raigov monitor drift`'s path) against Evidently's DataDriftPreset on
the same files, side by side in one run; each side in its own process, its wall time and peak RSS printed.

    .venv/bin/python benchmarks/monitoring_bench.py [--rows 1000000] [--evidently-python .bench-venv/bin/python]
        [--baseline-src /tmp/before/src] [--counts-only]

Data (the research note's experiment, ../shared/research/guard-and-monitoring.md, appendix): 8 N(0, 1) numeric
columns and 2 categorical (`cat_a` 4 levels, `cat_b` 50 uniform levels); the current file has x0 shifted by
+0.05, x1 scaled by 1.05 and cat_a's probabilities (.4, .3, .2, .1) moved to (.35, .3, .2, .15). Reference and
current have `--rows` rows each, different seeds, written once as Parquet.

raigov: `monitoring.compare.drift_report` (fit the reference-quantile bins, count both files in batches, PSI with
its critical value, JS, chi-square, exact KS and Wasserstein per numeric column, Benjamini-Hochberg), and
separately the counting path the monitors use (`ingest.reference_profile` + `ingest.window_counts` +
`windows.evaluate`: bounded memory). Evidently (never a project dependency): install it in a venv of its own,
`python -m venv .bench-venv && .bench-venv/bin/pip install "evidently==0.7.23" "pandas<3" pyarrow` (.bench-venv is
git-ignored), and pass its python with --evidently-python; its telemetry is switched off (DO_NOT_TRACK=1,
EVIDENTLY_DISABLE_TELEMETRY=1). Imports are outside every timer (Evidently's and pandas', and the pandas that
pyarrow imports on its first conversion). --baseline-src times an older raigov in the same run, for a before/after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

RAIGOV_FULL = textwrap.dedent("""
    import json, sys, time
    def peak_mb():  # VmHWM: this process's own peak (ru_maxrss keeps the parent's across fork and exec)
        return next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:")) / 1024
    from raigov.monitoring.compare import drift_report
    import pyarrow as pa
    pa.array([0.0]).to_numpy()  # pyarrow imports pandas on its first conversion: an import, outside the timer as Evidently's are
    t = time.perf_counter()
    rep = drift_report(sys.argv[1], sys.argv[2], [f"x{i}" for i in range(8)], ["cat_a", "cat_b"])
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "peak_rss_mb": peak_mb(),
                      "drift": [f["name"] for f in rep["features"] if f["drift"]]}))
""")
RAIGOV_COUNTS = textwrap.dedent("""
    import json, sys, time
    def peak_mb():  # VmHWM: this process's own peak (ru_maxrss keeps the parent's across fork and exec)
        return next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:")) / 1024
    from raigov.monitoring import ingest, windows
    import pyarrow as pa
    pa.array([0.0]).to_numpy()  # pyarrow imports pandas on its first conversion: an import, outside the timer as Evidently's are
    t = time.perf_counter()
    num, cat = [f"x{i}" for i in range(8)], ["cat_a", "cat_b"]
    spec, ref, _ = ingest.reference_profile(sys.argv[1], num, cat)
    cur = ingest.window_counts(spec, {}, sys.argv[2])
    res = windows.evaluate(spec, ref, cur["features"], {}, windows.merge_rules(None))
    found = windows.findings(res, windows.merge_rules(None))
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "peak_rss_mb": peak_mb(),
                      "alerts": [f.feature for f in found]}))
""")
EVIDENTLY = textwrap.dedent("""
    import json, sys, time
    def peak_mb():  # VmHWM: this process's own peak (ru_maxrss keeps the parent's across fork and exec)
        return next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:")) / 1024
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset
    t = time.perf_counter()
    ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
    snap = Report([DataDriftPreset()]).run(cur, ref)
    out = snap.dict()
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "peak_rss_mb": peak_mb()}))
""")


def make(path: Path, n: int, shift: float, seed: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    g = np.random.default_rng(seed)
    cols = {f"x{i}": g.normal(0.0, 1.0, n) for i in range(8)}
    cols["x0"] += shift
    cols["x1"] *= 1.0 + shift
    pa_ = [0.4, 0.3, 0.2, 0.1] if shift == 0 else [0.35, 0.3, 0.2, 0.15]
    cols["cat_a"] = g.choice(["a", "b", "c", "d"], n, p=pa_)
    cols["cat_b"] = g.choice([f"v{i:02d}" for i in range(50)], n)
    pq.write_table(pa.table(cols), path)


def run(python: str, code: str, ref: Path, cur: Path, src: str | None = None) -> dict:
    env = {**os.environ, "DO_NOT_TRACK": "1", "EVIDENTLY_DISABLE_TELEMETRY": "1"}
    if src:  # another checkout's raigov (e.g. `git archive main src | tar -x -C /tmp/before`), ahead of this one
        env["PYTHONPATH"] = src
    out = subprocess.run([python, "-c", code, str(ref), str(cur)], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{python} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--evidently-python", default=None, help="the python of a venv with evidently and pandas<3")
    ap.add_argument("--counts-only", action="store_true", help="only raigov's counting path (e.g. 10M rows)")
    ap.add_argument("--baseline-src", default=None,
                    help="also time the raigov of this src folder (an older version), in the same run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ref, cur = Path(tmp) / "ref.parquet", Path(tmp) / "cur.parquet"
        make(ref, args.rows, 0.0, 1)
        make(cur, args.rows, 0.05, 2)
        print(f"{args.rows:,} reference + {args.rows:,} current rows x 10 columns")
        if args.baseline_src:
            for name, code in (("counts (monitors' path)", RAIGOV_COUNTS), ("drift_report", RAIGOV_FULL)):
                if args.counts_only and code is RAIGOV_FULL:
                    continue
                old = run(sys.executable, code, ref, cur, args.baseline_src)
                print(f"baseline raigov {name}: {old['seconds']:.2f} s, peak RSS {old['peak_rss_mb']:.0f} MB")
        counts = run(sys.executable, RAIGOV_COUNTS, ref, cur)
        print(f"raigov counts (monitors' path): {counts['seconds']:.2f} s, peak RSS {counts['peak_rss_mb']:.0f} MB, "
              f"alerts on {counts['alerts']}")
        if args.counts_only:
            return 0
        full = run(sys.executable, RAIGOV_FULL, ref, cur)
        print(f"raigov drift_report (exact KS, W1): {full['seconds']:.2f} s, peak RSS {full['peak_rss_mb']:.0f} MB, "
              f"drift on {full['drift']}")
        if args.evidently_python:
            ev = run(args.evidently_python, EVIDENTLY, ref, cur)
            print(f"Evidently DataDriftPreset: {ev['seconds']:.2f} s, peak RSS {ev['peak_rss_mb']:.0f} MB")
            print(f"ratio Evidently / raigov: {ev['seconds'] / full['seconds']:.1f}x (drift_report), "
                  f"{ev['seconds'] / counts['seconds']:.1f}x (counts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
