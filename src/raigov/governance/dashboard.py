"""The governance dashboard's numbers: read-only queries (nothing here writes) that aggregate in the
database (GROUP BY, window functions) and return plain dataclasses, scoped by what the actor may read.

- the inventory: active use cases by current determination (the newest Determination of each), by stage,
  and by component (stacked by determination);
- required minimum practices overdue, by component, and the use cases with the most of them;
- waivers expiring within 60 days or due for their annual re-certification, and OMB reports due;
- the review queues by lane: open items, median and oldest age in days, how many are past lanes.yaml's
  ``review_due_days``, and the oldest items;
- active pilots with their end dates;
- the waiver panel (``waiver_panel``): active waivers, those expiring within 60 days and those past their expiry
  yet still active, with their use case, grounds, expiry and OMB report due; and the pilot panel
  (``pilot_panel``): certified pilots with their end date and days left, and those that ended but are still
  marked as pilots (certified and past their end date, or the use case's stage still says pilot);
- the data call: the newest reporting cycle, components with active use cases against components certified.

Every query takes the same scope: ``None`` (department-wide) or the org units (and the units under them) the
actor may read use cases of, optionally narrowed to ``components`` (a component lead's own units).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from raigov.clock import agency_today
from raigov.datacall.models import ComponentCertification, ReportingCycle
from raigov.db.base import utcnow
from raigov.errors import PermissionDenied
from raigov.governance.lanes import config
from raigov.governance.models import Pilot, Practice, Review, Waiver
from raigov.governance.vocab import REVIEW_UNDECIDED, PilotStatus, PracticeStatus, WaiverStatus
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import Actor
from raigov.inventory.access import READ, Readable, readable
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus
from raigov.policy.models import Determination
from raigov.policy.vocab import DETERMINATION_WORDS, DeterminationStatus

NO_COMPONENT = "(none)"
# the current determination, in the order the charts show it
DETERMINATION_CATEGORIES: list[tuple[str, str]] = [
    ("high-impact", DETERMINATION_WORDS["high-impact"]),
    ("presumed-not-high-impact", DETERMINATION_WORDS["presumed-not-high-impact"]),
    ("not-high-impact", DETERMINATION_WORDS["not-high-impact"]),
    ("m-24-10-impacting", "M-24-10: rights- or safety-impacting"),
    ("m-24-10-neither", "M-24-10: neither"),
    ("none", "No determination yet"),
]
_DECISION_CATEGORY = {
    "high-impact": "high-impact", "presumed-not-high-impact": "presumed-not-high-impact",
    "not-high-impact": "not-high-impact", "rights-impacting": "m-24-10-impacting",
    "safety-impacting": "m-24-10-impacting", "both": "m-24-10-impacting", "neither": "m-24-10-neither",
}
OPEN_REVIEW = REVIEW_UNDECIDED
CLOSED_PRACTICE = (PracticeStatus.DONE, PracticeStatus.WAIVED, PracticeStatus.NOT_APPLICABLE)
WAIVER_WINDOW_DAYS = 60
RECERTIFY_DAYS = 365


# ---------------------------------------------------------------- results


@dataclass
class Count:
    key: str
    label: str
    value: int
    href: str | None = None


@dataclass
class ComponentRow:
    component: str
    total: int
    values: dict[str, int]  # determination category -> count


@dataclass
class Inventory:
    total: int  # active use cases in scope
    drafts: int
    by_determination: list[Count]
    awaiting_caio: int  # of which the newest determination awaits the CAIO
    by_stage: list[Count]
    by_component: list[ComponentRow]


@dataclass
class OverdueUseCase:
    business_id: str
    name: str
    component: str
    overdue: int
    oldest_due: dt.date
    days_overdue: int


@dataclass
class PracticesOverdue:
    total: int  # overdue required practices
    open_required: int  # required practices not done, waived or not applicable
    by_component: list[Count]
    worst: list[OverdueUseCase]


@dataclass
class WaiverRow:
    id: int
    business_id: str
    name: str
    component: str
    practice: str
    status: str
    expires_on: dt.date
    recertify_on: dt.date
    omb_report_due: dt.date | None = None
    days: int = 0  # days until the date the list is about (negative: past it)


@dataclass
class Waivers:
    expiring: list[WaiverRow]  # active, expiring within 60 days (or expired and still active)
    recertification: list[WaiverRow]  # active, certified_on + 365 days within 60 days
    omb_reports: list[WaiverRow]  # granted or revoked, not yet reported to OMB


@dataclass
class LaneQueue:
    lane: str
    title: str
    open: int
    median_days: float | None
    max_days: int | None
    overdue: int
    due_days: int


@dataclass
class QueueItem:
    review_id: int
    business_id: str
    name: str
    component: str
    lane: str
    lane_title: str
    status: str
    age_days: int
    overdue: bool


@dataclass
class Queues:
    due_days: int
    lanes: list[LaneQueue]
    oldest: list[QueueItem]

    @property
    def open(self) -> int:
        return sum(q.open for q in self.lanes)

    @property
    def overdue(self) -> int:
        return sum(q.overdue for q in self.lanes)


@dataclass
class PilotRow:
    id: int
    business_id: str
    name: str
    component: str
    starts_on: dt.date
    ends_on: dt.date
    days_left: int  # negative: past its end date and not yet ended


@dataclass
class DataCallRow:
    component: str
    active_use_cases: int
    certified: bool
    certified_count: int | None = None
    certified_at: dt.datetime | None = None
    certified_by: str | None = None


@dataclass
class DataCall:
    year: int | None
    title: str | None
    due_on: dt.date | None
    status: str | None
    rows: list[DataCallRow] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return sum(1 for r in self.rows if r.active_use_cases)

    @property
    def certified(self) -> int:
        return sum(1 for r in self.rows if r.certified and r.active_use_cases)


# ---------------------------------------------------------------- scope


class _Units:
    """The org units (a small table): each unit's code and the top-level unit it rolls up to."""

    def __init__(self, session: Session):
        rows = session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.kind, OrgUnit.parent_id)).all()
        self.by_id = {r.id: r for r in rows}
        self.top: dict[int, str] = {}
        for r in rows:
            u = r
            while u.parent_id is not None and self.by_id[u.parent_id].kind != "department":
                u = self.by_id[u.parent_id]
            self.top[r.id] = u.code
        self.kind_of_code = {r.code: r.kind for r in rows}

    def component(self, unit_id: int | None) -> str:
        return self.top.get(unit_id, NO_COMPONENT) if unit_id is not None else NO_COMPONENT


