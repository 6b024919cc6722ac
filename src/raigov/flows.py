"""Workflows across domains: one act of a person that takes several services in turn, in the caller's
transaction (so that all of it is written, or nothing). The page, the JSON API and the CLI call these instead
of chaining the services themselves (as Netflix Dispatch keeps its ``flows.py`` beside the services).

- ``submit``: the owner submits a draft; it is screened under the pack in force and sent to the reviews and
  practices it needs (``governance.sync``).
- ``screen``: screen again; when the actor may, bring the reviews and practices up to date (a new proposal
  may change the lanes).
- ``decide``: the official's determination; then, when the actor may, the same update.

Each service checks its own permission; a flow adds no rule of its own."""

from __future__ import annotations

from sqlalchemy.orm import Session

from raigov.governance import service as gov
from raigov.identity.permissions import Actor
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from raigov.policy.models import Determination, Screening

SUBMIT_REASON = "submitted for review"


def submit(session: Session, actor: Actor, business_id: str, reason: str = SUBMIT_REASON) -> dict:
    """Submit a draft, screen it and open what it needs. Returns what ``governance.sync`` added."""
    inventory.submit_use_case(session, actor, business_id, reason)
    policy.screen_use_case(session, actor, business_id)
    return gov.sync(session, actor, business_id)


def screen(session: Session, actor: Actor, business_id: str, pack_ref: str | None = None) -> Screening:
    """Screen the use case again, then sync its requirements when the actor may (``sync_if_allowed``)."""
    sc = policy.screen_use_case(session, actor, business_id, pack_ref)
    gov.sync_if_allowed(session, actor, business_id)
    return sc


def decide(session: Session, actor: Actor, business_id: str, decision: str, reason: str) -> Determination:
    """Record the official's determination, then sync the use case's requirements when the actor may."""
    d = policy.decide(session, actor, business_id, decision, reason)
    gov.sync_if_allowed(session, actor, business_id)
    return d
