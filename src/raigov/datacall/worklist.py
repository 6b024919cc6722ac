"""A component lead's work before certifying: the failing reporting checks grouped by kind (``check_groups``),
one answer set for many use cases at once (``fix_checks``: a new revision per use case through the inventory
service) and one explanation saved for a chosen set of checks of a kind (``explain_checks``). Every message
names use cases by id and fields by their plain name (``raigov.datacall.kinds``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.datacall.cycles import (
    ComponentProgress,
    FailingCheck,
    cycle_row,
    failing_by_component,
    progress,
    require_open,
)
from raigov.datacall.kinds import Answer, answer_of, clean_answer, field_label, kind_id, kind_title, split_kind
from raigov.datacall.models import CheckExplanation
from raigov.db.base import utcnow
from raigov.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from raigov.identity.permissions import Actor, can
from raigov.inventory import service as inventory

MAX_EXPLANATION = 4000


@dataclass
class CheckGroup:
    """The failing checks of one kind in one component."""

    kind: str  # kind_id: a form value, never shown
    title: str  # "Withheld from the public? — not answered"
    field_label: str
    checks: list[FailingCheck] = field(default_factory=list)
    answer: Answer | None = None  # how to fix them all with one answer (None: explain, or edit each use case)

    @property
    def count(self) -> int:
        return len(self.checks)

    @property
    def explained(self) -> int:
        return sum(1 for c in self.checks if c.explanation)

    @property
    def open(self) -> int:
        return self.count - self.explained


def group_checks(failing: list[FailingCheck]) -> list[CheckGroup]:
    """Group failing checks by kind (rule and field), the largest group first."""
    groups: dict[str, CheckGroup] = {}
    for f in failing:
        k = kind_id(f.rule, f.field)
        g = groups.get(k)
        if g is None:
            g = groups[k] = CheckGroup(k, kind_title(f.rule, f.field), field_label(f.field),
                                       answer=answer_of(f.rule, f.field))
        g.checks.append(f)
    return sorted(groups.values(), key=lambda g: (-g.count, g.title))


def check_groups(session: Session, actor: Actor, year: int, component: str) -> tuple[ComponentProgress, list[CheckGroup]]:
    """The component's progress and its failing checks grouped by kind."""
    comp = progress(session, actor, year, component).components[0]
    return comp, group_checks(comp.failing)


def _require_lead(actor: Actor, component: str) -> None:
    if not can(actor, "datacall.component.certify", component):
        raise PermissionDenied(f"{actor.label} may not work on {component}'s reporting checks: its AI lead does")


def _chosen(session: Session, actor: Actor, component: str, kind: str, business_ids) -> tuple[str, str, list[FailingCheck]]:
    """The failing checks of `kind` on the chosen use cases; refuses a use case that does not fail it."""
    rule, fld = split_kind(kind)
    failing = [f for f in failing_by_component(session, actor, {component}).get(component, [])
               if f.rule == rule and (f.field or "") == fld]
    if not failing:
        raise Conflict(f"no use case of {component} fails this check any more: reload the page")
    by_id = {f.business_id: f for f in failing}
    chosen = list(dict.fromkeys(str(b).strip() for b in business_ids or () if str(b).strip()))
    if not chosen:
        raise ValidationFailed("choose at least one use case", errors=[FieldError("use_cases", "choose at least one use case",
                                                                                  "missing")])
    unknown = [b for b in chosen if b not in by_id]
    if unknown:
        msg = (f"{', '.join(unknown[:5])}{' and more' if len(unknown) > 5 else ''} "
               f"{'does' if len(unknown) == 1 else 'do'} not fail “{kind_title(rule, fld)}” in {component}")
        raise ValidationFailed(msg, errors=[FieldError("use_cases", msg)])
    return rule, fld, [by_id[b] for b in chosen]


