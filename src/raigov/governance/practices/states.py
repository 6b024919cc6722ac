"""The state of each practice of a use case: the one reading that the gate counts (``authorization.gate_input``)
and the pages show (``views.governance_view``), with what moves the practice on. Nothing here writes.

A practice the use case requires is read from its stored row; one that is required but not yet opened (a
draft, whose practices are created when it is submitted, or requirements not yet refreshed) is *not started*
for the gate and for the page alike. The service's rule for the next state (``practices.service``):
attaching evidence to a practice, or saving the impact assessment for the impact-assessment practice, moves
it from not started to in progress; it is marked done by hand, and only with evidence attached to it (the
impact assessment: with a current signed risk acceptance); waived only by the CAIO's waiver; not
applicable only with a reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from raigov.governance import gate as G
from raigov.governance.lanes import Requirements
from raigov.governance.models import EvidenceLink, Practice
from raigov.governance.vocab import PracticeStatus
from raigov.inventory.models import UseCase


@dataclass
class PracticeRow:
    """A practice as the gate and the page see it. ``practice`` is the stored row (None: not opened yet)."""

    item: str
    title: str
    citation: str
    timing: str | None
    status: str
    required: bool
    practice: Practice | None
    evidence: int  # pieces of evidence linked to this practice
    next_step: str

    # what the page's table reads of a stored practice
    @property
    def id(self) -> int | None:
        return self.practice.id if self.practice else None

    @property
    def version(self) -> int | None:
        return self.practice.version if self.practice else None

    @property
    def owner(self):
        return self.practice.owner if self.practice else None

    @property
    def due_on(self) -> dt.date | None:
        return self.practice.due_on if self.practice else None

    @property
    def status_reason(self) -> str | None:
        return self.practice.status_reason if self.practice else None

    @property
    def opened(self) -> bool:
        return self.practice is not None

    def gate_state(self) -> G.PracticeState:
        return G.PracticeState(self.item, self.title, self.status, self.citation, self.next_step)


def next_step(item: str, status: str, *, opened: bool, evidence: int, draft: bool) -> str:
    """What moves the practice to its next state, by the service's rule (empty once it is met)."""
    assessment = item in G.IMPACT_ASSESSMENT_ITEMS
    if status == PracticeStatus.NOT_STARTED:
        if not opened:
            return ("Opened when the use case is submitted for review; then attach evidence to it." if draft else
                    "Not opened yet: Refresh requirements opens it; then attach evidence to it.")
        if assessment:
            return "Save the impact assessment to start it."
        return "Attach evidence to this practice to start it (it moves to in progress), then mark it done."
    if status == PracticeStatus.IN_PROGRESS:
        if assessment:
            return ("Mark it done once the risk-accepting official has signed the current impact assessment "
                    "(after the independent review is decided).")
        if evidence:
            return "Its evidence is attached: mark it done."
        return "Attach evidence to this practice, then mark it done."
    return ""


def practice_rows(session: Session, uc: UseCase, req: Requirements, *, with_stored: bool = False) -> list[PracticeRow]:
    """Every practice the use case requires, in the order of the requirements, with its state (stored, or
    not started when not opened yet); with ``with_stored`` (the page), then the stored practices no longer
    required. Two queries: the practices with their owners, and the evidence linked to each."""
    if not req.practices and not with_stored:
        return []
    q = select(Practice).where(Practice.use_case_id == uc.id).order_by(Practice.id)
    stored = {p.item: p for p in session.scalars(q.options(selectinload(Practice.owner)) if with_stored else q)}
    counts = dict(session.execute(
        select(EvidenceLink.practice_id, func.count()).where(EvidenceLink.use_case_id == uc.id,
                                                             EvidenceLink.practice_id.is_not(None))
        .group_by(EvidenceLink.practice_id)).all()) if stored else {}
    draft = uc.status == "draft"

    def row(item, title, citation, timing, required) -> PracticeRow:
        p = stored.get(item)
        status = p.status if p is not None else PracticeStatus.NOT_STARTED
        n = counts.get(p.id, 0) if p is not None else 0
        return PracticeRow(item, title, citation, timing, status, required, p, n,
                           next_step(item, status, opened=p is not None, evidence=n, draft=draft))

    rows = [row(r["item"], r["title"], r["citation"], r.get("timing"), True) for r in req.practices]
    if with_stored:
        wanted = {r["item"] for r in req.practices}
        rows += [row(p.item, p.title, p.citation, p.timing, False) for item, p in stored.items() if item not in wanted]
    return rows
