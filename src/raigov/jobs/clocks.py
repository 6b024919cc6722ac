"""The clocks of governance: from plain rows and a `today`, the notices that are due. Pure: no session,
no I/O; `raigov.jobs.service` reads the rows and keeps the outbox.

Each clock event gives one notice with a deterministic key naming the object, the event and the date it
is about (``practice:123:overdue:2026-12-01``): running the jobs again the same day, the next day or on
another host finds the same key and creates nothing new; a new due date is a new event.

Clocks (windows in days; the rest from ``lanes.yaml``):

===================  ======================================  =============================================
clock                reminder (to whom)                      escalation (when past; to whom)
===================  ======================================  =============================================
practice             due within 14: practice owner, else     overdue: the owner(s), the component AI lead(s)
                     the use case's owners                   and the CAIO
evidence             expiring within ``evidence_warning_     expired: the evidence owner, the component AI
                     days``: the evidence owner              lead(s) of every linked use case, the CAIO
waiver certification certified_on + 365 within 30: CAIO      past: CAIO and CAIO delegates
waiver OMB report    omb_report_due within 7, not reported:  past, not reported: CAIO and CAIO delegates
                     CAIO and CAIO delegates
face-recognition     last bias test + ``bias_test_max_age_   past: the owners, the component AI lead(s),
re-test              days`` within 90: the use case owners   the CAIO
review               (none)                                  open longer than ``review_due_days``: the
                                                             lane's reviewers (the assignee, if assigned)
                                                             and the CAIO
annual inventory     open cycle due within 14: the AI        past: the AI lead(s) of each uncertified
                     lead(s) of each uncertified component   component and the CAIO
===================  ======================================  =============================================

Whoever a reminder is for, when nobody holds that role it goes one step up (the component AI lead, then
the CAIO), so that no notice is addressed to nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from textwrap import shorten

from raigov.governance.lanes import GovernanceConfig
from raigov.governance.vocab import ConditionStatus, PracticeStatus, ReviewStatus, WaiverStatus

REMINDER, ESCALATION = "reminder", "escalation"
PRACTICE_WARNING_DAYS = 14
WAIVER_CERTIFICATION_DAYS = 365
WAIVER_CERTIFICATION_WARNING_DAYS = 30
OMB_REPORT_WARNING_DAYS = 7
RETEST_WARNING_DAYS = 90
CYCLE_WARNING_DAYS = 14
PRACTICE_OPEN = (PracticeStatus.NOT_STARTED, PracticeStatus.IN_PROGRESS)  # not done, waived or not applicable


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Directory:
    """Who holds which role where: (username, role, org unit code or None for department-wide) of active
    users, and each org unit's chain of units above it (itself first)."""

    grants: tuple[tuple[str, str, str | None], ...] = ()
    ancestors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def holders(self, roles: Iterable[str], component: str | None = None, scope: str = "department") -> list[str]:
        """Users holding one of `roles` department-wide, or (scope "component") for `component` or a unit
        above it. Sorted, each once."""
        roles = set(roles)
        chain = set(self.ancestors.get(component, (component,))) if component else set()
        out = {u for u, r, unit in self.grants
               if r in roles and (unit is None or (scope == "component" and unit in chain))}
        return sorted(out)

    def leads(self, component: str | None) -> list[str]:
        return self.holders(("component_ai_lead",), component, "component") if component else []

    def caio(self) -> list[str]:
        return self.holders(("caio",))

    def caio_office(self) -> list[str]:
        return self.holders(("caio", "caio_delegate"))


@dataclass(frozen=True)
class UseCaseInfo:
    id: int
    business_id: str
    name: str
    component: str | None
    owners: tuple[str, ...] = ()
    team: tuple[str, ...] = ()  # owners and developers: they never review their own use case
    face_recognition: bool = False
    last_bias_test: dt.date | None = None  # dated_on of the newest linked `bias_test` evidence


@dataclass(frozen=True)
class PracticeInfo:
    id: int
    use_case_id: int
    item: str
    title: str
    citation: str
    status: str
    required: bool
    due_on: dt.date | None
    owner: str | None = None


@dataclass(frozen=True)
class EvidenceInfo:
    id: int
    title: str
    category: str
    expires_on: dt.date | None
    owner: str | None
    use_case_ids: tuple[int, ...]


@dataclass(frozen=True)
class WaiverInfo:
    id: int
    use_case_id: int
    practice_item: str
    status: str
    certified_on: dt.date
    expires_on: dt.date
    omb_report_due: dt.date
    omb_reported_on: dt.date | None


@dataclass(frozen=True)
class ReviewInfo:
    id: int
    use_case_id: int
    lane: str
    status: str
    opened_on: dt.date
    assignee: str | None = None