@dataclass
class Scope:
    """The dashboard's view of the read scope (``inventory.readable``): its org unit ids (None: department-wide)
    and the components they roll up to."""

    readable: Readable
    units: _Units

    @property
    def unit_ids(self) -> list[int] | None:
        ids = self.readable.unit_ids
        return None if ids is None else sorted(ids)

    @property
    def components(self) -> set[str] | None:
        ids = self.readable.unit_ids
        return None if ids is None else {self.units.component(i) for i in ids}

    def where(self, q: Select) -> Select:
        return q.where(self.readable.where_unit(UseCase.org_unit_id))


def scope_of(session: Session, actor: Actor, components: set[str] | None = None) -> Scope:
    """What `actor` may read use cases of (``inventory.use_case.read``), narrowed to `components` if given."""
    scope = readable(session, actor, READ, drafts=False, own=False)
    if scope.nothing:
        raise PermissionDenied(f"{actor.label} may not read use cases")
    if components is not None:
        scope = scope.narrowed(session, components)
    return Scope(scope, _Units(session))


def _today(today: dt.date | None) -> dt.date:
    return today or agency_today()


# ---------------------------------------------------------------- the inventory


def inventory(session: Session, scope: Scope) -> Inventory:
    """Active use cases by current determination, stage and component; drafts counted apart."""
    # the newest determination: none newer for the same use case (an anti-join on the use case's index; the
    # planner picks it even on tables not yet analysed, where a join to a GROUP BY max(id) subquery can go slow)
    newer = aliased(Determination)
    q = (select(UseCase.org_unit_id, Determination.decision, Determination.status, func.count())
         .select_from(UseCase)
         .outerjoin(Determination, and_(Determination.use_case_id == UseCase.id, ~exists().where(
             newer.use_case_id == Determination.use_case_id, newer.id > Determination.id)))
         .where(UseCase.status == UseCaseStatus.ACTIVE)
         .group_by(UseCase.org_unit_id, Determination.decision, Determination.status))
    per_component: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys((k for k, _ in DETERMINATION_CATEGORIES), 0)
    awaiting = 0
    for unit_id, decision, status, n in session.execute(scope.where(q)):
        cat = _DECISION_CATEGORY.get(decision, "none") if decision else "none"
        comp = per_component.setdefault(scope.units.component(unit_id), dict.fromkeys(totals, 0))
        comp[cat] += n
        totals[cat] += n
        if status == DeterminationStatus.AWAITING_CAIO:
            awaiting += n
    stage_q = (select(UseCase.stage, func.count()).where(UseCase.status == UseCaseStatus.ACTIVE)
               .group_by(UseCase.stage).order_by(func.count().desc(), UseCase.stage))
    stages: dict[str, int] = {}
    for stage, n in session.execute(scope.where(stage_q)):
        label = (stage or "").strip() or "Not stated"
        stages[label] = stages.get(label, 0) + n
    drafts = session.scalar(scope.where(select(func.count()).select_from(UseCase).where(UseCase.status == UseCaseStatus.DRAFT)))
    by_component = sorted((ComponentRow(c, sum(v.values()), v) for c, v in per_component.items()),
                          key=lambda r: (-r.total, r.component))
    return Inventory(
        total=sum(totals.values()), drafts=drafts or 0,
        by_determination=[Count(k, label, totals[k]) for k, label in DETERMINATION_CATEGORIES],
        awaiting_caio=awaiting,
        by_stage=[Count(s, s, n) for s, n in sorted(stages.items(), key=lambda kv: (-kv[1], kv[0]))],
        by_component=by_component)


