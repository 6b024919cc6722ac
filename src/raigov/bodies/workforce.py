"""The workforce view: the bodies' members and the reviewers of the review lanes, with their training status.
raigov has no training ledger yet: ``TRAINING_LEDGER`` is the hook (a function (session, user ids) -> {user id:
status in words}); until one is set, every person shows "no training record"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from raigov.bodies.charters import bodies
from raigov.bodies.service import READ, members_of
from raigov.governance.lanes import config
from raigov.identity.models import RoleAssignment, User
from raigov.identity.permissions import Actor, require

NO_RECORD = "no training record"
# set by the training ledger when it exists: (session, user ids) -> {user id: training status in words}
TRAINING_LEDGER: Callable[[Session, set[int]], dict[int, str]] | None = None


@dataclass
class Person:
    username: str
    name: str
    seats: list[str] = field(default_factory=list)  # "Chief AI Officer, AI Governance Board"
    lanes: list[str] = field(default_factory=list)  # the review lanes they may review, in words
    training: str = NO_RECORD


def workforce(session: Session, actor: Actor) -> list[Person]:
    require(actor, READ)
    people: dict[int, Person] = {}

    def person(u: User) -> Person:
        return people.setdefault(u.id, Person(u.username, u.display_name))

    for b in bodies().values():
        for m in members_of(session, b.key):
            person(m.user).seats.append(f"{b.seat(m.seat).title}, {b.name}")
    lanes = config().lanes
    roles = {r for lane in lanes.values() for r in lane.roles}
    rows = session.scalars(select(RoleAssignment).options(selectinload(RoleAssignment.user))
                           .where(RoleAssignment.role.in_(roles)).order_by(RoleAssignment.id)).all()
    for ra in rows:
        if not ra.user.is_active:  # a grant waiting for its second person is a PendingRoleGrant, not here
            continue
        p = person(ra.user)
        for lane in lanes.values():
            if ra.role in lane.roles and lane.title not in p.lanes:
                p.lanes.append(lane.title)
    if TRAINING_LEDGER is not None:
        status = TRAINING_LEDGER(session, set(people))
        for uid, p in people.items():
            p.training = status.get(uid, NO_RECORD)
    return sorted(people.values(), key=lambda p: p.username)

