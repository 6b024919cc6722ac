"""The authorization gate's answer, from a snapshot of a use case's governance state. Pure.

Not authorized while: the use case is retired or has no determination and no screen; a required review
is missing, open, sent back or denied; an approval's condition is overdue; a required practice is
neither done, waived nor not applicable (an active, CAIO-certified pilot exempts the practices until it
ends); a waiver relied on has expired, lapsed its annual certification or was revoked; a pilot relied on
has ended; linked evidence has expired; the risk acceptance is missing or signed an older assessment;
a face-recognition use case's last passed bias test is older than the agency's limit (three years, DHS
Directive 026-11) or missing, or its newest bias test failed a criterion (a failed test never counts as the
bias test on record; the reason names the criterion, its value and its limit); a monitor has an open
high-severity alert, or its next window is overdue (none by the cadence), and then a monitoring practice marked
done no longer counts as done; an incident suspends the use case;
a contract in force that serves it misses an AI contract requirement (acquisition/requirements.yaml: neither met nor waived);
its model takes protected characteristics as inputs (oversight/signals.yaml) that no CRCL-approved justification covers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from raigov.governance.vocab import PilotStatus, PracticeStatus, ReviewStatus, WaiverStatus
from raigov.inventory.vocab import UseCaseStatus

OPEN_REVIEW = {ReviewStatus.OPEN: "is open", ReviewStatus.CHANGES_REQUESTED: "was sent back for changes"}
PRACTICE_MET = {PracticeStatus.DONE, PracticeStatus.WAIVED, PracticeStatus.NOT_APPLICABLE}
LOWER_LIMITS = {"FDR"}  # criteria that fail below their limit (evaluation.report.evaluate_criteria); others above
IMPACT_ASSESSMENT_ITEMS = {"M-25-21.4(b)(ii)"}  # the practice whose completion is the signed risk acceptance
MONITORING_ITEMS = {"M-25-21.4(b)(iii)"}  # ongoing monitoring: done only while every monitor's windows are on time


@dataclass
class ReviewState:
    lane: str
    title: str
    status: str  # missing | open | changes_requested | approved | approved_with_conditions | denied
    overdue_conditions: int = 0


@dataclass
class PracticeState:
    item: str
    title: str
    status: str
    citation: str = ""
    next_step: str = ""  # what moves it on (``practices.states.next_step``), given with its reason


@dataclass
class WaiverState:
    item: str
    status: str  # active | revoked
    expires_on: dt.date
    certified_on: dt.date


@dataclass
class PilotState:
    status: str  # active | ended | revoked
    starts_on: dt.date
    ends_on: dt.date


@dataclass
class EvidenceState:
    id: int
    title: str
    expires_on: dt.date | None


@dataclass
class FailedBiasTest:
    """The newest bias test, when it failed: the evidence, its T&E run and the criteria it failed
    (``[{name, value, limit}]``, as the run judged them)."""

    evidence: int
    run: int | None
    dated_on: dt.date
    failed: list[dict] = field(default_factory=list)


@dataclass
class MonitorState:
    """A monitor of the use case: its name and cadence, the date by which its next window is due (the last
    window's end, or its start, plus the cadence and grace), the last window's end, and each open alert of high
    severity said in words."""

    name: str
    cadence: str
    due_on: dt.date
    last_window: dt.date | None = None
    high_alerts: list[str] = field(default_factory=list)


@dataclass
class SuspensionState:
    incident: int
    title: str
    since: dt.date
    by: str
    reason: str = ""


@dataclass
class ContractGap:
    """An AI contract requirement missing from a contract in force that serves the use case
    (``acquisition.reads.gaps_for_use_case``)."""

    contract: str  # its number
    vendor: str | None
    requirement: str  # its key in acquisition/requirements.yaml
    title: str


@dataclass
class GateInput:
    business_id: str
    status: str  # draft | active | retired
    affirmative: bool | None
    basis: str
    face_recognition: bool
    reviews: list[ReviewState] = field(default_factory=list)
    practices: list[PracticeState] = field(default_factory=list)
    waivers: list[WaiverState] = field(default_factory=list)
    pilots: list[PilotState] = field(default_factory=list)
    evidence: list[EvidenceState] = field(default_factory=list)
    risk_acceptance: str = "not-required"  # not-required | missing | stale | current
    last_bias_test: dt.date | None = None  # the newest bias test that did not fail its criteria
    failed_bias_test: FailedBiasTest | None = None  # the newest bias test, if it failed
    bias_test_max_age_days: int = 1095
    monitors: list[MonitorState] = field(default_factory=list)
    suspensions: list[SuspensionState] = field(default_factory=list)
    contract_gaps: list[ContractGap] = field(default_factory=list)
    protected_unjustified: list[str] = field(default_factory=list)  # declared protected inputs no CRCL approval covers


@dataclass
class GateAnswer:
    authorized: bool
    reasons: list[dict]
    as_of: dt.datetime

    def as_dict(self) -> dict:
        return {"authorized": self.authorized, "reasons": self.reasons,
                "as_of": self.as_of.isoformat().replace("+00:00", "Z")}


def _r(code: str, message: str, **ref) -> dict:
    return {"code": code, "message": message, **ref}


def decide(g: GateInput, now: dt.datetime, today: dt.date | None = None) -> GateAnswer:
    """The answer at ``now``; dates are compared with ``today``, the agency's date at ``now``
    (``raigov.clock.agency_today``; default: the date of ``now`` as given)."""
    today = today or now.date()
    reasons: list[dict] = []
    if g.status == UseCaseStatus.RETIRED:
        reasons.append(_r("retired", f"{g.business_id} is retired"))
    elif g.status == UseCaseStatus.DRAFT:
        reasons.append(_r("draft", f"{g.business_id} is a draft: its owner has not submitted it for review"))
    if g.affirmative is None:
        reasons.append(_r("no_determination", "the impact screen had too little information to run and no official "
                          "has determined the use case" if g.basis == "insufficient information"
                          else "the use case has neither a determination nor a screen"))
    if g.basis == "awaiting CAIO":
        reasons.append(_r("determination_awaiting_caio",
                          "a delegate's determination 'presumed high-impact, but determined not high-impact' waits for "
                          "the Chief AI Officer"))
    for r in g.reviews:
        if r.status == "missing":
            reasons.append(_r("review_missing", f"the {r.title} review has not been opened", lane=r.lane))
        elif r.status in OPEN_REVIEW:
            reasons.append(_r("review_open", f"the {r.title} review {OPEN_REVIEW[r.status]}", lane=r.lane))
        elif r.status == ReviewStatus.DENIED:
            reasons.append(_r("review_denied", f"the {r.title} review denied the use case", lane=r.lane))
        if r.overdue_conditions:
            reasons.append(_r("condition_overdue", f"{r.overdue_conditions} condition(s) of the {r.title} approval "
                              "are past due", lane=r.lane))
    active_pilot = None
    for p in g.pilots:
        if p.status == PilotStatus.ACTIVE and p.starts_on <= today <= p.ends_on:
            active_pilot = p
        elif p.status == PilotStatus.ACTIVE and p.ends_on < today:
            reasons.append(_r("pilot_expired", f"the certified pilot ended on {p.ends_on.isoformat()}"))
    waivers = {w.item: w for w in g.waivers}
    for p in g.practices:
        if p.status == PracticeStatus.WAIVED:
            w = waivers.get(p.item)
            if w is None or w.status != WaiverStatus.ACTIVE:
                reasons.append(_r("waiver_revoked", f"the waiver of {p.item} is no longer in force", practice=p.item))
            elif w.expires_on < today:
                reasons.append(_r("waiver_expired", f"the waiver of {p.item} expired on {w.expires_on.isoformat()}",
                                  practice=p.item))
            elif w.certified_on + dt.timedelta(days=365) < today:
                reasons.append(_r("waiver_not_recertified", f"the waiver of {p.item} was last certified on "
                                  f"{w.certified_on.isoformat()}: the CAIO must certify it every year", practice=p.item))
            continue
        if (lapsed := practice_lapsed(p, g, today)) and active_pilot is None:
            reasons.append(lapsed)
            continue
        if p.status in PRACTICE_MET or active_pilot is not None:
            continue
        reasons.append(_r("practice_not_met", f"{p.item}: “{p.title}” is {p.status.replace('_', ' ')}",
                          practice=p.item, status=p.status, **({"next_step": p.next_step} if p.next_step else {})))
    if g.risk_acceptance == "missing" and active_pilot is None:
        reasons.append(_r("risk_not_accepted", "no signed risk acceptance of the impact assessment"))
    elif g.risk_acceptance == "stale" and active_pilot is None:
        reasons.append(_r("risk_acceptance_stale", "the risk acceptance signed an older version of the impact assessment"))
    for e in g.evidence:
        if e.expires_on is not None and e.expires_on < today:
            reasons.append(_r("evidence_expired", f"evidence '{e.title}' expired on {e.expires_on.isoformat()}",
                              evidence=e.id))
    if g.face_recognition:
        if g.last_bias_test is None:
            reasons.append(_r("bias_test_missing", "face recognition: no bias test on record"
                              + (" that did not fail" if g.failed_bias_test is not None else "")
                              + " (DHS Directive 026-11)"))
        elif (today - g.last_bias_test).days > g.bias_test_max_age_days:
            reasons.append(_r("bias_test_stale", f"face recognition: the last bias test ({g.last_bias_test.isoformat()}) "
                              f"is older than {g.bias_test_max_age_days // 365} years (DHS Directive 026-11)"))
        if g.failed_bias_test is not None:
            reasons.append(failed_bias_reason(g.failed_bias_test))
    reasons += monitoring_reasons(g, today)
    reasons += acquisition_and_input_reasons(g)
    return GateAnswer(not reasons, reasons, now)


def acquisition_and_input_reasons(g: GateInput) -> list[dict]:
    """The reasons from the contracts that serve the use case (a requirement neither met nor waived) and from the
    protected characteristics its model takes as inputs without a CRCL-approved justification."""
    reasons: list[dict] = []
    for c in g.contract_gaps:
        by = f" with {c.vendor}" if c.vendor else ""
        reasons.append(_r("contract_requirement_missing", f"contract {c.contract}{by} lacks the AI contract requirement "
                          f"'{c.title}': record the clause that meets it, or waive it with a reason",
                          contract=c.contract, requirement=c.requirement))
    if g.protected_unjustified:
        reasons.append(_r("protected_characteristics_unjustified", "the model takes protected characteristics as inputs "
                          f"({', '.join(c.replace('_', ' ') for c in g.protected_unjustified)}) without a justification "
                          "approved by CRCL (DHS Directive 139-08)", characteristics=list(g.protected_unjustified)))
    return reasons


def practice_lapsed(p: PracticeState, g: GateInput, today: dt.date) -> dict | None:
    """``monitoring_practice_lapsed``: a monitoring practice marked done counts as done only while no monitor of
    the use case is overdue."""
    late = [m.name for m in g.monitors if m.due_on < today]
    if p.item not in MONITORING_ITEMS or p.status != PracticeStatus.DONE or not late:
        return None
    return _r("monitoring_practice_lapsed", f"{p.item} ({p.title}) counts as done only while windows arrive on time: "
              f"{', '.join(repr(n) for n in late)} overdue", practice=p.item)


def monitoring_reasons(g: GateInput, today: dt.date) -> list[dict]:
    """``suspended`` (an incident suspends the use case), ``monitoring_alert`` (an open high-severity alert)
    and ``monitoring_overdue`` (no window by the cadence)."""
    out = [_r("suspended", f"suspended since {s.since.isoformat()} by {s.by} for incident '{s.title}'"
              + (f" ({s.reason})" if s.reason else "") + ": not authorized until the suspension is lifted",
              incident=s.incident) for s in g.suspensions]
    for m in g.monitors:
        out += [_r("monitoring_alert", f"monitor '{m.name}': open high-severity alert: {a}; a reviewer must close it "
                   "with a note", monitor=m.name) for a in m.high_alerts]
        if m.due_on < today:
            last = f"the last window ended on {m.last_window.isoformat()}" if m.last_window else "no window yet"
            out.append(_r("monitoring_overdue", f"monitor '{m.name}': a {m.cadence} window was due by "
                          f"{m.due_on.isoformat()} ({last})", monitor=m.name))
    return out


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def failed_bias_reason(t: FailedBiasTest) -> dict:
    """``bias_test_failed``: which test (evidence, run, date) and which criteria, value against limit."""
    which = f"run {t.run}" if t.run is not None else f"evidence {t.evidence}"
    crit = "; ".join(f"{c.get('name')} {_num(c.get('value'))} {'<' if str(c.get('name')) in LOWER_LIMITS else '>'} "
                     f"limit {_num(c.get('limit'))}" for c in t.failed) or "a criterion (not recorded)"
    return _r("bias_test_failed", f"face recognition: the newest bias test ({which}, {t.dated_on.isoformat()}) "
              f"failed: {crit}; a failed test does not count as the bias test (DHS Directive 026-11)",
              evidence=t.evidence, run=t.run)