@dataclass(frozen=True)
class CycleInfo:
    id: int
    year: int
    title: str
    due_on: dt.date
    status: str
    certified: frozenset[str] = frozenset()  # components with a certification for this cycle


@dataclass
class Snapshot:
    """Everything the clocks read. `use_cases` holds the use cases that count (not retired);
    `components` the components expected to certify the annual inventory."""

    use_cases: dict[int, UseCaseInfo] = field(default_factory=dict)
    practices: list[PracticeInfo] = field(default_factory=list)
    evidence: list[EvidenceInfo] = field(default_factory=list)
    waivers: list[WaiverInfo] = field(default_factory=list)
    reviews: list[ReviewInfo] = field(default_factory=list)
    cycles: list[CycleInfo] = field(default_factory=list)
    components: tuple[str, ...] = ()
    directory: Directory = field(default_factory=Directory)


# ---------------------------------------------------------------- output


@dataclass(frozen=True)
class Recipient:
    username: str
    role: str  # why they receive it: owner, component_ai_lead, caio, caio_delegate, reviewer:<lane>, ...


@dataclass(frozen=True)
class DueNotice:
    key: str
    kind: str
    level: str  # reminder | escalation
    recipients: tuple[Recipient, ...]
    subject: str
    body: str
    object_type: str
    object_id: str
    due_on: dt.date

    def as_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "level": self.level,
                "recipients": [{"username": r.username, "role": r.role} for r in self.recipients],
                "subject": self.subject, "object": f"{self.object_type}:{self.object_id}",
                "due_on": self.due_on.isoformat()}


