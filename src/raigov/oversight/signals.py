"""Oversight signals (docs/oversight.md §8): the automation-bias alert and the scale alert, evaluated by the
oversight clock of ``raigov jobs run`` from the daily counts (never by scanning the ledger on a page view), and
the notices they give through the jobs' outbox. The thresholds are data (signals.yaml).

- **automation bias**: over the last ``window_days`` agency days, a high-impact use case's reviewed decisions
  (accepted, modified, overrode) number at least ``min_decisions`` and none was modified or overridden, or the
  Wilson upper bound of the share that was is below ``floor``. The alert opens once, stays open while the counts
  show it, and closes when they no longer do (each change audited and noticed once).
- **refused attempts**: over the last ``window_days`` agency days, a use case's attempts the decision rules refused
  number at least ``min_refused`` and are at least ``min_share`` of its attempts (recorded + refused). Opens and
  closes as automation bias does.
- **scale**: a use case with an authorized scale (subjects per agency day, set at review) and more distinct
  subjects on a day. The daily counts bound the distinct subjects from above, so the ledger is read (by its
  use case and time index, in the job) only for days whose decisions outnumber the scale. One alert per day;
  an alert, not a refusal (improper large-scale monitoring is for people to judge).
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.clock import agency_zone
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.governance.requirements import requirements_of
from raigov.identity.models import OrgUnit, RoleAssignment, User
from raigov.identity.permissions import Actor
from raigov.identity.units import ancestors_map
from raigov.inventory.models import UseCase, UseCasePerson
from raigov.inventory.vocab import UseCaseStatus
from raigov.jobs.clocks import ESCALATION, REMINDER, Directory, DueNotice, Recipient
from raigov.oversight.declared import signal_rules
from raigov.oversight.models import Alert, DailyCount, Decision, UseCaseOversight
from raigov.oversight.vocab import HumanAction, Outcome

AUTOMATION_BIAS, SCALE, REFUSED = "automation_bias", "scale", "refused_attempts"
TITLES = {AUTOMATION_BIAS: "Automation bias", REFUSED: "Refused attempts", SCALE: "Scale exceeded"}
OPEN, CLOSED = "open", "closed"
NOTICE_DAYS = 7  # an alert's change is offered to the outbox for this many days (the outbox keeps it once)


def rules() -> dict:
    """signals.yaml, parsed (read once, by declared.py, which the gate imports)."""
    return signal_rules()


def wilson_upper(k: int, n: int, z: float) -> float:
    """The upper bound of the Wilson score interval of k successes in n trials (n > 0)."""
    p = k / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return min(1.0, (centre + margin) / (1 + z2 / n))


def automation_bias(by_action: dict[str, int], rule: dict | None = None) -> dict | None:
    """The figures of an automation-bias signal from the recorded decisions of a window by human action, or None
    when it does not hold (too few reviewed decisions, or interventions enough). Pure."""
    rule = rule or rules()["automation_bias"]
    reviewed = sum(n for a, n in by_action.items() if a != HumanAction.NONE)
    if reviewed < int(rule["min_decisions"]):
        return None
    k = sum(by_action.get(a, 0) for a in rule["interventions"])
    upper = wilson_upper(k, reviewed, float(rule["wilson_z"]))
    if k and upper >= float(rule["floor"]):
        return None
    return {"reviewed": reviewed, "interventions": k, "accepted": by_action.get(HumanAction.ACCEPTED, 0),
            "wilson_upper": round(upper, 6), "floor": float(rule["floor"]), "min_decisions": int(rule["min_decisions"]),
            "window_days": int(rule["window_days"])}


def refused_attempts(by_outcome: dict[str, int], rule: dict | None = None) -> dict | None:
    """The figures of a refused-attempts signal from the attempts of a window by outcome (recorded, refused), or
    None when it does not hold (fewer refusals than ``min_refused`` or a smaller share than ``min_share``). Pure."""
    rule = rule or rules()["refused_attempts"]
    refused = int(by_outcome.get(Outcome.REFUSED, 0))
    attempts = refused + int(by_outcome.get(Outcome.RECORDED, 0))
    if refused < int(rule["min_refused"]) or refused / attempts < float(rule["min_share"]):
        return None
    return {"refused": refused, "attempts": attempts, "share": round(refused / attempts, 6),
            "min_refused": int(rule["min_refused"]), "min_share": float(rule["min_share"]),
            "window_days": int(rule["window_days"])}


def _window_outcomes(session: Session, since: dt.date, until: dt.date) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for uc_id, outcome, n in session.execute(
            select(DailyCount.use_case_id, DailyCount.outcome, func.sum(DailyCount.count))
            .where(DailyCount.day >= since, DailyCount.day <= until)
            .group_by(DailyCount.use_case_id, DailyCount.outcome)):
        out.setdefault(uc_id, {})[outcome] = int(n)
    return out


def _window_actions(session: Session, since: dt.date, until: dt.date) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for uc_id, action, n in session.execute(
            select(DailyCount.use_case_id, DailyCount.human_action, func.sum(DailyCount.count))
            .where(DailyCount.day >= since, DailyCount.day <= until, DailyCount.outcome == Outcome.RECORDED)
            .group_by(DailyCount.use_case_id, DailyCount.human_action)):
        out.setdefault(uc_id, {})[action] = int(n)
    return out


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which the agency day starts and the next begins."""
    zone = agency_zone()
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def distinct_subjects(session: Session, use_case_id: int, day: dt.date) -> int:
    start, end = _day_bounds(day)
    return session.scalar(select(func.count(distinct(Decision.subject))).where(
        Decision.use_case_id == use_case_id, Decision.decided_at >= start, Decision.decided_at < end)) or 0


