"""Inventory throughput on real files and at 50,000 use cases, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/inventory_bench.py [--backends sqlite,postgres] [--big 50000]

Prints, per backend: import and export time, rows/s and peak traced memory for the 2024 v2 XLS
(2,133 rows), the 2025 dev CSV, and a generated 50,000-use-case 2025 CSV; and the server time of the
inventory list page and of a search over the 50,000 use cases (median and p95 of 20 requests through
the ASGI app, signed in as the CAIO). Targets: 2,133 rows imported in under 2 s; the list page and a
search under 150 ms at 50,000 use cases.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa
from benchdb import fresh

from raigov.config import Settings
from raigov.identity.permissions import Actor
from raigov.inventory import service
from raigov.inventory.formats import read_inventory, write_omb_2025_csv

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "federal-ai-inventory"
SYSTEM = Actor.system("bench")


def timed_import(db, settings, path: Path, trace: bool = False):
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    parsed = read_inventory(path)
    with db.transaction() as s:
        rep = service.import_inventory(s, SYSTEM, parsed, settings)
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    return rep, dt, peak


def timed_export(db, path: Path):
    t0 = time.perf_counter()
    with db.transaction() as s:
        rep = service.export_inventory(s, SYSTEM, "omb-2025-csv", path)
    return rep.rows, time.perf_counter() - t0


def generate(n: int, out: Path) -> None:
    rows = read_inventory(DATA / "2025_individually_reported_AI_use_cases.dev.csv").rows
    big = []
    k = 0
    while len(big) < n:
        for r in rows:
            if len(big) >= n:
                break
            v = dict(r.values)
            v["id"] = f"{v.get('agency') or 'X'}-G{k:03d}-{len(big):06d}"
            v["use_case_name"] = f"{v.get('use_case_name') or 'Use case'} (variant {k})"
            big.append(v)
        k += 1
    write_omb_2025_csv(big, out)


def page_times(db, settings, urls: list[str], n: int = 20) -> dict[str, tuple[float, float]]:
    from fastapi.testclient import TestClient

    from raigov.identity import service as identity
    from raigov.identity.schemas import RoleGrantIn, UserCreate
    from raigov.web.app import create_app

    with db.transaction() as s:
        identity.create_user(s, SYSTEM, UserCreate(username="bench.caio", display_name="Bench", password="Bench-Password-2026",
                                                   roles=[RoleGrantIn(role="caio")]), settings)
    out = {}
    with TestClient(create_app(settings, db)) as c:
        page = c.get("/sign-in")
        tok = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
        c.post("/sign-in", data={"username": "bench.caio", "password": "Bench-Password-2026", "csrf_token": tok})
        for url in urls:
            c.get(url)  # warm
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                r = c.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (url, r.status_code)
            times.sort()
            out[url] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--big", type=int, default=50_000)
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"the shared data folder is missing: {DATA}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = tmp / "big.csv"
        t0 = time.perf_counter()
        generate(args.big, big)
        print(f"generated {args.big:,} use cases in {time.perf_counter() - t0:.1f} s ({big.stat().st_size / 2**20:.0f} MiB)")
        for backend in args.backends.split(","):
            work = tmp / backend
            work.mkdir()
            try:
                db, cleanup = fresh(backend, work)
            except Exception as exc:  # noqa: BLE001
                print(f"{backend}: unavailable ({exc})")
                continue
            settings = Settings(data_dir=work, secret_key="bench")
            try:
                print(f"\n== {backend}")
                print(f"{'file':<44} {'rows':>7} {'import s':>9} {'rows/s':>8} {'peak MiB':>9} {'export s':>9}")
                rep, dt, _ = timed_import(db, settings, DATA / "2024_consolidated_ai_inventory_raw_v2.xls")
                print(
                    f"{'2024 v2 XLS (target < 2 s)':<44} {rep.rows_read:>7,} {dt:>9.2f} "
                    f"{rep.rows_read / dt:>8,.0f} {'':>9} {'':>9}"
                )
                (work / "m").mkdir()
                db2, cleanup2 = fresh(backend, work / "m")
                _, _, peak = timed_import(db2, settings, DATA / "2024_consolidated_ai_inventory_raw_v2.xls", trace=True)
                print(f"{'  same file into an empty db, traced: peak MiB':<44} {'':>7} {'':>9} {'':>8} {peak:>9.0f} {'':>9}")
                cleanup2()
                rep, dt, _ = timed_import(db, settings, DATA / "2025_individually_reported_AI_use_cases.dev.csv")
                _, et = timed_export(db, work / "out.csv")
                print(f"{'2025 dev CSV':<44} {rep.rows_read:>7,} {dt:>9.2f} {rep.rows_read / dt:>8,.0f} {'':>9} {et:>9.2f}")
                rep, dt, _ = timed_import(db, settings, big)
                _, et = timed_export(db, work / "big-out.csv")
                print(
                    f"{f'generated {args.big:,}':<44} {rep.rows_read:>7,} {dt:>9.2f} "
                    f"{rep.rows_read / dt:>8,.0f} {'':>9} {et:>9.2f}"
                )
                with db.transaction() as s:
                    total = s.scalar(sa.text("SELECT count(*) FROM use_cases"))
                urls = [
                    "/inventory",
                    "/inventory?q=translation",
                    "/inventory?q=border+security&component=CBP",
                    "/inventory?stage=Deployed&sort=name",
                    "/inventory?page=200",
                ]
                print(f"\nserver time over {total:,} use cases (target < 150 ms): median / p95 of 20 requests")
                for url, (med, p95) in page_times(db, settings, urls).items():
                    print(f"  {url:<50} {med:7.1f} ms {p95:7.1f} ms")
            finally:
                cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
