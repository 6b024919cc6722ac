"""How fast `raigov policy screen` is on 3,611 real 2025 rows (issue #18 item 5: <= 2 s on one core).

    .venv/bin/python benchmarks/screen_speed.py [--rows 3611] [--pack omb-m-25-21] [--old-commit REV]

Builds, in a temporary directory, a 2025 inventory CSV of ``--rows`` rows by repeating the rows of
``2025_individually_reported_AI_use_cases.dev.csv`` (nothing is committed), then:

1. in one process, screens those rows with the pack's phrase filter off (every signal searched, as
   before the filter) and on (``raigov.policy.matcher``), same data, one run each: CPU seconds and the
   ratio, and checks that both give the same JSON lines (the other speed-ups of issue #18, which the
   CLI figures include, are on in both runs: trace-less conditions, libyaml, no collection of the
   loaded packs and rows);
2. runs the CLI end to end, ``raigov policy screen FILE --pack P --jsonl > /dev/null``, and prints its
   wall time and CPU (user + sys of the child). Python's bytecode cache is used as an installed package
   uses it (``PYTHONPYCACHEPREFIX`` in the temporary directory, warmed by one run first): without it
   every run also compiles some 300 modules from source, about 1 s of CPU;
3. with ``--old-commit REV``, the same CLI run with the ``src`` of that commit (``git archive``) on
   ``PYTHONPATH``: the "before" figure.

Figures depend on the machine's load (printed at the start and the end; CPU seconds are less affected than wall
time, not unaffected): run it on an idle machine for the 2-second figure. The "same output" check and the
byte-for-byte comparison of the CLI's JSON lines on every public file (docs/policy.md §7) guard the speed-ups.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from raigov.inventory.formats import read_inventory
from raigov.policy.matcher import attach
from raigov.policy.packs import load_registry
from raigov.policy.screen import contract_row, screen_inventory

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "federal-ai-inventory"
DEV = "2025_individually_reported_AI_use_cases.dev.csv"


def build_file(src: Path, rows: int, out: Path) -> Path:
    with src.open(newline="", encoding="utf-8-sig") as f:
        table = list(csv.reader(f))
    header, body = table[0], table[1:]
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(body[i % len(body)] for i in range(rows))
    return out


def in_process(path: Path, pack_ref: str) -> dict:
    c0 = time.process_time()
    pack = load_registry().get(pack_ref)
    c1 = time.process_time()
    parsed = read_inventory(path)
    c2 = time.process_time()
    gc.freeze()  # as the CLI does: the packs and rows are not walked by the collector
    for s in pack.signals.values():
        s.use_filter(None, -1)
        s.find("warm up")  # without the filter: compiles the expression, so neither run pays for it
    out = {"load packs": c1 - c0, "read file": c2 - c1}
    lines = {}
    for name in ("filter off", "filter on"):
        if name == "filter on":
            attach(pack.signals)
        c0 = time.process_time()
        lines[name] = [json.dumps(contract_row(rs), ensure_ascii=False, default=str)
                       for rs in screen_inventory(parsed, [pack])]
        out[name] = time.process_time() - c0
    out["same output"] = lines["filter off"] == lines["filter on"]
    return out


def cli(path: Path, pack_ref: str, env: dict) -> tuple[float, float]:
    exe = ROOT / ".venv" / "bin" / "raigov"
    cmd = ([str(exe)] if exe.exists() else [sys.executable, "-m", "raigov.cli.main"]) + [
        "policy", "screen", str(path), "--pack", pack_ref, "--jsonl"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def old_source(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--rows", type=int, default=3611)
    ap.add_argument("--pack", default="omb-m-25-21")
    ap.add_argument("--old-commit", default=None, help="also run the CLI of this commit (the 'before' figure)")
    ap.add_argument("--runs", type=int, default=2, help="CLI runs of each version (the best is shown)")
    a = ap.parse_args(argv)
    if not (a.data / DEV).exists():
        print(f"no {DEV} under {a.data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = build_file(a.data / DEV, a.rows, tmp / "screen.csv")
        print(f"{a.rows} rows ({path.stat().st_size / 1e6:.1f} MB) repeated from {DEV}; pack {a.pack}")
        r = in_process(path, a.pack)
        print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"in one process (CPU s): loading the packs {r['load packs']:.2f}, reading the file {r['read file']:.2f}")
        print(f"in one process, screen + JSON lines (CPU s): filter off {r['filter off']:.2f}, "
              f"filter on {r['filter on']:.2f}, ratio {r['filter off'] / r['filter on']:.2f}; "
              f"same output: {r['same output']}")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "RAIGOV_POLICY_DIR")}
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        versions = [("now", env)]
        if a.old_commit:
            old_env = dict(env, PYTHONPATH=str(old_source(a.old_commit, tmp / "old")))
            versions.insert(0, (a.old_commit, old_env))
        for name, e in versions:
            cli(path, a.pack, e)  # writes the bytecode cache
            runs = [cli(path, a.pack, e) for _ in range(a.runs)]
            wall, cpu = min(runs, key=lambda x: x[1])
            print(f"CLI end to end ({name}): {wall:.2f} s wall, {cpu:.2f} s CPU (user + sys), "
                  f"{1000 * cpu / a.rows:.2f} ms CPU per use case")
        print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
