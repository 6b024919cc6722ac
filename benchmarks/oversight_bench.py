"""The decision ledger under load on PostgreSQL, over HTTP (docs/oversight.md).

    .venv/bin/python benchmarks/oversight_bench.py [--decisions 100000] [--batch 10000] [--batch-clients 2]
                                                   [--singles 400]
                                                   [--clients 8] [--rate 100] [--workers 2] [--stats-days 365]
                                                   [--proofs 20] [--gate-cache 300] [--client stdlib|httpx]

Builds a fresh PostgreSQL schema (``benchdb.fresh``), an authorized CBP use case (created, screened, decided
not high-impact and synced through the real services), a trained operator and a CBP service token; starts the
app with uvicorn (``--workers`` processes, as ``raigov serve --workers``; ``gate_bench.start_server``) and measures:

1. batch ingest: ``--decisions`` decisions through ``POST /api/v1/decisions/batch`` in batches of ``--batch``
   from ``--batch-clients`` concurrent clients, end to end (client JSON building and encoding, HTTP, validation,
   rules, HMAC, hashing, inserts, counts, audit event);
2. one decision: ``POST /api/v1/decisions`` from ``--clients`` concurrent clients (threads, one keep-alive
   connection each, ``--client``'s HTTP library, bodies encoded before the clock starts), ``--singles`` requests
   in all: p50 and p99, twice. Saturated (closed loop: each client sends again as soon as it is answered), which
   measures throughput: by Little's law p99 <= 25 ms at saturation would need more than 320 decisions/s from 8
   clients, on the same 2 cores as the clients. Then at ``--rate``
   decisions/s offered in all (open loop, latency counted from each request's scheduled send, so a backlog is
   charged, not hidden): the latency an operational system sees; 100/s is 8.6 million decisions a day;
3. the statistics read ``GET /api/v1/use-cases/{id}/decision-stats`` with daily counts standing for 10 million
   decisions (``--stats-days`` days of counts over every kind and human action, inserted directly: the read
   never touches the ledger, so its cost is that of the counts);
4. a proof ``GET /api/v1/decisions/{id}/proof`` of decisions in a full batch (after a signed head, and after 8
   proofs of other decisions, which the workers' first proofs compile their statements on): the first proofs of
   the batch in each worker read their chunk, the later ones find its root cached.

Targets of issue #15: >= 10,000 decisions/s, p99 <= 25 ms, stats <= 200 ms at 10 M, proof <= 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchdb import fresh
from gate_bench import free_port, pct, start_server

LOW = {
    "use_case_name": "Benefit eligibility pre-screen",
    "development_stage": "Deployed",
    "problem_solved": "Machine translation of the agency's public web pages into Spanish for readers.",
    "system_outputs": "Translated text reviewed by staff before publication.",
}


def decision(bid: str, n: int, now: dt.datetime) -> dict:
    return {"decision_id": f"D-{n}", "use_case": bid, "ai_version": "model-3.1",
            "kind": ("benefit_denial", "favourable", "informational", "benefit_reduction")[n % 4],
            "subject": f"A{n:09d}", "ai_output": {"score": round((n % 997) / 997, 4), "label": "x"},
            "reviewer": "officer.ng", "human_action": ("accepted", "modified", "overrode")[n % 3],
            "rationale": "checked against the file", "other_bases": ["documents checked by the officer"],
            "decided_at": (now - dt.timedelta(seconds=n % 86_400)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


def setup(db, data_dir: Path) -> tuple[str, str]:
    from raigov.config import Settings
    from raigov.governance import service as gov
    from raigov.identity import service as identity
    from raigov.identity.permissions import Actor
    from raigov.identity.schemas import RoleGrantIn, UserCreate
    from raigov.inventory import service as inventory
    from raigov.policy import service as policy

    settings = Settings(data_dir=data_dir, secret_key="bench-secret-not-for-production")
    system = Actor.system("bench")
    with db.transaction() as s:
        for name, role, unit, kind in (("owner", "submitter", "CBP", "person"), ("lead", "component_ai_lead", "CBP", "person"),
                                       ("caio", "caio", None, "person"), ("cbp-sys", "service", "CBP", "service")):
            identity.create_user(s, system, UserCreate(username=name, display_name=name, kind=kind,
                                                       roles=[RoleGrantIn(role=role, component=unit)]), settings)
    with db.transaction() as s:
        actor = {u: identity.actor_for(s, identity.get_user(s, u)) for u in ("owner", "lead", "caio")}
    with db.transaction() as s:
        bid = inventory.create_use_case(s, actor["owner"], component="CBP", values=LOW, reason="bench",
                                        settings=settings).business_id
    with db.transaction() as s:
        inventory.submit_use_case(s, actor["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, actor["owner"], bid)
    with db.transaction() as s:
        policy.decide(s, actor["caio"], bid, "not-high-impact", "bench")
        gov.sync(s, actor["owner"], bid)
    from raigov.oversight import service as oversight

    with db.transaction() as s:
        oversight.record_operator(s, actor["lead"], bid, "officer.ng", dt.date(2020, 1, 1), dt.date(2099, 1, 1))
        token, _ = identity.create_token(s, system, "cbp-sys", "bench", settings)
    return bid, token


def synthetic_counts(db, bid: str, days: int, total: int) -> int:
    """Daily counts standing for `total` decisions over `days` days (every kind x human action x outcome)."""
    from sqlalchemy import insert, select

    from raigov.inventory.models import UseCase
    from raigov.oversight.models import DailyCount
    from raigov.oversight.vocab import HumanAction, Outcome, kinds

    combos = [(k, a, o) for k in kinds() for a in HumanAction for o in Outcome]
    per = max(1, total // (days * len(combos)))
    with db.transaction() as s:
        uc_id = s.scalar(select(UseCase.id).where(UseCase.business_id == bid))
        start = dt.date(2020, 1, 1)
        rows = [{"use_case_id": uc_id, "day": start + dt.timedelta(days=d), "kind": k, "human_action": a,
                 "outcome": o, "count": per} for d in range(days) for k, a, o in combos]
        for i in range(0, len(rows), 5000):
            s.execute(insert(DailyCount), rows[i:i + 5000])
    return len(rows) * per


def ingest(base: str, hdr: dict, bid: str, now: dt.datetime, total: int, size: int, clients: int
           ) -> tuple[float, list[float]]:
    """`total` decisions in batches of `size` from `clients` threads (each its own keep-alive connection, taking
    the next batch when its last one is answered), each building and encoding its batches' JSON as an exporting
    system would. (wall seconds, seconds per batch request)."""
    import httpx

    starts = list(range(0, total, size))
    nxt = iter(starts)
    lock = threading.Lock()
    per_batch: list[float] = []

    def client() -> None:
        with httpx.Client(base_url=base, headers=hdr, timeout=300) as c:
            while True:
                with lock:
                    start = next(nxt, None)
                if start is None:
                    return
                body = {"decisions": [decision(bid, n, now) for n in range(start, min(start + size, total))]}
                t1 = time.perf_counter()
                r = c.post("/api/v1/decisions/batch", json=body)
                took = time.perf_counter() - t1
                assert r.status_code == 201, r.text[:500]
                with lock:
                    per_batch.append(took)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(per_batch) == len(starts), "a batch client failed"
    return time.perf_counter() - t0, per_batch


def singles(base: str, hdr: dict, bid: str, now: dt.datetime, clients: int, total: int, rate: float | None,
            offset: int, client_kind: str = "stdlib") -> tuple[list[float], int, float]:
    """`total` single decisions from `clients` threads, one keep-alive connection each, after 5 warm-up requests
    each. `rate` None: closed loop (saturation). Otherwise open loop: client k sends its i-th request at
    t0 + (i + k / clients) * clients / rate, and the latency counts from that scheduled moment, so a client that
    falls behind is charged the wait (no coordinated omission). (latencies in ms, requests, wall seconds).

    Each client's bodies are encoded before the clock starts (a load generator's requests are ready, as wrk's or
    k6's are), then sent with `client_kind`: ``stdlib`` (``http.client``, the lean client: on these 2 shared cores
    whatever the clients spend is taken from the server) or ``httpx`` (the client many Python programs use)."""
    import http.client
    import json
    from urllib.parse import urlsplit

    import httpx

    lat: list[float] = []
    lock = threading.Lock()
    per_client = total // clients
    interval = clients / rate if rate else 0.0
    t0_box: list[float] = []  # the schedule starts once every client is warm (set by the barrier's last party)
    barrier = threading.Barrier(clients + 1, action=lambda: t0_box.append(time.perf_counter() + 0.05))
    headers = {**hdr, "Content-Type": "application/json"}
    url = urlsplit(base)

    def sender():
        if client_kind == "httpx":
            c = httpx.Client(base_url=base, headers=headers, timeout=60)

            def send(body: bytes) -> tuple[int, bytes]:
                r = c.post("/api/v1/decisions", content=body)
                return r.status_code, r.content
            return c, send
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

        def send(body: bytes) -> tuple[int, bytes]:
            conn.request("POST", "/api/v1/decisions", body=body, headers=headers)
            r = conn.getresponse()
            return r.status, r.read()  # a "Connection: close" answer: the next request opens a new connection
        return conn, send

    def client(k: int) -> None:
        mine = []
        first = offset + k * 100_000
        bodies = [json.dumps(decision(bid, first + i, now)).encode() for i in range(5 + per_client)]
        conn, send = sender()
        try:
            for body in bodies[:5]:
                status, text = send(body)
                assert status == 201, text[:300]
            barrier.wait()
            t0 = t0_box[0]
            for i, body in enumerate(bodies[5:]):
                if rate:
                    due = t0 + (i + k / clients) * interval
                    pause = due - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                else:
                    due = time.perf_counter()
                status, text = send(body)
                mine.append((time.perf_counter() - due) * 1000)
                assert status == 201, text[:300]
        finally:
            conn.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = t0_box[0]
    for t in threads:
        t.join()
    return lat, len(lat), time.perf_counter() - start


def main() -> int:
    """Long because it is the benchmark's script: set up, start the server, then the four measurements in turn."""
    import httpx

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--decisions", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--batch-clients", type=int, default=2, help="concurrent clients sending the batches (an "
                    "exporting system's parallel streams; 1: one batch at a time)")
    ap.add_argument("--singles", type=int, default=400)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--client", choices=("stdlib", "httpx"), default="stdlib",
                    help="the single-decision clients' HTTP library: stdlib (http.client, lean) or httpx")
    ap.add_argument("--stats-days", type=int, default=365)
    ap.add_argument("--proofs", type=int, default=20)
    ap.add_argument("--rate", type=float, default=100, help="single decisions per second offered in all by the "
                    "clients for the open-loop measure (0: only the saturated measure)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (raigov serve --workers; "
                    "one per core of this machine)")
    ap.add_argument("--gate-cache", type=float, default=300, help="RAIGOV_OVERSIGHT_GATE_CACHE_SECONDS of the server "
                    "(0: the gate's input is read on every request; otherwise reused while the audit trail's epoch "
                    "is unchanged)")
    args = ap.parse_args()
    os.environ["RAIGOV_OVERSIGHT_GATE_CACHE_SECONDS"] = str(args.gate_cache)  # start_server passes the environment
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        db, cleanup = fresh("postgres", tmp)
        proc = None
        try:
            bid, token = setup(db, data_dir)
            port = free_port()
            proc = start_server(db.url, data_dir, port, workers=args.workers)
            base, hdr = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
            now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            with httpx.Client(base_url=base, headers=hdr, timeout=300) as c:
                warm = c.post("/api/v1/decisions/batch", json={"decisions": [decision(bid, -n - 1, now) for n in range(200)]})
                assert warm.status_code == 201, warm.text
                # 1. batch ingest, end to end
                wall, per_batch = ingest(base, hdr, bid, now, args.decisions, args.batch, args.batch_clients)
                print(f"batch ingest: {args.decisions:,} decisions in batches of {args.batch:,} from "
                      f"{args.batch_clients} client(s): {wall:.1f} s, {args.decisions / wall:,.0f} decisions/s end to "
                      f"end (per batch, request to answer: median {statistics.median(per_batch):.2f} s, max "
                      f"{max(per_batch):.2f} s); target >= 10,000/s")
            # after a bulk load, as a DBA would (and as autovacuum and the checkpointer would do on their own a little
            # later, taking the cores and the disk from the measurement below): the ledger's tables vacuumed and
            # analysed, then a checkpoint
            t0 = time.perf_counter()
            with db.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                for table in ("oversight_decision_keys", "oversight_decisions", "oversight_daily_counts",
                              "oversight_operator_counts", "oversight_remedy_counts", "audit_events"):
                    conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
                conn.exec_driver_sql("CHECKPOINT")  # the load's dirty pages written now, not during the next measure
            print(f"after the load: VACUUM (ANALYZE) of the ledger's tables and a CHECKPOINT, "
                  f"{time.perf_counter() - t0:.1f} s")
            # 2. one decision, concurrent clients: saturated (closed loop), then at an offered rate (open loop)
            for rate in (None, *([args.rate] if args.rate else [])):
                lat, done, wall = singles(base, hdr, bid, now, args.clients, args.singles, rate,
                                          20_000_000 if rate is None else 30_000_000, args.client)
                how = ("saturated: each client sends its next request when the last one is answered" if rate is None
                       else f"offered {rate:g}/s in all, latency from each request's scheduled send")
                print(f"one decision, {args.clients} concurrent clients, {how}: {len(lat)} requests, {done / wall:,.0f}/s, "
                      f"p50 {pct(lat, 0.5):.1f} ms, p99 {pct(lat, 0.99):.1f} ms, max {max(lat):.1f} ms "
                      f"(target p99 <= 25 ms; {args.workers} worker(s), gate cache {args.gate_cache:g} s, {args.client} "
                      "client)")
            # 3. the statistics read over counts standing for 10 M decisions
            total = synthetic_counts(db, bid, args.stats_days, 10_000_000)
            with httpx.Client(base_url=base, headers=hdr, timeout=60) as c:
                lead_token = None
                from raigov.config import Settings
                from raigov.identity import service as identity
                from raigov.identity.permissions import Actor

                bench_settings = Settings(data_dir=data_dir, secret_key="bench-secret-not-for-production")
                with db.transaction() as s:
                    lead_token, _ = identity.create_token(s, Actor.system("bench"), "lead", "bench", bench_settings)
                lh = {"Authorization": f"Bearer {lead_token}"}
                times = []
                for i in range(12):
                    t1 = time.perf_counter()
                    r = c.get(f"/api/v1/use-cases/{bid}/decision-stats", headers=lh)
                    if i >= 2:
                        times.append((time.perf_counter() - t1) * 1000)
                    assert r.status_code == 200, r.text[:300]
                recorded = r.json()["totals"]["recorded"]
                print(f"stats read: counts standing for {recorded:,} recorded decisions ({total:,} synthetic) "
                      f"({args.stats_days} days x every kind x human action x outcome): "
                      f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms (target <= 200 ms)")
                # 4. proofs of decisions in a full batch, under a signed head
                from sqlalchemy import func, select

                from raigov.audit import service as audit
                from raigov.oversight.models import Decision

                with db.transaction() as s:
                    audit.sign_head(s, Actor.system("bench"), data_dir)
                    seq = s.scalar(select(func.max(Decision.batch_seq)).where(Decision.decision_id == "D-0"))
                    ids = list(s.scalars(select(Decision.id).where(Decision.batch_seq == seq)))
                    n_ledger = s.scalar(select(func.count()).select_from(Decision))
                    # warm-up on decisions of other batches (the workers' first proofs compile their statements);
                    # the measured batch's chunks stay uncached, so its first proofs read them
                    others = list(s.scalars(select(Decision.id).where(Decision.batch_seq != seq)
                                            .order_by(Decision.id.desc()).limit(8)))
                for pk in others:
                    assert c.get(f"/api/v1/decisions/{pk}/proof", headers=lh).status_code == 200
                times = []
                for pk in random.sample(ids, min(args.proofs, len(ids))):
                    t1 = time.perf_counter()
                    r = c.get(f"/api/v1/decisions/{pk}/proof", headers=lh)
                    times.append((time.perf_counter() - t1) * 1000)
                    assert r.status_code == 200 and r.json()["verified"], r.text[:300]
                print(f"proof (batch of {len(ids):,}, ledger of {n_ledger:,}): median {statistics.median(times):.1f} ms, "
                      f"max {max(times):.1f} ms (target <= 50 ms)")
        finally:
            if proc is not None:
                proc.send_signal(signal.SIGINT)
                proc.wait(30)
            cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
