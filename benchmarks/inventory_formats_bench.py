"""Inventory formats benchmark: read and write times, rows/s and peak memory.

    .venv/bin/python benchmarks/inventory_formats_bench.py [--rows 50000] [--repeat 3]

Inputs: OMB's 2024 v2 XLS (2,133 rows) and the 2025 development CSV (901 rows) from the shared
data folder beside the repo, and a generated 2025 CSV of N use cases (default 50,000) made by
repeating the real 2025 rows under fresh ids. Each figure is the best of ``--repeat`` runs; peak
memory is tracemalloc's peak for one run (Python allocations only).
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from raigov.inventory.formats import read_inventory
from raigov.inventory.formats.export import write_omb_2025_csv, write_omb_2025_xlsx

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "federal-ai-inventory"


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _peak(fn) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def make_large_csv(n: int, path: Path) -> None:
    base = read_inventory(DATA / "2025_individually_reported_AI_use_cases.dev.csv")
    rows = []
    for i in range(n):
        src = base.rows[i % len(base.rows)]
        v = dict(src.values)
        v["agency"] = f"AG{i % 97:02d}"
        v["id"] = f"AG{i % 97:02d}-{i:06d}"
        rows.append(v)
    write_omb_2025_csv(rows, path)


def bench(label: str, path: Path, repeat: int, write: bool) -> dict:
    t_read, parsed = _best(lambda: read_inventory(path), repeat)
    n = len(parsed.rows)
    mem_read = _peak(lambda: read_inventory(path))
    res = {"file": label, "rows": n, "read_s": t_read, "read_rows_s": n / t_read, "read_peak_mb": mem_read}
    if write:
        t_csv, _ = _best(lambda: write_omb_2025_csv(parsed.rows, io.StringIO(newline="")), repeat)
        res.update(write_csv_s=t_csv, write_csv_rows_s=n / t_csv)
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "x.xlsx"
            t_x, _ = _best(lambda: write_omb_2025_xlsx(parsed.rows, out), 1)
        res.update(write_xlsx_s=t_x, write_xlsx_rows_s=n / t_x)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if not DATA.is_dir():
        print(f"shared data folder not found: {DATA}", file=sys.stderr)
        return 2
    results = [
        bench("2024 v2 XLS (omb-2024-xls)", DATA / "2024_consolidated_ai_inventory_raw_v2.xls", args.repeat, False),
        bench("2024 v2 CSV cp1252 (omb-2024-csv)", DATA / "2024_consolidated_ai_inventory_raw_v2.csv",
              args.repeat, False),
        bench("2025 dev CSV (omb-2025-csv)", DATA / "2025_individually_reported_AI_use_cases.dev.csv",
              args.repeat, True),
        bench("DHS 2025 XLSX (dhs-2025-xlsx)", DATA / "2025_0128_ocio-dhs-ai-use-case-inventory.xlsx",
              args.repeat, False),
    ]
    with tempfile.TemporaryDirectory() as d:
        big = Path(d) / "big.csv"
        t = time.perf_counter()
        make_large_csv(args.rows, big)
        print(f"generated {args.rows} use cases ({big.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
        results.append(bench(f"generated 2025 CSV, {args.rows} rows", big, max(1, args.repeat - 1), True))
    print(f"\n{'file':44} {'rows':>7} {'read s':>8} {'rows/s':>9} {'peak MB':>8} {'csv w s':>8} "
          f"{'rows/s':>9} {'xlsx w s':>9} {'rows/s':>8}")
    for r in results:
        line = (f"{r['file']:44} {r['rows']:>7} {r['read_s']:>8.3f} {r['read_rows_s']:>9.0f} "
                f"{r['read_peak_mb']:>8.1f}")
        if "write_csv_s" in r:
            line += (f" {r['write_csv_s']:>8.3f} {r['write_csv_rows_s']:>9.0f} {r['write_xlsx_s']:>9.3f} "
                     f"{r['write_xlsx_rows_s']:>8.0f}")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