# ---------------------------------------------------------------- practices


def practices_overdue(session: Session, scope: Scope, today: dt.date | None = None, worst: int = 10) -> PracticesOverdue:
    """Required practices not done, waived or not applicable whose due date has passed."""
    today = _today(today)
    open_required = and_(Practice.required.is_(True), Practice.status.not_in(CLOSED_PRACTICE),
                         UseCase.status != UseCaseStatus.RETIRED)
    overdue = and_(open_required, Practice.due_on < today)
    base = select(func.count()).select_from(Practice).join(UseCase, UseCase.id == Practice.use_case_id)
    n_open = session.scalar(scope.where(base.where(open_required))) or 0
    by_unit = session.execute(scope.where(
        select(UseCase.org_unit_id, func.count()).select_from(Practice).join(UseCase, UseCase.id == Practice.use_case_id)
        .where(overdue).group_by(UseCase.org_unit_id))).all()
    comps: dict[str, int] = {}
    for unit_id, n in by_unit:
        c = scope.units.component(unit_id)
        comps[c] = comps.get(c, 0) + n
    top = session.execute(scope.where(
        select(UseCase.business_id, UseCase.name, UseCase.org_unit_id, func.count().label("n"),
               func.min(Practice.due_on).label("oldest"))
        .select_from(Practice).join(UseCase, UseCase.id == Practice.use_case_id).where(overdue)
        .group_by(UseCase.id, UseCase.business_id, UseCase.name, UseCase.org_unit_id)
        .order_by(func.count().desc(), func.min(Practice.due_on), UseCase.business_id).limit(worst))).all()
    return PracticesOverdue(
        total=sum(comps.values()), open_required=n_open,
        by_component=[Count(c, c, n) for c, n in sorted(comps.items(), key=lambda kv: (-kv[1], kv[0]))],
        worst=[OverdueUseCase(r.business_id, r.name, scope.units.component(r.org_unit_id), r.n, r.oldest,
                              (today - r.oldest).days) for r in top])


# ---------------------------------------------------------------- waivers