def _open(session: Session, actor: Actor, uc: UseCase, kind: str, day: dt.date, details: dict, now: dt.datetime) -> Alert:
    a = Alert(use_case_id=uc.id, kind=kind, day=day, status=OPEN, details=details, opened_at=now)
    session.add(a)
    session.flush()
    state = {"use_case": uc.business_id, "kind": kind, "day": day.isoformat(), "status": OPEN}
    record(session, actor, "oversight.alert.open", "oversight_alert", str(a.id), state, {**state, **details})
    return a


def evaluate(session: Session, today: dt.date, actor: Actor | None = None, now: dt.datetime | None = None) -> list[Alert]:
    """Open and close alerts as the counts say on `today`; returns the alerts that changed."""
    actor = actor or Actor.system("jobs")
    now = now or utcnow()
    ab = rules()["automation_bias"]
    actions = _window_actions(session, today - dt.timedelta(days=int(ab["window_days"]) - 1), today)

    def bias(uc: UseCase) -> dict | None:
        figures = automation_bias(actions.get(uc.id, {}), ab)
        if figures is not None and ab.get("applies_to") == "high_impact" and uc.status != UseCaseStatus.RETIRED:
            figures = figures if requirements_of(session, uc).affirmative else None
        return figures

    ra = rules()["refused_attempts"]
    outcomes = _window_outcomes(session, today - dt.timedelta(days=int(ra["window_days"]) - 1), today)
    changed = _states(session, actor, AUTOMATION_BIAS, set(actions), bias, lambda uc_id: actions.get(uc_id, {}),
                      today, now)
    changed += _states(session, actor, REFUSED, set(outcomes), lambda uc: refused_attempts(outcomes.get(uc.id, {}), ra),
                       lambda uc_id: outcomes.get(uc_id, {}), today, now)
    return changed + _scale(session, actor, today, now)


