"""The authorization gate under load: 10,000 governed use cases on PostgreSQL, answered over HTTP.

    .venv/bin/python benchmarks/gate_bench.py [--use-cases 10000] [--requests 1000] [--warmup 300]

Builds a fresh PostgreSQL schema (``benchdb.fresh``) and fills it in bulk (Core inserts): use cases with
their revision, screen and determination; about 85 % not high-impact, about 15 % high-impact with their
5-6 review lanes (decisions and conditions), 7-9 minimum practices, evidence links, impact assessment and
signed risk acceptance, a third of those face recognition with a bias test; about 70 % of the
high-impact ones fully authorized, the others short of one or two things. The lanes and practices of
each kind come from templates built through the real services (create, submit, screen, decide, sync).

Then runs the app with uvicorn in a subprocess (one worker, 127.0.0.1, a free port) and a client in
another process that sends GET /api/v1/use-cases/{id}/authorization with a service token over one
keep-alive connection, random use case ids; warm-up requests first. Prints requests/s, p50 and p99
latency and PASS/FAIL against the target (p99 < 20 ms), and the in-process time of
``governance.service.authorization`` alone on the same ids (gate cost without HTTP, token check and
transaction).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_P99_MS = 20.0


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * len(xs)) - 1))]


# ---------------------------------------------------------------- the client (a separate process)


def client_main(port: int, token: str, ids_file: str, warmup: int, n: int) -> int:
    import httpx

    ids = json.loads(Path(ids_file).read_text())
    out = {"lat_ms": [], "authorized": 0, "errors": 0}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as c:
        for bid in ids[:warmup]:
            c.get(f"/api/v1/use-cases/{bid}/authorization")
        t_all = time.perf_counter()
        for bid in ids[warmup:warmup + n]:
            t0 = time.perf_counter()
            r = c.get(f"/api/v1/use-cases/{bid}/authorization")
            out["lat_ms"].append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                out["errors"] += 1
            elif r.json()["authorized"]:
                out["authorized"] += 1
        out["wall_s"] = time.perf_counter() - t_all
    print(json.dumps(out))
    return 0


# ---------------------------------------------------------------- the data

FR = {
    "use_case_name": "Biometric entry-exit face matching",
    "development_stage": "Deployed",
    "problem_solved": "Uses facial recognition to verify the identity of travelers at ports of entry against "
                      "passport photos; a mismatch refers the traveler to secondary inspection by an officer.",
    "system_outputs": "A match or no-match result for each traveler.",
}
HIGH = {
    "use_case_name": "Cargo risk targeting",
    "development_stage": "Deployed",
    "problem_solved": "Scores inbound cargo shipments for risk to decide which containers are selected for physical "
                      "inspection at ports of entry.",
    "system_outputs": "A risk score and a recommendation to inspect.",
}
LOW = [
    {"use_case_name": "Translation of public web pages", "development_stage": "Deployed",
     "problem_solved": "Machine translation of the agency's public web pages into Spanish for readers.",
     "system_outputs": "Translated text reviewed by staff before publication."},
    {"use_case_name": "IT help desk ticket routing", "development_stage": "Deployed",
     "problem_solved": "Suggests the support queue for internal IT tickets from their text.",
     "system_outputs": "A suggested queue that the help desk agent accepts or changes."},
    {"use_case_name": "Summaries of internal policy documents", "development_stage": "Pre-deployment",
     "problem_solved": "Drafts summaries of long internal policy documents for staff.",
     "system_outputs": "A draft summary that staff edit."},
    {"use_case_name": "Predictive maintenance of vessel engines", "development_stage": "Deployed",
     "problem_solved": "Predicts engine component wear from sensor readings to schedule maintenance.",
     "system_outputs": "A maintenance date recommendation for the engineering officer."},
]
SECTIONS = {"A_purpose_benefit": "Faster, more consistent selection than manual review.",
            "B_data_model_quality": "Trained on five years of labelled outcomes; validated quarterly.",
            "C_impacts": "Possible disparate selection; mitigated by officer review and monitoring.",
            "D_reassessment": "Reassessed every year and after any model change.",
            "E_costs": "Licence and compute costs offset by fewer unproductive inspections."}
PASSWORD = "Bench-Password-2026-gate"


def build(db, settings, n: int, seed: int) -> tuple[str, list[str]]:
    """Fill the database; returns (service token, business ids)."""
    from sqlalchemy import insert, select

    from raigov.governance import service as gov
    from raigov.governance.models import (
        Evidence,
        EvidenceLink,
        ImpactAssessment,
        Practice,
        Review,
        ReviewComment,
        ReviewCondition,
        RiskAcceptance,
    )
    from raigov.identity import service as identity
    from raigov.identity.models import OrgUnit
    from raigov.identity.permissions import Actor
    from raigov.identity.schemas import RoleGrantIn, UserCreate
    from raigov.inventory import records
    from raigov.inventory import service as inventory
    from raigov.inventory.formats import name_key
    from raigov.inventory.models import UseCase, UseCasePerson, UseCaseRevision
    from raigov.policy import service as policy
    from raigov.policy.models import Determination, Screening

    rng = random.Random(seed)
    system = Actor.system("bench")
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    people = {"owner": ["submitter@CBP"], "dev": ["submitter@CBP"], "lead": ["component_ai_lead"],
              "privacy": ["privacy_reviewer"], "crcl": ["crcl_reviewer"], "legal": ["legal_reviewer"],
              "ocio": ["ocio_reviewer"], "rug": ["rug_member"], "caio": ["caio"]}
    with db.transaction() as s:
        for u, roles in people.items():
            identity.create_user(s, system, UserCreate(
                username=u, display_name=u.title(), password=PASSWORD,
                roles=[RoleGrantIn(role=r.partition("@")[0], component=r.partition("@")[2] or None) for r in roles]),
                settings)
        identity.create_user(s, system, UserCreate(username="bench.gate", display_name="Bench gate", kind="service",
                                                   roles=[RoleGrantIn(role="service")]), settings)
        token, _ = identity.create_token(s, system, "bench.gate", "gate", settings)
    with db.transaction() as s:
        actors = {u: identity.actor_for(s, identity.get_user(s, u)) for u in people}
        uid = {u: a.user_id for u, a in actors.items()}
        units = {u.code: u.id for u in s.scalars(select(OrgUnit).where(OrgUnit.kind == "component"))}

    # templates through the real services: what each kind requires
    templates = {}
    for kind, values, decision in (("fr", FR, "high-impact"), ("high", HIGH, "high-impact"),
                                   ("low", LOW[0], "not-high-impact")):
        with db.transaction() as s:
            bid = inventory.create_use_case(s, actors["owner"], component="CBP", values=values, reason="new",
                                            settings=settings).business_id
        with db.transaction() as s:
            inventory.submit_use_case(s, actors["owner"], bid)
        with db.transaction() as s:
            sc = policy.screen_use_case(s, actors["owner"], bid)
            det = policy.decide(s, actors["caio"], bid, decision, "bench template")
            gov.sync(s, actors["owner"], bid)
            templates[kind] = {
                "lanes": [(r.lane, r.required_by) for r in gov.reviews_of(s, actors["caio"], bid) if r.status == "open"],
                "practices": [(p.item, p.pack, p.title, p.citation, p.timing) for p in
                              gov.practices_of(s, actors["caio"], bid) if p.required],
                "screening": {c: getattr(sc, c) for c in ("pack", "presumed", "out_of_scope", "categories",
                                                          "prohibited", "result")},
                "det_pack": det.pack, "decision": decision,
            }
    reviewer = {"component_ai_lead": "lead", "privacy": "privacy", "crcl": "crcl", "legal": "legal",
                "ocio": "ocio", "independent": "rug"}
    comps = sorted(units)
    existing = 3
    bids: list[str] = []
    batch = 1000
    t_mark = time.perf_counter()
    for start in range(0, n - existing, batch):
        k = min(batch, n - existing - start)
        plan = []
        for i in range(start, start + k):
            num = existing + i + 1
            r = rng.random()
            kind = "fr" if r < 0.05 else "high" if r < 0.15 else "low"
            comp = rng.choice(comps)
            base = FR if kind == "fr" else HIGH if kind == "high" else rng.choice(LOW)
            bid = f"DHS-{num:05d}"
            values = {**base, "use_case_name": f"{base['use_case_name']} ({comp} {num})", "agency": "DHS",
                      "agency_name": settings.agency_name, "agency_bureau": comp, "id": bid}
            values = records.to_json_values(values)
            summ = records.summarise("2025", values)
            plan.append({"bid": bid, "kind": kind, "comp": comp, "values": values, "summary": summ,
                         "complete": kind != "low" and rng.random() < 0.7,
                         "retired": kind == "low" and rng.random() < 0.01})
        with db.transaction() as s:
            conn = s.connection()

            def ins(table, rows, conn=conn):
                if not rows:
                    return []
                return conn.execute(insert(table.__table__).returning(table.__table__.c.id, sort_by_parameter_order=True),
                                    rows).scalars().all()

            uc_ids = ins(UseCase, [{
                "business_id": p["bid"], "id_key": f"id:{p['bid']}", "name_key": name_key("DHS", p["summary"].name),
                "agency": "DHS", "org_unit_id": units[p["comp"]], "office": p["comp"], "name": p["summary"].name,
                "status": "retired" if p["retired"] else "active", "stage": p["summary"].stage,
                "impact": p["summary"].impact, "topic": p["summary"].topic, "is_cots": p["summary"].is_cots,
                "is_face_recognition": p["summary"].is_face_recognition, "is_genai": p["summary"].is_genai,
                "retired_at": now if p["retired"] else None, "search_text": f"{p['bid']} {p['summary'].search_text}",
                "revision_count": 1, "created_at": now, "updated_at": now} for p in plan])
            for p, i in zip(plan, uc_ids, strict=True):
                p["id"] = i
            ins(UseCaseRevision, [{
                "use_case_id": p["id"], "number": 1, "schema": "2025", "values": p["values"], "raw": {}, "extra": {},
                "content_hash": records.content_hash("2025", p["values"], {}), "source": "edit", "reason": "created",
                "created_at": now, "created_by": "user:owner"} for p in plan])
            ins(UseCasePerson, [{"use_case_id": p["id"], "user_id": uid[u], "role": role} for p in plan
                                for u, role in (("owner", "owner"), ("dev", "developer"))
                                if role == "owner" or p["kind"] != "low"])
            sc_ids = ins(Screening, [{"use_case_id": p["id"], "revision_number": 1, **templates[p["kind"]]["screening"],
                                      "created_at": now, "created_by": "user:owner"} for p in plan])
            ins(Determination, [{
                "use_case_id": p["id"], "framework": "M-25-21", "pack": templates[p["kind"]]["det_pack"],
                "decision": templates[p["kind"]]["decision"], "reason": "bench determination", "status": "in_force",
                "source": "official", "screening_id": sc, "created_at": now, "created_by": "user:caio"}
                for p, sc in zip(plan, sc_ids, strict=True)])
            gov_plan = [p for p in plan if p["kind"] != "low"]
            # what is missing from the incomplete ones: one or two defects
            for p in gov_plan:
                opts = ["review_open", "practice_in_progress", "no_acceptance", "evidence_expired", "condition_overdue"]
                if p["kind"] == "fr":
                    opts.append("bias_stale")
                p["defects"] = set() if p["complete"] else set(rng.sample(opts, rng.choice((1, 1, 2))))
                p["defects_at"] = {("M-25-21.4(b)(vii)", "practice_in_progress"), ("M-25-21.4(b)(ii)", "no_acceptance")} \
                    & {(i, d) for d in p["defects"] for i in ("M-25-21.4(b)(vii)", "M-25-21.4(b)(ii)")}
            review_rows, review_plan = [], []
            for p in gov_plan:
                for lane, because in templates[p["kind"]]["lanes"]:
                    open_ = "review_open" in p["defects"] and lane == "privacy"
                    cond = lane == "legal" and ("condition_overdue" in p["defects"] or rng.random() < 0.1)
                    status = "open" if open_ else "approved_with_conditions" if cond else "approved"
                    decided_at = now - dt.timedelta(days=rng.randint(1, 300), microseconds=rng.randint(0, 999999))
                    review_rows.append({"use_case_id": p["id"], "lane": lane, "cycle": 1, "status": status,
                                        "required_by": because, "revision_number": 1,
                                        "opened_at": decided_at - dt.timedelta(days=20),
                                        "decided_at": None if open_ else decided_at,
                                        "decided_by": None if open_ else f"user:{reviewer[lane]}",
                                        "version": 1 if open_ else 2})
                    review_plan.append((p, lane, status, decided_at))
            rv_ids = ins(Review, review_rows)
            comments, conditions = [], []
            for (p, lane, status, decided_at), rid in zip(review_plan, rv_ids, strict=True):
                if status == "open":
                    continue
                body = f"{lane} review: {status.replace('_', ' ')}"
                comments.append({"review_id": rid, "kind": "decision", "decision": status, "body": body,
                                 "author_id": uid[reviewer[lane]], "author": f"user:{reviewer[lane]}",
                                 "created_at": decided_at})
                if lane == "independent":
                    p["independent"] = [{"lane": lane, "cycle": 1, "author": f"user:{reviewer[lane]}",
                                         "kind": "decision", "decision": status, "body": body,
                                         "at": decided_at.isoformat()}]
                if status == "approved_with_conditions":
                    overdue = "condition_overdue" in p["defects"]
                    conditions.append({"review_id": rid, "text": "Re-test after the next model update",
                                       "due_on": today + dt.timedelta(days=-10 if overdue else 60), "status": "open"})
            ins(ReviewComment, comments)
            ins(ReviewCondition, conditions)
            practice_rows, practice_plan = [], []
            for p in gov_plan:
                for item, pack, title, citation, timing in templates[p["kind"]]["practices"]:
                    status = "done"
                    if (item, "practice_in_progress") in p["defects_at"] or (item, "no_acceptance") in p["defects_at"]:
                        status = "in_progress"
                    elif item == "D026-11.OptOut" and rng.random() < 0.3:
                        status = "not_applicable"
                    practice_rows.append({"use_case_id": p["id"], "item": item, "pack": pack, "title": title,
                                          "citation": citation, "timing": timing, "required": True, "status": status,
                                          "status_reason": "no opt-out at a border crossing"
                                          if status == "not_applicable" else None,
                                          "owner_id": uid["owner"], "due_on": today + dt.timedelta(days=60),
                                          "updated_at": now, "updated_by": "user:owner", "version": 2})
                    practice_plan.append((p, item, status))
            pr_ids = ins(Practice, practice_rows)
            ev_rows, ev_plan = [], []
            for p in gov_plan:
                expired = "evidence_expired" in p["defects"]
                ev_rows.append({"kind": "link", "category": "test_report", "title": f"Test report {p['bid']}",
                                "url": f"https://evidence.example.gov/{p['bid']}/test-report",
                                "dated_on": today - dt.timedelta(days=400 if expired else 100),
                                "expires_on": today - dt.timedelta(days=5) if expired else today + dt.timedelta(days=600),
                                "component": p["comp"], "owner_id": uid["owner"], "owner": "user:owner", "details": {},
                                "created_at": now})
                ev_plan.append((p, "test_report"))
                if p["kind"] == "fr":
                    stale = "bias_stale" in p["defects"]
                    ev_rows.append({"kind": "link", "category": "bias_test", "title": f"Bias test {p['bid']}",
                                    "url": f"https://evidence.example.gov/{p['bid']}/bias-test",
                                    "dated_on": today - dt.timedelta(days=1200 if stale else 200), "expires_on": None,
                                    "component": p["comp"], "owner_id": uid["owner"], "owner": "user:owner",
                                    "details": {}, "created_at": now})
                    ev_plan.append((p, "bias_test"))
            ev_ids = ins(Evidence, ev_rows)
            ev_of = {(p["id"], cat): e for (p, cat), e in zip(ev_plan, ev_ids, strict=True)}
            links = []
            for (p, item, status), pid in zip(practice_plan, pr_ids, strict=True):
                if status != "done" or item == "M-25-21.4(b)(ii)":
                    continue
                cat = "bias_test" if item == "D026-11.Testing" else "test_report"
                links.append({"evidence_id": ev_of[(p["id"], cat)], "use_case_id": p["id"], "practice_id": pid,
                              "linked_by": "user:owner", "linked_at": now})
            ins(EvidenceLink, links)
            sha = gov.sha256_json(SECTIONS)
            ia_ids = ins(ImpactAssessment, [{"use_case_id": p["id"], "number": 1, "content": SECTIONS, "sha256": sha,
                                             "created_at": now, "created_by": "user:owner"} for p in gov_plan])
            accepts = []
            for p, ia in zip(gov_plan, ia_ids, strict=True):
                if "no_acceptance" in p["defects"]:
                    continue
                body = {"use_case": p["bid"], "assessment": 1, "assessment_sha256": sha, "sections": SECTIONS,
                        "independent_review": p.get("independent", [])}
                accepts.append({"use_case_id": p["id"], "assessment_id": ia, "assessment_sha256": gov.sha256_json(body),
                                "statement": "I accept the residual risk", "accepted_by_id": uid["caio"],
                                "accepted_by": "user:caio", "method": "password re-entered", "accepted_at": now})
            ins(RiskAcceptance, accepts)
        bids += [p["bid"] for p in plan]
        if start == 0:
            # the bulk rows must mean to the gate what the services' rows mean: a complete one is authorized
            with db.transaction() as s:
                for p in gov_plan:
                    ans = gov.authorization(s, actors["caio"], p["bid"])
                    assert ans.authorized == p["complete"], (p["bid"], p["kind"], p["defects"], ans.reasons)
                    uc = inventory.get_use_case(s, actors["caio"], p["bid"])  # the gate's own reading of the
                    assert gov.gate_input(s, uc).risk_acceptance == gov.risk_acceptance_state(s, uc)  # signature
        print(f"  {len(bids) + existing:>6,} use cases ({time.perf_counter() - t_mark:.1f} s)", flush=True)
    with db.transaction() as s:
        s.execute(__import__("sqlalchemy").text("ANALYZE"))
    return token, ["DHS-0001", "DHS-0002", "DHS-0003", *bids]


# ---------------------------------------------------------------- the server and the run


def free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def start_server(db_url: str, data_dir: Path, port: int, profile: str | None = None, workers: int = 1) -> subprocess.Popen:
    import httpx

    env = {**os.environ, "RAIGOV_DATABASE_URL": db_url, "RAIGOV_DATA_DIR": str(data_dir),
           "RAIGOV_SECRET_KEY": "bench-secret-not-for-production"}
    prof = ["-m", "cProfile", "-o", profile] if profile else []
    proc = subprocess.Popen([sys.executable, *prof, "-m", "uvicorn", "raigov.web.asgi:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning", "--no-access-log",
                             *(["--workers", str(workers)] if workers > 1 else [])], env=env)
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


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def in_process(db, token: str, ids: list[str], warmup: int) -> dict[str, list[float]]:
    """Per request: authorization() alone (wall ms, this process's CPU ms, SQL statements), and what the
    route does without HTTP: the token resolved to its actor, then authorization, in two transactions."""
    from sqlalchemy import event

    from raigov.governance import service as gov
    from raigov.identity import service as identity

    with db.transaction() as s:
        actor = identity.actor_for(s, identity.resolve_api_token(s, token))
    out: dict[str, list[float]] = {"gate_ms": [], "gate_cpu_ms": [], "queries": [], "whole_ms": [],
                                   "whole_cpu_ms": []}
    statements = [0]

    def count(*_):
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for i, bid in enumerate(ids):
            t0, c0 = time.perf_counter(), time.process_time()
            with db.transaction() as s:
                actor = identity.actor_for(s, identity.resolve_api_token(s, token))
            with db.transaction() as s:
                statements[0] = 0
                t1, c1 = time.perf_counter(), time.process_time()
                gov.authorization(s, actor, bid)
                t2, c2, n = time.perf_counter(), time.process_time(), statements[0]
            t3, c3 = time.perf_counter(), time.process_time()
            if i >= warmup:
                out["whole_cpu_ms"].append((c3 - c0) * 1000)
                out["gate_ms"].append((t2 - t1) * 1000)
                out["gate_cpu_ms"].append((c2 - c1) * 1000)
                out["queries"].append(n)
                out["whole_ms"].append((t3 - t0) * 1000)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--use-cases", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=1_000)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--profile", metavar="FILE", help="also cProfile the in-process run into FILE")
    ap.add_argument("--profile-server", metavar="FILE", help="run uvicorn under cProfile, stats into FILE")
    ap.add_argument("--client", nargs=5, metavar=("PORT", "TOKEN", "IDS_FILE", "WARMUP", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        port, token, ids_file, warmup, n = args.client
        return client_main(int(port), token, ids_file, int(warmup), int(n))

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from benchdb import fresh

    from raigov.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        try:
            db, cleanup = fresh("postgres", tmp)
        except Exception as exc:  # noqa: BLE001
            print(f"postgres: unavailable ({exc})")
            return 2
        proc = None
        try:
            settings = Settings(data_dir=tmp / "data", secret_key="bench-secret-not-for-production")
            print(f"gate_bench: building {args.use_cases:,} use cases on PostgreSQL")
            t0 = time.perf_counter()
            token, bids = build(db, settings, args.use_cases, args.seed)
            print(f"built in {time.perf_counter() - t0:.1f} s")
            rng = random.Random(args.seed + 1)
            ids = [rng.choice(bids) for _ in range(args.warmup + args.requests)]
            ids_file = tmp / "ids.json"
            ids_file.write_text(json.dumps(ids))

            port = free_port()
            proc = start_server(db.url, tmp / "server", port, args.profile_server)
            cpu0 = cpu_seconds(proc.pid)
            out = subprocess.run([sys.executable, __file__, "--client", str(port), token, str(ids_file),
                                  str(args.warmup), str(args.requests)], capture_output=True, text=True, check=True)
            res = json.loads(out.stdout.strip().splitlines()[-1])
            cpu1 = cpu_seconds(proc.pid)
            lat = res["lat_ms"]
            p50, p99 = statistics.median(lat), pct(lat, 0.99)
            print(f"\nHTTP, {args.requests:,} requests after {args.warmup} warm-up, one keep-alive connection, "
                  f"uvicorn 1 worker ({res['authorized']} authorized, {res['errors']} errors)")
            print(f"  {args.requests / res['wall_s']:,.0f} requests/s   p50 {p50:.2f} ms   p99 {p99:.2f} ms   "
                  f"max {max(lat):.2f} ms")
            if cpu0 is not None and cpu1 is not None:
                n_all = args.requests + args.warmup
                print(f"  server process CPU {(cpu1 - cpu0) * 1000 / n_all:.2f} ms per request (warm-up included)")
            proc.send_signal(signal.SIGINT)  # a clean shutdown (and the server's profile written)
            proc.wait(30)
            proc = None

            if args.profile:
                import cProfile

                prof = cProfile.Profile()
                prof.enable()
            ip = in_process(db, token, ids, args.warmup)
            if args.profile:
                prof.disable()
                prof.dump_stats(args.profile)
            print("in process, same ids (the same warm-up first):")
            for label, key in (("governance.service.authorization alone", "gate_ms"),
                               ("  its CPU time in this process", "gate_cpu_ms"),
                               ("token -> actor, then authorization (2 tx)", "whole_ms"),
                               ("  its CPU time in this process", "whole_cpu_ms")):
                xs = ip[key]
                print(f"  {label:<42} p50 {statistics.median(xs):6.2f} ms   p99 {pct(xs, 0.99):6.2f} ms   "
                      f"mean {statistics.fmean(xs):6.2f} ms")
            print(f"  SQL statements per authorization: mean {statistics.fmean(ip['queries']):.1f}, "
                  f"max {max(ip['queries'])}")
            load = os.getloadavg() if hasattr(os, "getloadavg") else None
            if load:
                print(f"  load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs "
                      "(figures are wall-clock: a busy machine inflates them)")
            verdict = "PASS" if p99 < TARGET_P99_MS else "FAIL"
            print(f"\n{verdict}: HTTP p99 {p99:.2f} ms (target < {TARGET_P99_MS:.0f} ms)")
            return 0 if verdict == "PASS" else 1
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(10)
            cleanup()


if __name__ == "__main__":
    sys.exit(main())