def waivers(session: Session, scope: Scope, today: dt.date | None = None, limit: int = 100) -> Waivers:
    today = _today(today)
    horizon = today + dt.timedelta(days=WAIVER_WINDOW_DAYS)
    cols = select(Waiver, UseCase.business_id, UseCase.name, UseCase.org_unit_id).join(
        UseCase, UseCase.id == Waiver.use_case_id)

    def rows(q, day_of) -> list[WaiverRow]:
        out = []
        for w, bid, name, unit_id in session.execute(scope.where(q).limit(limit)):
            recert = w.certified_on + dt.timedelta(days=RECERTIFY_DAYS)
            row = WaiverRow(w.id, bid, name, scope.units.component(unit_id), w.practice_item, w.status, w.expires_on,
                            recert, w.omb_report_due if w.omb_reported_on is None else None)
            row.days = (day_of(row) - today).days
            out.append(row)
        return out

    active = Waiver.status == WaiverStatus.ACTIVE
    expiring = rows(cols.where(active, Waiver.expires_on <= horizon).order_by(Waiver.expires_on, Waiver.id),
                    lambda r: r.expires_on)
    recert = rows(cols.where(active, Waiver.expires_on > today,
                             Waiver.certified_on <= horizon - dt.timedelta(days=RECERTIFY_DAYS))
                  .order_by(Waiver.certified_on, Waiver.id), lambda r: r.recertify_on)
    reports = rows(cols.where(Waiver.omb_reported_on.is_(None)).order_by(Waiver.omb_report_due, Waiver.id),
                   lambda r: r.omb_report_due)
    return Waivers(expiring, recert, reports)


# ---------------------------------------------------------------- review queues


def review_queues(session: Session, scope: Scope, lanes: set[str] | None = None, now: dt.datetime | None = None,
                  oldest: int = 10) -> Queues:
    """Open reviews (open or changes requested) of non-retired use cases, by lane: how many, the median and
    the oldest age in whole days, and how many are older than ``review_due_days``."""
    cfg = config()
    now = now or utcnow()
    due = cfg.review_due_days
    overdue_before = now - dt.timedelta(days=due + 1)  # age in whole days > due  <=>  opened on or before this

    def where(q: Select) -> Select:
        q = q.where(Review.status.in_(OPEN_REVIEW), UseCase.status != UseCaseStatus.RETIRED)
        if lanes is not None:
            q = q.where(Review.lane.in_(sorted(lanes) or ["-"]))
        return scope.where(q)

    agg = session.execute(where(
        select(Review.lane, func.count(), func.min(Review.opened_at),
               func.sum(case((Review.opened_at <= overdue_before, 1), else_=0)))
        .select_from(Review).join(UseCase, UseCase.id == Review.use_case_id).group_by(Review.lane))).all()
    ranked = where(select(Review.lane.label("lane"), Review.opened_at.label("opened_at"),
                          func.row_number().over(partition_by=Review.lane, order_by=(Review.opened_at, Review.id))
                          .label("rn"),
                          func.count().over(partition_by=Review.lane).label("n"))
                   .select_from(Review).join(UseCase, UseCase.id == Review.use_case_id)).subquery()
    middle = session.execute(select(ranked.c.lane, ranked.c.opened_at).where(
        or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2))).all()
    mids: dict[str, list[int]] = {}
    for lane, opened in middle:
        mids.setdefault(lane, []).append((now - opened).days)
    out = []
    for lane, n, first, n_over in agg:
        ages = mids.get(lane, [])
        median = sum(ages) / len(ages) if ages else None
        title = cfg.lanes[lane].title if lane in cfg.lanes else lane
        out.append(LaneQueue(lane, title, n, median, (now - first).days if first else None, int(n_over or 0), due))
    for code in (lanes if lanes is not None else ()):  # the actor's lanes, empty ones too
        if code not in {q.lane for q in out} and code in cfg.lanes:
            out.append(LaneQueue(code, cfg.lanes[code].title, 0, None, None, 0, due))
    order = list(cfg.lanes)
    out.sort(key=lambda q: (order.index(q.lane) if q.lane in order else len(order), q.lane))
    items = session.execute(where(
        select(Review.id, Review.lane, Review.status, Review.opened_at, UseCase.business_id, UseCase.name,
               UseCase.org_unit_id).select_from(Review).join(UseCase, UseCase.id == Review.use_case_id))
        .order_by(Review.opened_at, Review.id).limit(oldest)).all()
    old = []
    for r in items:
        age = (now - r.opened_at).days
        old.append(QueueItem(r.id, r.business_id, r.name, scope.units.component(r.org_unit_id), r.lane,
                             cfg.lanes[r.lane].title if r.lane in cfg.lanes else r.lane, r.status, age, age > due))
    return Queues(due, out, old)