def _states(session: Session, actor: Actor, kind: str, counted: set[int], figures_of, close_figures,
            today: dt.date, now: dt.datetime) -> list[Alert]:
    """One state signal (`kind`) over the use cases with counts in its window and those with an open alert of it:
    open an alert where `figures_of(use case)` holds and none is open (once a day at most), close the open one
    where it no longer holds (its details: `close_figures(use case id)`). Returns the alerts that changed."""
    changed: list[Alert] = []
    open_now = {a.use_case_id: a for a in session.scalars(select(Alert).where(Alert.kind == kind,
                                                                              Alert.status == OPEN))}
    for uc_id in sorted(counted | set(open_now)):
        uc = session.get(UseCase, uc_id)
        figures = figures_of(uc)
        if figures is not None and uc_id not in open_now:
            if session.scalar(select(Alert.id).where(Alert.use_case_id == uc_id, Alert.kind == kind,
                                                     Alert.day == today)) is None:  # one opening a day at most
                changed.append(_open(session, actor, uc, kind, today, figures, now))
        elif figures is None and uc_id in open_now:
            a = open_now[uc_id]
            a.status, a.closed_at = CLOSED, now
            state = {"use_case": uc.business_id, "kind": kind, "day": a.day.isoformat(), "status": CLOSED}
            record(session, actor, "oversight.alert.close", "oversight_alert", str(a.id), state,
                   {**state, "figures": close_figures(uc_id)})
            changed.append(a)
    return changed


def _scale(session: Session, actor: Actor, today: dt.date, now: dt.datetime) -> list[Alert]:
    since = today - dt.timedelta(days=int(rules()["scale"]["lookback_days"]) - 1)
    scales = dict(session.execute(select(UseCaseOversight.use_case_id, UseCaseOversight.authorized_scale)
                                  .where(UseCaseOversight.authorized_scale.is_not(None))).all())
    if not scales:
        return []
    out = []
    for uc_id, day, n in session.execute(
            select(DailyCount.use_case_id, DailyCount.day, func.sum(DailyCount.count))
            .where(DailyCount.use_case_id.in_(list(scales)), DailyCount.day >= since, DailyCount.day <= today,
                   DailyCount.outcome == Outcome.RECORDED)
            .group_by(DailyCount.use_case_id, DailyCount.day).order_by(DailyCount.use_case_id, DailyCount.day)).all():
        if int(n) <= scales[uc_id]:
            continue  # no more decisions than the scale: no more subjects either
        if session.scalar(select(Alert.id).where(Alert.use_case_id == uc_id, Alert.kind == SCALE, Alert.day == day)):
            continue
        subjects = distinct_subjects(session, uc_id, day)
        if subjects > scales[uc_id]:
            out.append(_open(session, actor, session.get(UseCase, uc_id), SCALE, day,
                             {"subjects": subjects, "authorized_scale": scales[uc_id], "decisions": int(n)}, now))
    return out


def words(a: Alert) -> str:
    """What an alert says, in a sentence."""
    d = a.details
    if a.kind == AUTOMATION_BIAS:
        return (f"possible automation bias: {d.get('interventions', 0)} of {d.get('reviewed', 0)} reviewed decisions "
                f"in {d.get('window_days')} days were modified or overridden (Wilson upper bound "
                f"{d.get('wilson_upper')}, floor {d.get('floor')})")
    if a.kind == REFUSED:
        return (f"refused attempts: {d.get('refused', 0)} of {d.get('attempts', 0)} attempts to record a decision in "
                f"{d.get('window_days')} days were refused by the decision rules ({d.get('share', 0):.1%}; the signal "
                f"needs at least {d.get('min_refused')} and {d.get('min_share', 0):.1%})")
    return (f"scale exceeded on {a.day.isoformat()}: {d.get('subjects')} distinct subjects against an authorized "
            f"scale of {d.get('authorized_scale')} a day")


