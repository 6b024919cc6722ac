"""The public site under load: the demo agency's public pages, 50 concurrent clients for 20 seconds, loopback.

    .venv/bin/python benchmarks/public_bench.py [--clients 50] [--seconds 20] [--workers 2] [--client raw|httpx]
        [--in-process]
        [--stack] [--loop auto|asyncio|uvloop] [--recheck-ms N] [--dir DIR]

Loads the demo agency (`raigov demo load`: a certified inventory, a waiver, a pilot, and the public site it
builds, demo/public.py) into a fresh SQLite file (or reuses `--dir`), runs the app with uvicorn in a subprocess (127.0.0.1, a free
port) and, in this process, `--clients` asyncio clients (one keep-alive connection each) that fetch public
URLs in turn for `--seconds`: the index, the index with a search and filters, every use case page, the
component pages, waivers, pilots, changes, the open data (CSV, JSON) and page data (JSON). Prints requests/s,
p50/p95/p99 latency per kind and overall, errors, and PASS/FAIL against p99 <= 50 ms."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_P99_MS = 50.0


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def prepare(root: Path) -> tuple[str, list[tuple[str, str]]]:
    """A demo database with the public site built; (its URL, [(kind, url)])."""
    from raigov.config import Settings
    from raigov.db.engine import Database
    from raigov.db.migrate import upgrade
    from raigov.demo import agency
    from raigov.disclosure import site
    from raigov.identity.permissions import Actor

    settings = Settings(data_dir=root / "data", secret_key="bench-secret-not-for-production")
    url = f"sqlite:///{root / 'raigov.sqlite3'}"
    db = Database(url)
    fresh = not (root / "raigov.sqlite3").exists()
    upgrade(db)
    t = time.perf_counter()
    if fresh:  # the demo load builds the public site (demo/public.py)
        with db.transaction() as s:
            agency.load(s, settings, Actor.system("demo"))
        print(f"demo loaded and site built in {time.perf_counter() - t:.1f} s")
    with db.transaction(read=True) as s:
        if site.current(s, settings) is None:
            raise SystemExit("the demo load published no public site")
    with db.transaction(read=True) as s:
        cur = site.current(s, settings)
        year = cur.json("pages/site.json")["years"][0]
        idx = cur.json(f"pages/{year}/index.json")
    db.dispose()
    urls = [("index", "/public"), ("search", f"/public?year={year}&q=data&high_impact=no"),
            ("waivers", "/public/waivers"), ("pilots", "/public/pilots"), ("changes", f"/public/changes/{year}"),
            ("csv", f"/public/data/{year}/inventory.csv"), ("json", f"/public/data/{year}/inventory.json")]
    urls += [("use case", f"/public/use-cases/{year}/{site.slug(u['id'])}") for u in idx["use_cases"]]
    urls += [("page data", f"/public/site/pages/{year}/use-cases/{site.slug(u['id'])}.json") for u in idx["use_cases"][:20]]
    urls += [("component", f"/public/components/{year}/{site.slug(c['component'])}") for c in idx["components"]]
    return url, urls


def start_server(db_url: str, data_dir: Path, port: int, workers: int, http: str = "auto", *, front: bool = True,
                 loop: str = "auto", recheck_ms: int = 0) -> subprocess.Popen:
    import httpx

    env = {**os.environ, "RAIGOV_DATABASE_URL": db_url, "RAIGOV_DATA_DIR": str(data_dir),
           "RAIGOV_SECRET_KEY": "bench-secret-not-for-production", "RAIGOV_PUBLIC_RECHECK_MS": str(recheck_ms)}
    # front: what `raigov serve` runs (the fast path in front of the whole app); else the app's stack alone
    target = ["raigov.web.asgi:app"] if front else ["raigov.web.app:create_app", "--factory"]
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers), "--http", http, "--loop", loop,
                             "--log-level", "warning", "--no-access-log"], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("uvicorn did not become ready in 60 s")


async def get_raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, url: str) -> tuple[int, bool]:
    """One keep-alive HTTP/1.1 GET on an open connection; the status (the body is read and dropped) and whether the
    server closes the connection after it (``Connection: close``: the server's keep-alive limit,
    RAIGOV_KEEPALIVE_MAX_REQUESTS)."""
    writer.write(f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    fields = [(k.strip().lower(), v.strip().lower()) for k, _, v in (ln.partition(b":") for ln in lines[1:])]
    length = next((int(v) for k, v in fields if k == b"content-length"), None)
    if length is None:
        raise RuntimeError(f"{url}: no Content-Length")
    await reader.readexactly(length)
    return status, any(k == b"connection" and b"close" in v for k, v in fields)


async def load_raw(port: int, urls: list[tuple[str, str]], clients: int, seconds: float) -> tuple[dict, int]:
    """The load with a minimal HTTP/1.1 client on asyncio streams: a few tens of microseconds of the benchmark's
    own CPU per request, so that the figures are the server's (httpx spends about 2-3 ms per request, which
    with 50 clients in one event loop is most of what `--client httpx` measures)."""
    lat: dict[str, list[float]] = {}
    errors = 0

    async def client(n: int) -> None:
        nonlocal errors
        rnd = random.Random(n)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _kind, url in urls[:3]:  # warm up
                await get_raw(reader, writer, url)
            end = time.perf_counter() + seconds
            setup = 0.0  # a new connection's set-up, charged to the request that waited for it
            while time.perf_counter() < end:
                kind, url = rnd.choice(urls)
                t = time.perf_counter()
                status, closed = await get_raw(reader, writer, url)
                dt = (time.perf_counter() - t) * 1000 + setup
                setup = 0.0
                if closed:  # as a browser does: the next request on a new connection
                    t = time.perf_counter()
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    setup = (time.perf_counter() - t) * 1000
                if status != 200:
                    errors += 1
                lat.setdefault(kind, []).append(dt)
        finally:
            writer.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return lat, errors


async def load(port: int, urls: list[tuple[str, str]], clients: int, seconds: float) -> tuple[dict, int]:
    import httpx

    lat: dict[str, list[float]] = {}
    errors = 0

    async def client(n: int) -> None:
        nonlocal errors
        rnd = random.Random(n)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            for _kind, url in urls[:3]:  # warm up
                await c.get(url)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                kind, url = rnd.choice(urls)
                t = time.perf_counter()
                r = await c.get(url)
                dt = (time.perf_counter() - t) * 1000
                if r.status_code != 200:
                    errors += 1
                lat.setdefault(kind, []).append(dt)

    await asyncio.gather(*(client(i) for i in range(clients)))
    return lat, errors


def in_process(db_url: str, data_dir: Path, urls: list[tuple[str, str]], repeat: int = 2000) -> None:
    """The app's own cost per request, without a server or a network: the ASGI app called directly (one thread,
    no concurrency), once per URL on a cold cache (rendered from the build's files), then `repeat` times on one
    URL of each kind (served from memory by the fast path, disclosure/fastpath.py)."""
    from raigov.config import Settings
    from raigov.web.app import create_app

    app = create_app(Settings(database_url=db_url, data_dir=data_dir, secret_key="bench-secret-not-for-production"))

    async def call(url: str) -> int:
        path, _, qs = url.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": qs.encode(), "root_path": "",
                 "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        out: list = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            out.append(message)

        await app(scope, receive, send)
        return out[0]["status"]

    async def run() -> None:
        cold: dict[str, list[float]] = {}
        for kind, url in urls:
            t = time.perf_counter()
            assert await call(url) == 200, url
            cold.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
        firsts = dict(reversed(urls))
        print(f"in process (the ASGI app called directly, one at a time; {repeat} calls per kind once rendered):")
        for kind in sorted(cold):
            t = time.perf_counter()
            for _ in range(repeat):
                await call(firsts[kind])
            hot = (time.perf_counter() - t) / repeat * 1e6
            print(f"  {kind:10s} first (render) median {pct(cold[kind], .5):6.2f} ms   then {hot:6.0f} us a request")

    asyncio.run(run())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers (2: one per core, the deployment advice)")
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw",
                    help="raw: a minimal asyncio HTTP/1.1 client (default); httpx: httpx.AsyncClient (heavier)")
    ap.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto",
                    help="uvicorn's HTTP parser (auto: httptools, a dependency)")
    ap.add_argument("--in-process", action="store_true", help="also measure the app's cost per request without a server")
    ap.add_argument("--stack", action="store_true",
                    help="serve the app's middleware stack alone (the fast path inside it), not `raigov serve`'s front")
    ap.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto",
                    help="uvicorn's event loop (auto: uvloop when installed)")
    ap.add_argument("--recheck-ms", type=int, default=0,
                    help="RAIGOV_PUBLIC_RECHECK_MS: how often a kept page's files are checked (0: every request)")
    ap.add_argument("--dir", type=Path, default=None,
                    help="keep the demo's database and data here and reuse them on the next run (default: a new one)")
    a = ap.parse_args()
    root = a.dir or Path(tempfile.mkdtemp(prefix="raigov-public-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    db_url, urls = prepare(root)
    port = free_port()
    proc = start_server(db_url, root / "data", port, a.workers, a.http, front=not a.stack, loop=a.loop,
                        recheck_ms=a.recheck_ms)
    try:
        lat, errors = asyncio.run((load_raw if a.client == "raw" else load)(port, urls, a.clients, a.seconds))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    everything = [x for xs in lat.values() for x in xs]
    print(f"{len(everything)} requests in {a.seconds:.0f} s from {a.clients} clients: {len(everything) / a.seconds:.0f} "
          f"requests/s, {errors} errors (uvicorn, {a.workers} worker{'s' if a.workers != 1 else ''}, SQLite, loopback, "
          f"{a.client} client, {a.http} HTTP parser, {a.loop} loop, {'stack' if a.stack else 'front'}, "
          f"recheck {a.recheck_ms} ms)")
    for kind, xs in sorted(lat.items()):
        print(f"  {kind:10s} n={len(xs):6d}  p50 {pct(xs, .5):7.1f} ms  p95 {pct(xs, .95):7.1f} ms  p99 {pct(xs, .99):7.1f} ms")
    if a.in_process:
        in_process(db_url, root / "data", urls)
    p99 = pct(everything, .99)
    print(f"overall p50 {pct(everything, .5):.1f} ms, p99 {p99:.1f} ms: "
          f"{'PASS' if p99 <= TARGET_P99_MS and not errors else 'FAIL'} (target p99 <= {TARGET_P99_MS:.0f} ms)")
    return 0 if p99 <= TARGET_P99_MS and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