def lanes_of(actor: Actor) -> set[str]:
    """The lanes whose roles the actor holds."""
    return {code for code, ln in config().lanes.items() if set(ln.roles) & actor.roles}


# ---------------------------------------------------------------- pilots


def pilots(session: Session, scope: Scope, today: dt.date | None = None, limit: int = 100) -> list[PilotRow]:
    today = _today(today)
    q = (select(Pilot.id, Pilot.starts_on, Pilot.ends_on, UseCase.business_id, UseCase.name, UseCase.org_unit_id)
         .join(UseCase, UseCase.id == Pilot.use_case_id).where(Pilot.status == PilotStatus.ACTIVE)
         .order_by(Pilot.ends_on, Pilot.id).limit(limit))
    return [PilotRow(r.id, r.business_id, r.name, scope.units.component(r.org_unit_id), r.starts_on, r.ends_on,
                     (r.ends_on - today).days) for r in session.execute(scope.where(q))]


# ---------------------------------------------------------------- the waiver and pilot panels

GROUNDS = {"increases-risk": "Raises overall risk", "impedes-operations": "Impedes critical operations"}


@dataclass
class WaiverPanelRow:
    id: int
    business_id: str
    name: str
    component: str
    practice: str
    grounds: str  # increases-risk | impedes-operations
    grounds_label: str
    expires_on: dt.date
    days_left: int  # until the expiry (negative: past it)
    omb_report_due: dt.date | None  # None once reported to OMB


@dataclass
class WaiverPanel:
    active: list[WaiverPanelRow]  # in force: active and not past the expiry, soonest expiry first
    expiring: list[WaiverPanelRow]  # of those, expiring within 60 days
    expired: list[WaiverPanelRow]  # still active but past the expiry: the gate no longer counts them


def waiver_panel(session: Session, scope: Scope, today: dt.date | None = None, limit: int = 200) -> WaiverPanel:
    """Active waivers in scope: those in force (and those expiring within 60 days), and those past their expiry."""
    today = _today(today)
    horizon = today + dt.timedelta(days=WAIVER_WINDOW_DAYS)
    q = (select(Waiver.id, Waiver.practice_item, Waiver.grounds, Waiver.expires_on, Waiver.omb_report_due,
                Waiver.omb_reported_on, UseCase.business_id, UseCase.name, UseCase.org_unit_id)
         .join(UseCase, UseCase.id == Waiver.use_case_id).where(Waiver.status == WaiverStatus.ACTIVE))

    def rows(cond) -> list[WaiverPanelRow]:
        return [WaiverPanelRow(r.id, r.business_id, r.name, scope.units.component(r.org_unit_id), r.practice_item,
                               r.grounds, GROUNDS.get(r.grounds, r.grounds), r.expires_on, (r.expires_on - today).days,
                               r.omb_report_due if r.omb_reported_on is None else None)
                for r in session.execute(scope.where(q.where(cond)).order_by(Waiver.expires_on, Waiver.id).limit(limit))]

    active = rows(Waiver.expires_on >= today)
    return WaiverPanel(active, [w for w in active if w.expires_on <= horizon], rows(Waiver.expires_on < today))


@dataclass
class PilotPanelRow:
    id: int
    business_id: str
    name: str
    component: str
    stage: str | None
    starts_on: dt.date
    ends_on: dt.date  # for an ended pilot: the day it ended
    days_left: int  # negative: past its end date
    why: str | None = None  # for a pilot that ended but is still marked as one: what still says pilot


@dataclass
class PilotPanel:
    certified: list[PilotPanelRow]  # every pilot the CAIO certified that is not ended, by end date
    ended: list[PilotPanelRow]  # ended, but still marked as a pilot

    @property
    def running(self) -> int:
        return sum(1 for p in self.certified if p.days_left >= 0)