def _directory(session: Session) -> Directory:
    grants = tuple((u, role, code) for u, role, code in session.execute(
        select(User.username, RoleAssignment.role, OrgUnit.code)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .outerjoin(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(User.is_active)))
    return Directory(grants, ancestors_map(session))


def due(session: Session, today: dt.date, settings: Settings) -> list[DueNotice]:
    """The oversight clock: evaluate the signals, then one notice per alert opened or closed in the last
    NOTICE_DAYS days, to the use case's owners and the component's AI lead(s) (the CAIO when nobody else). A dry
    run (``raigov jobs run --dry-run``) writes nothing: it evaluates no signal and lists the stored alerts' notices."""
    if not session.info.get("raigov.jobs.dry_run"):
        evaluate(session, today)
    recent = utcnow() - dt.timedelta(days=NOTICE_DAYS)
    alerts = session.scalars(select(Alert).where((Alert.opened_at >= recent) | (Alert.closed_at >= recent))
                             .order_by(Alert.id)).all()
    if not alerts:
        return []
    directory = _directory(session)
    base = settings.base_url.rstrip("/")
    out = []
    for a in alerts:
        uc = session.get(UseCase, a.use_case_id)
        comp = uc.org_unit.code if uc.org_unit is not None and uc.org_unit.kind != "department" else None
        owners = session.scalars(select(User.username).join(UseCasePerson, UseCasePerson.user_id == User.id)
                                 .where(UseCasePerson.use_case_id == uc.id, UseCasePerson.role == "owner")).all()
        names = [(u, "owner") for u in sorted(owners)] + [(u, "component_ai_lead") for u in directory.leads(comp)]
        if not names:
            names = [(u, "caio") for u in directory.caio()]
        seen: set[str] = set()
        to = tuple(Recipient(u, r) for u, r in names if not (u in seen or seen.add(u)))
        if not to:
            continue
        events = [("opened", a.opened_at)] + ([("closed", a.closed_at)] if a.closed_at is not None else [])
        for event, at in events:
            if at < recent:
                continue
            subject = f"[raigov] {uc.business_id}: oversight alert {event}: {a.kind.replace('_', ' ')}"
            after = " The counts no longer show it." if event == "closed" else ""
            body = f"{uc.name} ({uc.business_id}): {words(a)}.{after}\n{base}/oversight/use-cases/{uc.business_id}\n"
            out.append(DueNotice(f"oversight_alert:{a.id}:{event}", f"oversight_{a.kind}",
                                 ESCALATION if event == "opened" else REMINDER, to, subject, body, "oversight_alert",
                                 str(a.id), a.day))
    return out


def alert_objects():
    return select(Alert.id.label("object_id"), Alert.use_case_id.label("use_case_id"))


def alerts_of(session: Session, use_case_ids: list[int] | None = None, *, open_only: bool = False,
              limit: int = 50) -> list[dict]:
    """Alerts (newest first) of the given use cases (None: all), as pages show them."""
    q = select(Alert, UseCase.business_id, UseCase.name).join(UseCase, UseCase.id == Alert.use_case_id)
    if use_case_ids is not None:
        q = q.where(Alert.use_case_id.in_(use_case_ids))
    if open_only:
        q = q.where(Alert.status == OPEN)
    return [_view(a, bid, name) for a, bid, name in session.execute(q.order_by(Alert.id.desc()).limit(limit))]


def alert_view(session: Session, alert_id: int) -> dict | None:
    """One alert as `alerts_of` gives it (None when there is no such alert), for other domains to read."""
    found = session.execute(select(Alert, UseCase.business_id, UseCase.name)
                            .join(UseCase, UseCase.id == Alert.use_case_id).where(Alert.id == alert_id)).first()
    if found is None:
        return None
    return _view(*found)


def _view(a: Alert, bid: str, name: str) -> dict:
    return {"id": a.id, "use_case": bid, "name": name, "kind": a.kind, "title": TITLES.get(a.kind, a.kind), "day": a.day,
            "status": a.status, "opened_at": a.opened_at, "closed_at": a.closed_at, "details": a.details,
            "words": words(a)}