def fix_checks(session: Session, actor: Actor, year: int, component: str, kind: str, business_ids, value,
               reason: str = "") -> list[str]:
    """Give one answer to the field of a kind of failing check for the chosen use cases of `component`: a new
    revision of each (``inventory.edit_use_case``, its own audit event), then one ``datacall.check.fix`` event.
    The answer is checked against the field catalogue; the lead must hold the data call for the component and
    may change each use case. All or nothing: the answer, the use cases and the permissions are checked before
    anything is written; an edit refused after that raises (naming the use case), so the caller's transaction
    (the page's unit of work) rolls back the edits made before it.
    Returns the ids of the use cases changed."""
    _require_lead(actor, component)
    require_open(cycle_row(session, year))
    rule, fld, checks = _chosen(session, actor, component, kind, business_ids)
    answer = answer_of(rule, fld)
    if answer is None:
        msg = f"“{kind_title(rule, fld)}” is not fixed by one answer: explain it, or change each use case"
        raise ValidationFailed(msg, errors=[FieldError("value", msg)])
    stored, problem = clean_answer(answer, value)
    if problem:
        raise ValidationFailed(problem, errors=[FieldError("value", problem)])
    denied = [c.business_id for c in checks if not can(
        actor, "inventory.use_case.revise", inventory.component_of(inventory.get_use_case(session, actor, c.business_id)))]
    if denied:
        raise PermissionDenied(f"{actor.label} may not change {', '.join(denied[:5])}"
                               f"{' and more' if len(denied) > 5 else ''}: nothing was changed")
    shown = "; ".join(stored) if isinstance(stored, list) else str(stored)
    why = (reason or "").strip() or f"{year} data call: “{answer.label}” answered for {len(checks)} use cases at once"
    for c in checks:
        try:
            inventory.edit_use_case(session, actor, c.business_id, {fld: stored}, why[:500])
        except (ValidationFailed, Conflict) as exc:
            msg = f"{c.business_id}: {exc.detail}"
            raise ValidationFailed(f"nothing was changed: {msg}", errors=[FieldError("use_cases", msg)]) from exc
    ids = [c.business_id for c in checks]
    record(session, actor, "datacall.check.fix", "reporting_cycle", f"{year}/{component}",
           {"field": fld, "value": stored, "use_cases": ids},
           {"year": year, "component": component, "field": fld, "value": shown[:200], "use_cases": len(ids)})
    return ids


def explain_checks(session: Session, actor: Actor, year: int, component: str, kind: str, business_ids,
                   text: str) -> int:
    """Save one explanation for the chosen use cases' checks of `kind` (each check keeps its own copy; saving
    again replaces it). The certification reads them. Returns how many checks were explained."""
    _require_lead(actor, component)
    cycle = cycle_row(session, year, lock=True)
    require_open(cycle)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("write the explanation", errors=[FieldError("explanation", "write the explanation",
                                                                           "missing")])
    if len(text) > MAX_EXPLANATION:
        msg = f"the explanation is longer than {MAX_EXPLANATION} characters"
        raise ValidationFailed(msg, errors=[FieldError("explanation", msg)])
    rule, fld, checks = _chosen(session, actor, component, kind, business_ids)
    keys = [c.key for c in checks]
    existing = {e.check_key: e for e in session.scalars(select(CheckExplanation).where(
        CheckExplanation.cycle_id == cycle.id, CheckExplanation.check_key.in_(keys)))}
    now = utcnow()
    for c in checks:
        e = existing.get(c.key)
        if e is None:
            session.add(CheckExplanation(cycle_id=cycle.id, component=component, check_key=c.key, text=text,
                                         explained_by=actor.label, explained_at=now))
        else:
            e.text, e.explained_by, e.explained_at = text, actor.label, now
    session.flush()
    record(session, actor, "datacall.check.explain", "reporting_cycle", f"{year}/{component}",
           {"checks": keys, "text": text},
           {"year": year, "component": component, "field": fld, "rule": rule, "use_cases": len(keys)})
    return len(keys)