class _To:
    """An ordered set of recipients: the first reason a user is named is kept."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def add(self, users: Iterable[str], role: str) -> _To:
        for u in users:
            if u and u not in self.items:
                self.items[u] = role
        return self

    def __bool__(self) -> bool:
        return bool(self.items)

    def tuple(self) -> tuple[Recipient, ...]:
        return tuple(Recipient(u, r) for u, r in self.items.items())


def _days(n: int) -> str:
    return "1 day" if abs(n) == 1 else f"{abs(n)} days"


def _when(due: dt.date, today: dt.date) -> str:
    d = (due - today).days
    if d > 0:
        return f"due on {due.isoformat()} (in {_days(d)})"
    if d == 0:
        return f"due today ({due.isoformat()})"
    return f"overdue since {due.isoformat()} ({_days(d)} ago)"


class _Builder:
    def __init__(self, snap: Snapshot, cfg: GovernanceConfig, today: dt.date, base_url: str):
        self.snap, self.cfg, self.today, self.base_url = snap, cfg, today, base_url.rstrip("/")
        self.d = snap.directory
        self.out: list[DueNotice] = []

    def link(self, uc: UseCaseInfo | None) -> str:
        if uc is None:
            return self.base_url or ""
        return f"{self.base_url}/inventory/{uc.business_id}/governance"

    def up(self, to: _To, component: str | None) -> _To:
        """Nobody to tell: one step up (the component AI lead, then the CAIO)."""
        if not to:
            to.add(self.d.leads(component), "component_ai_lead")
        if not to:
            to.add(self.d.caio(), "caio")
        return to

    def escalate(self, to: _To, components: Iterable[str | None]) -> _To:
        for c in components:
            to.add(self.d.leads(c), "component_ai_lead")
        return to.add(self.d.caio(), "caio")

    def emit(self, *, obj: str, oid: str | int, event: str, kind: str, level: str, to: _To, due: dt.date,
             subject: str, lines: list[str]) -> None:
        if not to:
            return
        tag = "[raigov] " + ("ESCALATION: " if level == ESCALATION else "")
        body = "\n".join([*lines, "", f"This is an automatic {level} from raigov ({kind}).",
                          ("It is sent once for this event; the next one comes only if the date changes or "
                          "a further deadline passes.")])
        self.out.append(DueNotice(f"{obj}:{oid}:{event}:{due.isoformat()}", kind, level, to.tuple(), tag + subject,
                                  body + "\n", obj, str(oid), due))

    # -------------------------------------------------------- the clocks

    def practices(self) -> None:
        for p in self.snap.practices:
            uc = self.snap.use_cases.get(p.use_case_id)
            if uc is None or not p.required or p.status not in PRACTICE_OPEN or p.due_on is None:
                continue
            days = (p.due_on - self.today).days
            if days > PRACTICE_WARNING_DAYS:
                continue
            owners = _To().add([p.owner] if p.owner else uc.owners, "owner")
            lines = [f"Use case {uc.business_id}: {uc.name}",
                     f"Minimum practice {p.item}: {p.title} ({p.citation})",
                     f"Status: {p.status.replace('_', ' ')}; {_when(p.due_on, self.today)}.",
                     "Record it as done with its evidence, or ask the CAIO about a waiver.",
                     self.link(uc)]
            if days >= 0:
                self.emit(obj="practice", oid=p.id, event="soon", kind="practice_due", level=REMINDER,
                          to=self.up(owners, uc.component), due=p.due_on,
                          subject=f"{uc.business_id}: practice {p.item} due on {p.due_on.isoformat()}", lines=lines)
            else:
                self.emit(obj="practice", oid=p.id, event="overdue", kind="practice_due", level=ESCALATION,
                          to=self.escalate(owners, [uc.component]), due=p.due_on,
                          subject=f"{uc.business_id}: practice {p.item} overdue since {p.due_on.isoformat()}",
                          lines=lines)

    def evidence(self) -> None:
        warn = self.cfg.evidence_warning_days
        for e in self.snap.evidence:
            ucs = [self.snap.use_cases[i] for i in sorted(set(e.use_case_ids)) if i in self.snap.use_cases]
            if not ucs or e.expires_on is None:
                continue
            days = (e.expires_on - self.today).days
            if days > warn:
                continue
            owner = _To().add([e.owner] if e.owner else [], "evidence_owner")
            if not owner:
                for uc in ucs:
                    owner.add(uc.owners, "owner")
            used = ", ".join(uc.business_id for uc in ucs)
            short = shorten(e.title, 80, placeholder="…")  # at a word, never mid-word
            lines = [f"Evidence {e.id}: {e.title} ({e.category.replace('_', ' ')})",
                     f"Supports: {used}",
                     ("Expires" if days >= 0 else "Expired") + f" on {e.expires_on.isoformat()}.",
                     "Attach a current version and link it to the use cases it supports.",
                     self.link(ucs[0])]
            if days >= 0:
                self.emit(obj="evidence", oid=e.id, event="expiring", kind="evidence_expiry", level=REMINDER,
                          to=self.up(owner, ucs[0].component), due=e.expires_on,
                          subject=f"Evidence '{short}' expires on {e.expires_on.isoformat()}", lines=lines)
            else:
                self.emit(obj="evidence", oid=e.id, event="expired", kind="evidence_expiry", level=ESCALATION,
                          to=self.escalate(owner, [uc.component for uc in ucs]), due=e.expires_on,
                          subject=f"Evidence '{short}' expired on {e.expires_on.isoformat()} ({used})",
                          lines=lines)

    def waivers(self) -> None:
        for w in self.snap.waivers:
            uc = self.snap.use_cases.get(w.use_case_id)
            bid = uc.business_id if uc else f"use case {w.use_case_id}"
            what = f"waiver {w.id} of {w.practice_item} for {bid}"
            # the CAIO's annual certification of ongoing validity (not needed if the waiver ends first)
            due = w.certified_on + dt.timedelta(days=WAIVER_CERTIFICATION_DAYS)
            days = (due - self.today).days
            if w.status == WaiverStatus.ACTIVE and due < w.expires_on and days <= WAIVER_CERTIFICATION_WARNING_DAYS:
                lines = [f"The CAIO certifies {what} every year (last certified {w.certified_on.isoformat()}).",
                         f"Certification {_when(due, self.today)}; the waiver expires on {w.expires_on.isoformat()}.",
                         "Certify it, or revoke it (M-25-21 App. §4(a)(ii)).", self.link(uc)]
                if days >= 0:
                    self.emit(obj="waiver", oid=w.id, event="certify-soon", kind="waiver_certification",
                              level=REMINDER, to=_To().add(self.d.caio(), "caio"), due=due,
                              subject=f"{bid}: waiver {w.id} needs its annual certification by {due.isoformat()}",
                              lines=lines)
                else:
                    to = _To().add(self.d.caio(), "caio").add(self.d.holders(("caio_delegate",)), "caio_delegate")
                    self.emit(obj="waiver", oid=w.id, event="certify-overdue", kind="waiver_certification",
                              level=ESCALATION, to=to, due=due,
                              subject=f"{bid}: waiver {w.id} annual certification overdue since {due.isoformat()}",
                              lines=lines)
            # the report to OMB within 30 days of a grant or revocation
            if w.omb_reported_on is None:
                due = w.omb_report_due
                days = (due - self.today).days
                if days <= OMB_REPORT_WARNING_DAYS:
                    event = "granted" if w.status == WaiverStatus.ACTIVE else w.status
                    to = _To().add(self.d.caio(), "caio").add(self.d.holders(("caio_delegate",)), "caio_delegate")
                    lines = [(f"The {'grant' if event == 'granted' else 'revocation'} of {what} must be reported "
                             f"to OMB within 30 days: {_when(due, self.today)}."),
                             "Report it, then record the report date in raigov.", self.link(uc)]
                    level = REMINDER if days >= 0 else ESCALATION
                    self.emit(obj="waiver", oid=w.id, event="omb-report-" + ("soon" if days >= 0 else "overdue"),
                              kind="waiver_omb_report", level=level, to=to, due=due,
                              subject=f"{bid}: report waiver {w.id} ({event}) to OMB "
                                      + (f"by {due.isoformat()}" if days >= 0 else f"(overdue since {due.isoformat()})"),
                              lines=lines)

    def retests(self) -> None:
        age = self.cfg.bias_test_max_age_days
        for uc in self.snap.use_cases.values():
            if not uc.face_recognition or uc.last_bias_test is None:
                continue
            due = uc.last_bias_test + dt.timedelta(days=age)
            days = (due - self.today).days
            if days > RETEST_WARNING_DAYS:
                continue
            owners = _To().add(uc.owners, "owner")
            lines = [f"Use case {uc.business_id}: {uc.name} (face recognition / face capture)",
                     (f"Its newest bias test is dated {uc.last_bias_test.isoformat()}; DHS Directive 026-11 asks "
                     f"for one no older than {age} days: a new test is {_when(due, self.today)}."),
                     "Attach the new bias test as `bias_test` evidence.", self.link(uc)]
            if days >= 0:
                self.emit(obj="use_case", oid=uc.id, event="retest-soon", kind="bias_retest", level=REMINDER,
                          to=self.up(owners, uc.component), due=due,
                          subject=f"{uc.business_id}: face-recognition bias re-test due by {due.isoformat()}",
                          lines=lines)
            else:
                self.emit(obj="use_case", oid=uc.id, event="retest-overdue", kind="bias_retest", level=ESCALATION,
                          to=self.escalate(owners, [uc.component]), due=due,
                          subject=f"{uc.business_id}: face-recognition bias re-test overdue since {due.isoformat()}",
                          lines=lines)

    def reviews(self) -> None:
        for r in self.snap.reviews:
            uc = self.snap.use_cases.get(r.use_case_id)
            if uc is None or r.status != ReviewStatus.OPEN:
                continue
            due = r.opened_on + dt.timedelta(days=self.cfg.review_due_days)
            if due >= self.today:
                continue
            lane = self.cfg.lanes.get(r.lane)
            title = lane.title if lane else r.lane
            to = _To()
            if r.assignee:
                to.add([r.assignee], "assignee")
            elif lane is not None:
                team = set(uc.team)
                to.add([u for u in self.d.holders(lane.roles, uc.component, lane.scope) if u not in team],
                       f"reviewer:{r.lane}")
            to.add(self.d.caio(), "caio")
            self.emit(obj="review", oid=r.id, event="overdue", kind="review_overdue", level=ESCALATION, to=to, due=due,
                      subject=f"{uc.business_id}: {title} review open since {r.opened_on.isoformat()} "
                              f"(over {self.cfg.review_due_days} days)",
                      lines=[f"Use case {uc.business_id}: {uc.name}",
                             (f"The {title} review opened on {r.opened_on.isoformat()} and is still open; reviews "
                             f"are due within {self.cfg.review_due_days} days ({_when(due, self.today)})."),
                             "Decide it, request changes, or assign it.", self.link(uc)])

    def cycles(self) -> None:
        for c in self.snap.cycles:
            if c.status != ConditionStatus.OPEN:
                continue
            days = (c.due_on - self.today).days
            if days > CYCLE_WARNING_DAYS:
                continue
            for comp in sorted(set(self.snap.components) - set(c.certified)):
                to = _To().add(self.d.leads(comp), "component_ai_lead")
                lines = [f"{c.title}: the annual AI use case inventory of {comp} is not certified yet.",
                         f"Certification {_when(c.due_on, self.today)}.",
                         f"The component AI lead reviews {comp}'s use cases, explains any open checks and certifies.",
                         self.base_url]
                if days >= 0:
                    self.emit(obj="cycle", oid=f"{c.id}:{comp}", event="soon", kind="datacall_certification",
                              level=REMINDER, to=self.up(to, None), due=c.due_on,
                              subject=f"{c.year} AI inventory: certify {comp} by {c.due_on.isoformat()}", lines=lines)
                else:
                    self.emit(obj="cycle", oid=f"{c.id}:{comp}", event="overdue", kind="datacall_certification",
                              level=ESCALATION, to=to.add(self.d.caio(), "caio"), due=c.due_on,
                              subject=f"{c.year} AI inventory: {comp} not certified, due {c.due_on.isoformat()}",
                              lines=lines)


def compute(snap: Snapshot, cfg: GovernanceConfig, today: dt.date, base_url: str = "") -> list[DueNotice]:
    """Every notice due on `today`, sorted by key. The same inputs always give the same notices."""
    b = _Builder(snap, cfg, today, base_url)
    b.practices()
    b.evidence()
    b.waivers()
    b.retests()
    b.reviews()
    b.cycles()
    return sorted(b.out, key=lambda n: n.key)
