"""Clocks and jobs: the pure clocks with hand-set dates; the outbox on both databases with a real SMTP
sink on 127.0.0.1 (each notice once, retried after a failure, never twice even when two runs race);
the `raigov jobs run` command."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socketserver
import threading

import pytest
from sqlalchemy import func, select, update

from raigov.audit.models import AuditEvent
from raigov.datacall.models import ReportingCycle
from raigov.db.engine import Database
from raigov.errors import PermissionDenied
from raigov.governance.lanes import config
from raigov.governance.models import Evidence, EvidenceLink, Practice, Review, Waiver
from raigov.identity.models import User
from raigov.identity.permissions import Actor
from raigov.inventory import service as inventory
from raigov.jobs import clocks as C
from raigov.jobs import service as jobs
from raigov.jobs.models import Notice

TODAY = dt.date(2026, 11, 26)


def d(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


# ---------------------------------------------------------------- a tiny SMTP sink


class _Handler(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        sink: SmtpSink = self.server.sink  # type: ignore[attr-defined]
        self._say("220 sink ESMTP")
        mail_from, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            verb = cmd[:4].upper()
            if verb == "EHLO":
                self._say("250-sink")
                self._say("250 8BITMIME")
            elif verb == "HELO":
                self._say("250 sink")
            elif verb == "MAIL":
                mail_from, rcpts = cmd.split(":", 1)[1].strip(), []
                self._say("250 OK")
            elif verb == "RCPT":
                addr = cmd.split(":", 1)[1].strip().strip("<>")
                if addr in sink.refuse:
                    self._say("550 no such user")
                else:
                    rcpts.append(addr)
                    self._say("250 OK")
            elif verb == "DATA":
                self._say("354 go ahead")
                data = []
                while True:
                    ln = self.rfile.readline()
                    if not ln or ln in (b".\r\n", b".\n"):
                        break
                    data.append(ln[1:] if ln.startswith(b"..") else ln)
                with sink.lock:
                    sink.messages.append((mail_from, tuple(rcpts), email.message_from_bytes(b"".join(data),
                                                                                            policy=email.policy.default)))
                self._say("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                rcpts = []
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


class SmtpSink:
    def __init__(self):
        self.messages: list = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.sink = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self) -> list[tuple[str, str]]:
        with self.lock:
            return sorted((r, m["Subject"]) for _, rcpts, m in self.messages for r in rcpts)

    def keys(self) -> list[str]:
        with self.lock:
            return [m["X-Raigov-Notice"] for _, _, m in self.messages]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink():
    s = SmtpSink()
    yield s
    s.close()


# ---------------------------------------------------------------- pure clocks

DIRECTORY = C.Directory(
    grants=(("owner", "submitter", "CBP"), ("lead", "component_ai_lead", "CBP"), ("tsa.lead", "component_ai_lead", "TSA"),
            ("caio", "caio", None), ("delegate", "caio_delegate", None), ("privacy", "privacy_reviewer", None),
            ("privacy.dev", "privacy_reviewer", None), ("rug", "rug_member", None)),
    ancestors={"CBP": ("CBP", "DHS"), "TSA": ("TSA", "DHS"), "USCIS": ("USCIS", "DHS"), "DHS": ("DHS",)})
UC = C.UseCaseInfo(1, "DHS-0001", "Face matching", "CBP", owners=("owner",), team=("owner", "privacy.dev"))
UC_TSA = C.UseCaseInfo(2, "DHS-0002", "Bag screening", "TSA", owners=())


def _snap(**kw) -> C.Snapshot:
    return C.Snapshot(use_cases={1: UC, 2: UC_TSA}, directory=DIRECTORY, **kw)


def _practice(pid=10, due=TODAY + dt.timedelta(days=10), **kw):
    base = {"id": pid, "use_case_id": 1, "item": "M-25-21.4(b)(iv)", "title": "Ongoing monitoring",
            "citation": "M-25-21 App. §4(b)(iv)", "status": "not_started", "required": True, "due_on": due}
    return C.PracticeInfo(**{**base, **kw})


def _to(n: C.DueNotice) -> list[tuple[str, str]]:
    return [(r.username, r.role) for r in n.recipients]


def compute(snap, today=TODAY):
    return C.compute(snap, config(), today, "https://raigov.example.gov")



def run_on_hosts(hosts, settings, day):
    """``jobs.run`` on every host at the same moment (a barrier), each in a thread of its own; their summaries."""
    barrier = threading.Barrier(len(hosts))
    results, errors = [], []

    def host(h):
        try:
            barrier.wait(timeout=30)
            results.append(jobs.run(h, SYSTEM, settings, today=day))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=host, args=(h,)) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    return results

def test_practice_clock():
    # due in 10 days: a reminder to the use case's owner (the practice has none of its own)
    [n] = compute(_snap(practices=[_practice()]))
    assert (n.key, n.kind, n.level) == ("practice:10:soon:2026-12-06", "practice_due", "reminder")
    assert _to(n) == [("owner", "owner")]
    assert n.subject == "[raigov] DHS-0001: practice M-25-21.4(b)(iv) due on 2026-12-06"
    assert "https://raigov.example.gov/inventory/DHS-0001/governance" in n.body and n.due_on == d(10)
    # the practice's own owner, when it has one
    [n] = compute(_snap(practices=[_practice(owner="privacy.dev")]))
    assert _to(n) == [("privacy.dev", "owner")]
    # overdue: an escalation to the owner, the component's AI lead and the CAIO (not TSA's lead)
    [n] = compute(_snap(practices=[_practice(due=d(-1))]))
    assert (n.key, n.level) == ("practice:10:overdue:2026-11-25", "escalation")
    assert _to(n) == [("owner", "owner"), ("lead", "component_ai_lead"), ("caio", "caio")]
    assert n.subject.startswith("[raigov] ESCALATION: DHS-0001: practice M-25-21.4(b)(iv) overdue since 2026-11-25")
    # due today is still a reminder; beyond 14 days, done, waived, not required, retired: nothing
    assert compute(_snap(practices=[_practice(due=TODAY)]))[0].level == "reminder"
    assert compute(_snap(practices=[_practice(due=d(15)), _practice(11, status="done"),
                                    _practice(12, status="waived"), _practice(13, required=False),
                                    _practice(14, status="not_applicable"), _practice(15, due=None),
                                    _practice(16, use_case_id=99)])) == []
    # nobody owns the TSA use case: its reminder goes one step up, to TSA's AI lead
    [n] = compute(_snap(practices=[_practice(use_case_id=2)]))
    assert _to(n) == [("tsa.lead", "component_ai_lead")]
    # the same inputs, the same keys: a second run finds what the first created
    snap = _snap(practices=[_practice(), _practice(11, due=d(-3))])
    assert compute(snap) == compute(snap)


def test_evidence_clock():
    ev = C.EvidenceInfo(7, "PIA 2025", "pia", d(20), "privacy.dev", (1,))
    [n] = compute(_snap(evidence=[ev]))  # lanes.yaml: reminders start 30 days before expiry
    assert (n.key, n.level, _to(n)) == ("evidence:7:expiring:2026-12-16", "reminder", [("privacy.dev", "evidence_owner")])
    assert compute(_snap(evidence=[C.EvidenceInfo(7, "PIA", "pia", d(31), None, (1,))])) == []
    # expired, supporting use cases of two components: both leads and the CAIO
    [n] = compute(_snap(evidence=[C.EvidenceInfo(7, "ATO", "ato", d(-2), None, (1, 2))]))
    assert (n.key, n.level) == ("evidence:7:expired:2026-11-24", "escalation")
    assert _to(n) == [("owner", "owner"), ("lead", "component_ai_lead"), ("tsa.lead", "component_ai_lead"),
                      ("caio", "caio")]
    assert compute(_snap(evidence=[C.EvidenceInfo(7, "x", "pia", d(-2), None, (99,))])) == []  # no counted use case


def test_waiver_clocks():
    w = C.WaiverInfo(5, 1, "M-25-21.4(b)(vii)", "active", certified_on=d(-350), expires_on=d(200),
                     omb_report_due=d(-320), omb_reported_on=d(-330))
    [n] = compute(_snap(waivers=[w]))  # re-certification due in 15 days: the CAIO
    assert (n.key, n.kind, n.level, _to(n)) == ("waiver:5:certify-soon:2026-12-11", "waiver_certification", "reminder",
                                                [("caio", "caio")])
    [n] = compute(_snap(waivers=[C.WaiverInfo(5, 1, "x", "active", d(-400), d(200), d(-370), d(-380))]))
    assert (n.key, n.level, _to(n)) == ("waiver:5:certify-overdue:2026-10-22", "escalation",
                                        [("caio", "caio"), ("delegate", "caio_delegate")])
    # the waiver ends before its certification would be due; revoked waivers need none
    assert compute(_snap(waivers=[C.WaiverInfo(5, 1, "x", "active", d(-350), d(10), d(-320), d(-330)),
                                  C.WaiverInfo(6, 1, "x", "revoked", d(-400), d(200), d(-370), d(-380))])) == []
    # the 30-day report to OMB: 5 days left, not reported
    [n] = compute(_snap(waivers=[C.WaiverInfo(5, 1, "x", "active", d(-25), d(200), d(5), None)]))
    assert (n.key, n.kind, n.level) == ("waiver:5:omb-report-soon:2026-12-01", "waiver_omb_report", "reminder")
    assert _to(n) == [("caio", "caio"), ("delegate", "caio_delegate")]
    assert compute(_snap(waivers=[C.WaiverInfo(5, 1, "x", "active", d(-20), d(200), d(10), None)])) == []
    [n] = compute(_snap(waivers=[C.WaiverInfo(5, 1, "x", "revoked", d(-100), d(200), d(-1), None)]))
    assert (n.key, n.level) == ("waiver:5:omb-report-overdue:2026-11-25", "escalation") and "revoked" in n.subject


def test_face_recognition_retest_clock():
    age = config().bias_test_max_age_days
    fr = C.UseCaseInfo(1, "DHS-0001", "Face matching", "CBP", owners=("owner",), face_recognition=True,
                       last_bias_test=d(60 - age))
    snap = C.Snapshot(use_cases={1: fr}, directory=DIRECTORY)
    [n] = compute(snap)
    assert (n.key, n.kind, n.level, _to(n)) == (f"use_case:1:retest-soon:{d(60)}", "bias_retest", "reminder",
                                                [("owner", "owner")])
    [n] = compute(snap, today=d(61))
    assert n.level == "escalation" and _to(n) == [("owner", "owner"), ("lead", "component_ai_lead"), ("caio", "caio")]
    assert compute(snap, today=d(-31)) == []  # more than 90 days ahead
    not_fr = C.UseCaseInfo(1, "DHS-0001", "x", "CBP", owners=("owner",), face_recognition=False,
                           last_bias_test=d(-age - 5))
    assert compute(C.Snapshot(use_cases={1: not_fr}, directory=DIRECTORY)) == []


def test_review_clock():
    due_days = config().review_due_days
    r = C.ReviewInfo(44, 1, "privacy", "open", d(-due_days - 1))
    [n] = compute(_snap(reviews=[r]))
    # the lane's reviewers (not one on the development team) and the CAIO
    assert (n.key, n.kind, n.level) == (f"review:44:overdue:{d(-1)}", "review_overdue", "escalation")
    assert _to(n) == [("privacy", "reviewer:privacy"), ("caio", "caio")]
    assert "Privacy Office review open since" in n.subject
    [n] = compute(_snap(reviews=[C.ReviewInfo(44, 1, "privacy", "open", d(-due_days - 1), assignee="rug")]))
    assert _to(n) == [("rug", "assignee"), ("caio", "caio")]
    [n] = compute(_snap(reviews=[C.ReviewInfo(45, 1, "component_ai_lead", "open", d(-60))]))
    assert _to(n) == [("lead", "reviewer:component_ai_lead"), ("caio", "caio")]
    assert compute(_snap(reviews=[C.ReviewInfo(44, 1, "privacy", "open", d(-due_days)),
                                  C.ReviewInfo(46, 1, "privacy", "changes_requested", d(-90))])) == []


def test_annual_inventory_clock():
    cycle = C.CycleInfo(3, 2026, "2026 AI use case inventory", d(10), "open", frozenset({"CBP"}))
    out = compute(_snap(cycles=[cycle], components=("CBP", "TSA", "USCIS")))
    assert [(n.key, n.level, _to(n)) for n in out] == [
        ("cycle:3:TSA:soon:2026-12-06", "reminder", [("tsa.lead", "component_ai_lead")]),
        ("cycle:3:USCIS:soon:2026-12-06", "reminder", [("caio", "caio")]),  # no AI lead: the CAIO
    ]
    late = C.CycleInfo(3, 2026, "2026 AI use case inventory", d(-1), "open", frozenset({"CBP"}))
    [n] = compute(_snap(cycles=[late], components=("CBP", "TSA")))
    assert (n.key, n.level, _to(n)) == ("cycle:3:TSA:overdue:2026-11-25", "escalation",
                                        [("tsa.lead", "component_ai_lead"), ("caio", "caio")])
    assert compute(_snap(cycles=[C.CycleInfo(3, 2026, "x", d(15), "open")], components=("TSA",))) == []
    assert compute(_snap(cycles=[C.CycleInfo(3, 2026, "x", d(-5), "certified")], components=("TSA",))) == []


# ---------------------------------------------------------------- the outbox, on both databases

LOW = {
    "use_case_name": "Translation of public web pages",
    "development_stage": "Deployed",
    "problem_solved": "Machine translation of the agency's public web pages into Spanish for readers.",
    "system_outputs": "Translated text reviewed by staff before publication.",
}


@pytest.fixture
def agency(db, settings, system, actor_of):
    """CBP use case owned by `owner`, with a practice due in 10 days, one overdue, expiring evidence of an
    owner without an e-mail address, a review open 40 days, a waiver to report to OMB and a data call."""
    from raigov.identity import service as identity
    from raigov.identity.schemas import RoleGrantIn, UserCreate

    people = {"owner": "submitter@CBP", "lead": "component_ai_lead@CBP", "caio": "caio", "delegate": "caio_delegate",
              "privacy": "privacy_reviewer", "tester": "te_engineer@CBP"}
    with db.transaction() as s:  # no passwords (hashing is slow and not needed here)
        for u, spec in people.items():
            role, _, unit = spec.partition("@")
            identity.create_user(s, system, UserCreate(
                username=u, display_name=u.title(), email=None if u == "tester" else f"{u}@example.gov",
                password=None, roles=[RoleGrantIn(role=role, component=unit or None)]), settings)
    owner = actor_of("owner")
    with db.transaction() as s:
        uc = inventory.create_use_case(s, owner, component="CBP", values=LOW, reason="new", settings=settings)
        bid, ucid = uc.business_id, uc.id
        tester = s.scalar(select(User.id).where(User.username == "tester"))
        s.add_all([
            Practice(use_case_id=ucid, item="M-25-21.4(b)(iv)", pack="omb-m-25-21@1", title="Ongoing monitoring",
                     citation="M-25-21 App. §4(b)(iv)", status="in_progress", due_on=d(10), updated_by="test"),
            Practice(use_case_id=ucid, item="M-25-21.4(b)(v)", pack="omb-m-25-21@1", title="Operator training",
                     citation="M-25-21 App. §4(b)(v)", status="not_started", due_on=d(-1), updated_by="test"),
            Practice(use_case_id=ucid, item="M-25-21.4(b)(vi)", pack="omb-m-25-21@1", title="Done already",
                     citation="M-25-21 App. §4(b)(vi)", status="done", due_on=d(-1), updated_by="test"),
            Review(use_case_id=ucid, lane="privacy", cycle=1, status="open", required_by=[], revision_number=1,
                   opened_at=dt.datetime.combine(d(-40), dt.time(12), dt.UTC)),
            Waiver(use_case_id=ucid, practice_item="M-25-21.4(b)(vii)", grounds="impedes-operations",
                   determination="x", risk_assessment="x", public_summary="x", granted_by="user:caio",
                   expires_on=d(300), certified_on=d(-27), omb_report_due=d(3)),
            ReportingCycle(year=2026, title="2026 AI use case inventory", due_on=d(5), opened_by="user:caio"),
        ])
        ev = Evidence(kind="link", category="pia", title="Privacy impact assessment", url="https://example.gov/pia",
                      dated_on=d(-300), expires_on=d(20), component="CBP", owner_id=tester, owner="user:tester")
        s.add(ev)
        s.flush()
        s.add(EvidenceLink(evidence_id=ev.id, use_case_id=ucid, linked_by="test"))
        ids = {"practice": s.scalars(select(Practice.id).order_by(Practice.id)).all(), "evidence": ev.id,
               "review": s.scalar(select(Review.id)), "waiver": s.scalar(select(Waiver.id)),
               "cycle": s.scalar(select(ReportingCycle.id))}
    return {"bid": bid, **ids}


def _smtp(settings, sink):
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_starttls": False,
                                       "smtp_from": "raigov@example.gov", "base_url": "https://raigov.example.gov"})


SYSTEM = Actor.system("jobs")


def test_run_sends_each_notice_once(db, settings, agency, sink):
    bid, p = agency["bid"], agency["practice"]
    st = _smtp(settings, sink)
    # a dry run writes nothing
    dry = jobs.run(db, SYSTEM, st, today=TODAY, dry_run=True)
    assert len(dry.due) == 6 and len(dry.created) == dry.rows == 10 and sink.received() == []
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Notice)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "jobs.checks.run")) == 0

    first = jobs.run(db, SYSTEM, st, today=TODAY)
    # ten rows (a notice per recipient); the evidence owner has no e-mail address: nine sent
    assert len(first.created) == 10 and len(first.sent) == 9 and first.failed == []
    overdue = f"[raigov] ESCALATION: {bid}: practice M-25-21.4(b)(v) overdue since 2026-11-25"
    review = f"[raigov] ESCALATION: {bid}: Privacy Office review open since 2026-10-17 (over 30 days)"
    omb = f"[raigov] {bid}: report waiver {agency['waiver']} (granted) to OMB by 2026-11-29"
    assert sink.received() == sorted([
        ("owner@example.gov", f"[raigov] {bid}: practice M-25-21.4(b)(iv) due on 2026-12-06"),
        ("owner@example.gov", overdue), ("lead@example.gov", overdue), ("caio@example.gov", overdue),
        ("privacy@example.gov", review), ("caio@example.gov", review),
        ("caio@example.gov", omb), ("delegate@example.gov", omb),
        ("lead@example.gov", "[raigov] 2026 AI inventory: certify CBP by 2026-12-01"),
    ])
    assert len(sink.messages) == 9
    msg = next(m for _, r, m in sink.messages if r == ("lead@example.gov",) and "overdue" in m["Subject"])
    assert msg["From"] == "raigov@example.gov" and msg["X-Raigov-Notice"] == f"practice:{p[1]}:overdue:2026-11-25:to:lead"
    assert f"https://raigov.example.gov/inventory/{bid}/governance" in msg.get_content()
    with db.transaction() as s:
        kept = s.execute(select(Notice.recipient, Notice.last_error, Notice.sent_at)
                         .where(Notice.recipient_user == "tester")).one()
        assert kept == ("user:tester", "no e-mail address", None)
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "jobs.checks.run"))
        details = json.loads(ev.details)
        assert (details["created"], details["sent"], details["pending"]) == (10, 9, 1)

    # the next run, the same day or the day after: nothing new is created or sent
    for day in (TODAY, d(1)):
        again = jobs.run(db, SYSTEM, st, today=day)
        assert again.created == [] and again.sent == [] and again.pending_total == 1
    assert len(sink.messages) == 9

    # the tester gets an address: the kept notice goes out, once
    with db.transaction() as s:
        s.execute(update(User).where(User.username == "tester").values(email="tester@example.gov"))
    late = jobs.run(db, SYSTEM, st, today=d(1))
    assert late.created == [] and late.sent == [f"evidence:{agency['evidence']}:expiring:2026-12-16:to:tester"]
    assert sink.messages[-1][1] == ("tester@example.gov",)
    assert sink.messages[-1][2]["Subject"] == "[raigov] Evidence 'Privacy impact assessment' expires on 2026-12-16"
    # a new event (the practice's due date moved and passed) is a new notice
    with db.transaction() as s:
        s.execute(update(Practice).where(Practice.id == p[0]).values(due_on=d(-2)))
    moved = jobs.run(db, SYSTEM, st, today=d(1))
    assert sorted(moved.created) == sorted(f"practice:{p[0]}:overdue:2026-11-24:to:{u}" for u in ("owner", "lead", "caio"))
    assert len(moved.sent) == 3
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "jobs.checks.run")) == 5


def test_failed_send_is_kept_and_retried(db, settings, agency, sink):
    st = _smtp(settings, sink)
    sink.refuse = {"lead@example.gov"}
    first = jobs.run(db, SYSTEM, st, today=TODAY)
    refused = sorted(f["key"] for f in first.failed)
    assert refused == sorted([f"cycle:{agency['cycle']}:CBP:soon:2026-12-01:to:lead",
                              f"practice:{agency['practice'][1]}:overdue:2026-11-25:to:lead"])
    assert all("SMTPRecipientsRefused" in f["error"] for f in first.failed)
    assert len(first.sent) == 7 and not any(r == "lead@example.gov" for r, _ in sink.received())
    with db.transaction() as s:
        rows = s.execute(select(Notice.attempts, Notice.last_error, Notice.claimed_by, Notice.sent_at)
                         .where(Notice.recipient == "lead@example.gov")).all()
        assert len(rows) == 2 and all(a == 1 and "550" in e and c is None and t is None for a, e, c, t in rows)
    # the server accepts again: the next run sends exactly the two that failed
    sink.refuse = set()
    second = jobs.run(db, SYSTEM, st, today=TODAY)
    assert second.created == [] and sorted(second.sent) == refused and second.failed == []
    assert sum(1 for r, _ in sink.received() if r == "lead@example.gov") == 2
    # a claim left by a host that died is taken over after the lease; a fresh claim of a live host is not
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        for key, who, ago in (("hand:dead", "dead-host", 20), ("hand:busy", "busy-host", 1)):
            s.add(Notice(key=key, kind="test", level="reminder", recipient="caio@example.gov", recipient_user="caio",
                         subject=f"[raigov] {key}", body="x", object_type="test", object_id="1", attempts=1,
                         claimed_by=who, claimed_at=now - dt.timedelta(minutes=ago)))
    taken = jobs.run(db, SYSTEM, st, today=TODAY)
    assert taken.sent == ["hand:dead"] and "hand:busy" in {p["key"] for p in taken.pending}
    with db.transaction() as s:
        assert s.scalar(select(Notice.attempts).where(Notice.key == "hand:dead")) == 2
    # the server is down: nothing is lost, the run says why
    with db.transaction() as s:
        s.execute(update(Practice).where(Practice.id == agency["practice"][0]).values(due_on=d(-3)))
    sink.close()
    third = jobs.run(db, SYSTEM, st, today=TODAY)
    assert len(third.created) == 3 and third.sent == [] and len(third.failed) == 1
    assert third.pending_total == 3 + 1 + 1  # the tester without an address, the live host's claim


def test_without_smtp_notices_wait_in_the_outbox(db, settings, agency, actor_of):
    summary = jobs.run(db, SYSTEM, settings, today=TODAY)
    assert summary.smtp is False and len(summary.created) == 10 and summary.sent == []
    assert summary.pending_total == 10 and {p["key"] for p in summary.pending} == set(summary.created)
    assert jobs.run(db, SYSTEM, settings, today=TODAY).created == []
    with pytest.raises(PermissionDenied):  # only the system runs the jobs, not even the CAIO
        jobs.run(db, actor_of("caio"), settings, today=TODAY)


def test_two_runs_at_once_send_each_notice_once(db, settings, agency, sink):
    """Two hosts (each its own engine and sessions) run the jobs at the same moment, several days in a row:
    every notice reaches the sink exactly once and none is lost."""
    st = _smtp(settings, sink)
    with db.transaction() as s:  # more notices to race for: twenty practices, each overdue
        ucid = s.scalar(select(Practice.use_case_id))
        for i in range(20):
            s.add(Practice(use_case_id=ucid, item=f"extra.{i}", pack="p@1", title=f"extra {i}", citation="c",
                           status="not_started", due_on=d(-1 - i), updated_by="test"))
    hosts = [Database(db.url), Database(db.url)]
    try:
        for day in (TODAY, d(1), d(2)):
            results = run_on_hosts(hosts, st, day)
            created = [k for r in results for k in r.created]
            assert len(created) == len(set(created))  # each row created by one host only
            assert sorted(k for r in results for k in r.sent) == sorted({k for r in results for k in r.sent})
    finally:
        for h in hosts:
            h.dispose()
    keys = sink.keys()
    assert len(keys) == len(set(keys)), "a notice was sent twice"
    with db.transaction() as s:
        sendable = set(s.scalars(select(Notice.key).where(Notice.recipient.not_like("user:%"))))
        assert s.scalar(select(func.count()).select_from(Notice).where(
            Notice.sent_at.is_(None), Notice.recipient.not_like("user:%"))) == 0
    assert set(keys) == sendable and len(keys) == 9 + 3 * 20


def test_cli_run(db, settings, agency, monkeypatch):
    from typer.testing import CliRunner

    from raigov.cli.jobs import app
    from raigov.config import reset_settings
    from raigov.db.engine import reset_databases

    monkeypatch.setenv("RAIGOV_DATABASE_URL", db.url)
    monkeypatch.setenv("RAIGOV_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("RAIGOV_SMTP_HOST", raising=False)
    reset_settings()
    runner = CliRunner()
    try:
        res = runner.invoke(app, ["run", "--today", "2026-11-26", "--dry-run", "--json"])
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout)
        assert out["dry_run"] is True and len(out["created"]) == 10 and out["sent"] == []
        assert out["digest"] == "off" and out["digests"] == []  # RAIGOV_NOTICE_DIGEST unset: one e-mail a notice
        res = runner.invoke(app, ["run", "--today", "2026-11-26"])
        assert res.exit_code == 0, res.output
        assert "created 10" in res.stdout and "kept in the outbox" in res.stdout and "10 unsent" in res.stdout
        res = runner.invoke(app, ["run", "--today", "2026-11-26", "--json"])
        assert json.loads(res.stdout)["created"] == []
        res = runner.invoke(app, ["run", "--today", "26/11/2026"])
        assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
    finally:
        reset_settings()
        reset_databases()
