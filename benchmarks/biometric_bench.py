"""raigov biometric engine at scale: 100,000,000 scores x 8 groups x 1,001 thresholds plus the
threshold at a target FMR of 1e-5, locally (streaming) and on a 2-worker Dask LocalCluster.

The data (synthetic, research note §5; Parquet, float32 scores, 1 Mi-row row groups) is generated
once, in bounded memory, into ``--workdir`` and reused. Each measured run executes in a fresh
subprocess so its peak RSS is its own. Both runs must produce the same counts (a SHA-256 over every
count array, the tails and the threshold). Run:

    .venv/bin/python benchmarks/biometric_bench.py [--rows 100000000] [--workdir /tmp/raigov-bench]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

GRID = np.linspace(-0.5, 1.5, 1001)


def data_path(workdir: str, rows: int, groups: int) -> str:
    return os.path.join(workdir, f"synth_{rows}_{groups}.parquet")


def ensure_data(path: str, rows: int, groups: int) -> float:
    from raigov.evaluation.synth import SynthParams, generate

    if os.path.exists(path):
        return 0.0
    per = 20  # 2 genuine + 18 impostor comparisons per subject
    params = SynthParams(subjects=max(1, rows // per), groups=groups, genuine_per_subject=2, impostor_per_subject=18,
                         seed=2026, rows_per_group=1 << 20)
    t0 = time.perf_counter()
    tmp = path + ".part"
    generate(tmp, params)
    os.replace(tmp, path)
    return time.perf_counter() - t0


def digest(stats, threshold: float) -> str:
    h = hashlib.sha256()
    s = stats.scores
    for a in (s.thresholds, s.n, s.ge, s.failed, np.array([threshold])):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr(s.levels).encode())
    return h.hexdigest()


def worker(path: str, backend: str, target: float, workers: int) -> dict:
    from raigov.evaluation.backends import DaskRunner
    from raigov.evaluation.biometric import BiometricSpec
    from raigov.evaluation.runner import run_biometric

    spec = BiometricSpec(score="score", genuine="genuine", groups=("group",))
    runner = DaskRunner(n_workers=workers) if backend == "dask" else None
    try:
        t0 = time.perf_counter()
        res, data = run_biometric(path, spec, target_fmr=target, grid=GRID, backend=backend, runner=runner,
                                  hash_file=False)
        wall = time.perf_counter() - t0
        worker_rss = []
        if runner is not None:
            rss = runner.client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            worker_rss = sorted(v / 1024 for v in rss.values())
    finally:
        if runner is not None:
            runner.close()
    out = res.to_dict()
    return {
        "backend": backend, "wall_s": wall, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": worker_rss, "rows": data["rows"], "groups": data["groups"],
        "thresholds": int(res.stats.scores.thresholds.size), "threshold": res.threshold,
        "achieved_fmr": res.threshold_rule["achieved_fmr"], "calibration_impostors":
            res.threshold_rule["calibration_impostors"], "digest": digest(res.stats, res.threshold),
        "garbe": out["differentials"]["garbe"], "fmr_max_min_ratio": out["differentials"]["fmr_max_min_ratio"],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--groups", type=int, default=8)
    ap.add_argument("--target-fmr", type=float, default=1e-5)
    ap.add_argument("--workdir", default="/tmp/raigov-bench")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--_worker", choices=["local", "dask"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    path = data_path(args.workdir, args.rows, args.groups)
    if args._worker:
        print(json.dumps(worker(path, args._worker, args.target_fmr, args.workers)))
        return 0
    os.makedirs(args.workdir, exist_ok=True)
    gen_s = ensure_data(path, args.rows, args.groups)
    size_mb = os.path.getsize(path) / 2**20
    print(f"data: {path} ({size_mb:,.0f} MiB)" + (f", generated in {gen_s:.1f} s" if gen_s else ", cached"))
    results = []
    for backend in ["local"] + ([] if args.skip_dask else ["dask"]):
        cmd = [sys.executable, __file__, "--rows", str(args.rows), "--groups", str(args.groups), "--target-fmr",
               str(args.target_fmr), "--workdir", args.workdir, "--workers", str(args.workers), "--_worker", backend]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stderr, file=sys.stderr)
            return 1
        r = json.loads(p.stdout.strip().splitlines()[-1])
        results.append(r)
        extra = f", workers' peak RSS {', '.join(f'{w:,.0f}' for w in r['worker_peak_rss_mb'])} MiB" if r[
            "worker_peak_rss_mb"] else ""
        print(f"{backend:>5}: {r['rows']:,} scores x {r['groups']} groups x {r['thresholds']:,} thresholds "
              f"(1,001 grid + target FMR {args.target_fmr:g}): {r['wall_s']:.1f} s, peak RSS "
              f"{r['peak_rss_mb']:,.0f} MiB{extra}")
        print(f"       threshold {r['threshold']!r} (achieved FMR {r['achieved_fmr']:.3e} over "
              f"{r['calibration_impostors']:,} impostors), FMR max/min {r['fmr_max_min_ratio']:.2f}, "
              f"GARBE {r['garbe']:.4f}, counts digest {r['digest'][:16]}")
    if len(results) == 2:
        same = results[0]["digest"] == results[1]["digest"]
        print("local and dask counts identical:", "yes" if same else "NO")
        if not same:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