def _is_pilot_stage():
    return func.lower(func.coalesce(UseCase.stage, "")).like("%pilot%")


def pilot_panel(session: Session, scope: Scope, today: dt.date | None = None, limit: int = 200) -> PilotPanel:
    """Certified pilots not yet ended (with days left), and pilots that ended but are still marked as pilots:
    certified and past their end date without being ended, or ended (or revoked) while the use case's stage
    still says pilot and no other pilot of it is active."""
    today = _today(today)
    cols = (Pilot.id, Pilot.starts_on, Pilot.ends_on, UseCase.business_id, UseCase.name, UseCase.org_unit_id,
            UseCase.stage)
    certified = [PilotPanelRow(r.id, r.business_id, r.name, scope.units.component(r.org_unit_id), r.stage, r.starts_on,
                               r.ends_on, (r.ends_on - today).days) for r in session.execute(scope.where(
        select(*cols).join(UseCase, UseCase.id == Pilot.use_case_id).where(Pilot.status == PilotStatus.ACTIVE)
        .order_by(Pilot.ends_on, Pilot.id).limit(limit)))]
    ended = [PilotPanelRow(**{**vars(p), "why": "certified pilot past its end date, not yet ended"})
             for p in certified if p.days_left < 0]
    # the newest pilot of each use case whose stage still says pilot, when none of its pilots is active
    newer = aliased(Pilot)
    active = aliased(Pilot)
    stale = session.execute(scope.where(
        select(*cols, Pilot.ended_at).join(UseCase, UseCase.id == Pilot.use_case_id)
        .where(Pilot.status != PilotStatus.ACTIVE, UseCase.status == UseCaseStatus.ACTIVE, _is_pilot_stage(),
               ~exists().where(newer.use_case_id == Pilot.use_case_id, newer.id > Pilot.id),
               ~exists().where(active.use_case_id == Pilot.use_case_id, active.status == PilotStatus.ACTIVE))
        .order_by(Pilot.ends_on, Pilot.id).limit(limit)))
    for r in stale:  # ended early (revoked, or ended before its date): the day it ended
        ended_on = min(r.ends_on, agency_today(now=r.ended_at)) if r.ended_at is not None else r.ends_on
        ended.append(PilotPanelRow(r.id, r.business_id, r.name, scope.units.component(r.org_unit_id), r.stage,
                                   r.starts_on, ended_on, (ended_on - today).days,
                                   f"the pilot ended; the use case's stage is still {r.stage!r}"))
    ended.sort(key=lambda p: (p.ends_on, p.id))
    return PilotPanel(certified, ended)


# ---------------------------------------------------------------- the data call


def data_call(session: Session, scope: Scope) -> DataCall:
    """The newest reporting cycle: each component with active use cases (or a certification), certified or not."""
    cycle = session.scalars(select(ReportingCycle).order_by(ReportingCycle.year.desc()).limit(1)).first()
    if cycle is None:
        return DataCall(None, None, None, None)
    active: dict[str, int] = {}
    for unit_id, n in session.execute(scope.where(
            select(UseCase.org_unit_id, func.count()).where(UseCase.status == UseCaseStatus.ACTIVE)
            .group_by(UseCase.org_unit_id))):
        c = scope.units.component(unit_id)
        active[c] = active.get(c, 0) + n
    newest = (select(ComponentCertification.component, func.max(ComponentCertification.id).label("id"))
              .where(ComponentCertification.cycle_id == cycle.id).group_by(ComponentCertification.component).subquery())
    certs = {c.component: c for c in session.scalars(
        select(ComponentCertification).join(newest, newest.c.id == ComponentCertification.id))}
    if scope.components is not None:
        certs = {k: v for k, v in certs.items() if k in scope.components}
    rows = []
    for comp in sorted(set(active) | set(certs)):
        if comp == NO_COMPONENT:
            continue
        c = certs.get(comp)
        rows.append(DataCallRow(comp, active.get(comp, 0), c is not None, c.use_case_count if c else None,
                                c.certified_at if c else None, c.certified_by if c else None))
    return DataCall(cycle.year, cycle.title, cycle.due_on, cycle.status, rows)
