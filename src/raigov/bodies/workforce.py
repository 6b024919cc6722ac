"""The workforce view: the bodies' members and the reviewers of the review lanes, with their training status read
from the training ledger (raigov.training): the courses the whole workforce must hold (courses.yaml, audience
``all``), each current or not on the agency's date. A person's training is shown only to who may read the
training ledger in that person's component (``training.ledger.read``); to others it says it is not shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from raigov.bodies.charters import bodies
from raigov.bodies.service import READ, members_of
from raigov.clock import agency_today
from raigov.governance.lanes import config
from raigov.identity.models import RoleAssignment, User
from raigov.identity.permissions import Actor, can, require
from raigov.training.courses import courses
from raigov.training.service import unit_code, valid_until

NO_RECORD = "no training record"
NOT_SHOWN = "not shown (you may not read the training ledger of this person's component)"
LEDGER_READ = "training.ledger.read"


@dataclass
class Person:
    username: str
    name: str
    seats: list[str] = field(default_factory=list)  # "Chief AI Officer, AI Governance Board"
    lanes: list[str] = field(default_factory=list)  # the review lanes they may review, in words
    training: str = NO_RECORD
    training_current: bool | None = None  # None: not shown, or no record


def training_status(session: Session, user_id: int, today: dt.date) -> tuple[str, bool | None]:
    """(words, current?) for the courses every member of the workforce must hold, on `today`."""
    required = [c for c in courses().values() if c.audience == "all"]
    until = valid_until(session, user_id, [c.id for c in required])
    if all(until[c.id] is False for c in required):
        return NO_RECORD, None
    lacking, ends = [], []
    for c in required:
        u = until[c.id]
        if u is False:
            lacking.append(f"{c.title}: not taken")
        elif u is not None and u < today:
            lacking.append(f"{c.title}: expired on {u.isoformat()}")
        elif u is not None:
            ends.append(u)
    if lacking:
        return "not current (" + "; ".join(lacking) + ")", False
    return (f"current until {min(ends).isoformat()}" if ends else "current"), True


def workforce(session: Session, actor: Actor, today: dt.date | None = None) -> list[Person]:
    require(actor, READ)
    today = today or agency_today()
    people: dict[int, Person] = {}
    users: dict[int, User] = {}

    def person(u: User) -> Person:
        users[u.id] = u
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
    for uid, p in people.items():
        if can(actor, LEDGER_READ, unit_code(users[uid])):
            p.training, p.training_current = training_status(session, uid, today)
        else:
            p.training = NOT_SHOWN
    return sorted(people.values(), key=lambda p: p.username)
