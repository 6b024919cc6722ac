"""A use case's plain-language notice (OMB M-24-10 §5(c)(v)(D), M-25-21 App. §4(b)(vi)): what the AI does, how
to get a human review, how to appeal, how to opt out where it applies. Kept by the use case's owner or the
component's AI lead (``oversight.notice.manage``); read by the people who read the use case's oversight and by
the component's operational systems, which show it to the people they decide about
(``oversight.notice.read``). Whether each decision's person was notified travels with the decision (its
optional ``notice``); the kinds that must be noticed are data (the notice rule of the agency's packs,
remedies.py) and the gaps are counted (remedy_counts.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.db.base import utcnow
from raigov.identity.permissions import Actor, can, require
from raigov.inventory.access import component_of
from raigov.oversight.people import use_case
from raigov.oversight.remedies import remedies
from raigov.oversight.remedy_models import UseCaseNotice
from raigov.oversight.remedy_schemas import UseCaseNoticeIn

READ, MANAGE = "oversight.notice.read", "oversight.notice.manage"
FIELDS = ("what_ai_does", "human_review", "appeal", "opt_out")


def notice_out(n: UseCaseNotice | None, business_id: str) -> dict:
    r = remedies()
    base = {"use_case": business_id, "notice_kinds": sorted(r.notice_kinds), "citation": r.notice_citation,
            "notice_rule": r.notice_source}
    if n is None:
        return {**base, "written": False, **{f: "" for f in FIELDS}, "updated_by": None, "updated_at": None}
    return {**base, "written": True, **{f: getattr(n, f) for f in FIELDS}, "updated_by": n.updated_by,
            "updated_at": n.updated_at}


def get_notice(session: Session, actor: Actor, business_id: str) -> dict:
    """The use case's notice (``written: false`` and empty texts when none was written yet), and whether the
    actor may edit it (``may_edit``)."""
    uc = use_case(session, business_id)
    comp = component_of(uc)
    if not (can(actor, READ, comp) or can(actor, MANAGE, comp)):
        require(actor, READ, comp)
    return {**notice_out(session.get(UseCaseNotice, uc.id), uc.business_id), "name": uc.name,
            "may_edit": can(actor, MANAGE, comp)}


def set_notice(session: Session, actor: Actor, business_id: str, data: UseCaseNoticeIn) -> dict:
    """Write or rewrite the use case's notice (the trail keeps every version's digest and who wrote it)."""
    uc = use_case(session, business_id)
    require(actor, MANAGE, component_of(uc))
    values = {f: getattr(data, f).strip() for f in FIELDS}
    n = session.get(UseCaseNotice, uc.id)
    if n is None:
        n = UseCaseNotice(use_case_id=uc.id, **values, updated_by=actor.label, updated_at=utcnow())
        session.add(n)
    else:
        for f, v in values.items():
            setattr(n, f, v)
        n.updated_by, n.updated_at = actor.label, utcnow()
    record(session, actor, "oversight.notice.record", "use_case", uc.business_id, values,
           {"use_case": uc.business_id, "opt_out": bool(values["opt_out"])})
    session.flush()
    return notice_out(n, uc.business_id)
