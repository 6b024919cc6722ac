"""Who may read an evaluation run, and reading runs (one run, the newest runs), by the read scope of
``inventory.readable``. Nothing here writes; governance reads a run's report through this module (an evidence
file that is a run's report is readable by who may read the run)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from raigov.errors import NotFound, PermissionDenied
from raigov.evaluation.models import EvaluationRun
from raigov.identity.permissions import ANYWHERE, Actor, can
from raigov.inventory.access import readable

RUN_READERS = ("evaluation.run.read", "evaluation.run.execute")


def may_read_run(actor: Actor, run: EvaluationRun) -> bool:
    """The read rule of one run: a T&E reader or runner in the run's component (any, for a run of no use
    case), or the person who ran it; ``runs`` filters by the same rule (``inventory.readable``)."""
    comp = run.component if run.use_case_id is not None else ANYWHERE  # a run of no use case: anyone who reads runs
    if any(can(actor, a, comp) for a in RUN_READERS):
        return True
    return run.created_by_id is not None and run.created_by_id == actor.user_id


def get_run(session: Session, actor: Actor, run_id: int) -> EvaluationRun:
    run = session.get(EvaluationRun, run_id)
    if run is None:
        raise NotFound(f"no evaluation run {run_id}")
    if not may_read_run(actor, run):
        raise PermissionDenied(f"{actor.label} may not read evaluation run {run_id}")
    return run



def runs(session: Session, actor: Actor, limit: int = 100) -> list[EvaluationRun]:
    """The newest runs the actor may read (eval.read in the run's component; their own runs)."""
    scope = readable(session, actor, RUN_READERS)
    if scope.nothing:
        raise PermissionDenied(f"{actor.label} may not read evaluation runs")
    q = select(EvaluationRun).order_by(EvaluationRun.id.desc())
    if not scope.everything:
        conds = [EvaluationRun.use_case_id.is_(None), scope.where_component(EvaluationRun.component)]
        if actor.user_id is not None:
            conds.append(EvaluationRun.created_by_id == actor.user_id)
        q = q.where(or_(*conds))
    return list(session.scalars(q.limit(limit)))
