"""The demo agency's governance bodies: members in the Board's and the Responsible Use Group's seats, a Group meeting
whose recommendation on the authorized use case became evidence of its independent review, a Board meeting that
approved that use case (its decision published), and the Group's next meeting with an open review on its agenda."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.bodies import service as bodies
from raigov.bodies.models import BodyMember
from raigov.clock import agency_today
from raigov.config import Settings
from raigov.identity import service as identity
from raigov.identity.permissions import Actor

BOARD = {"vice_chair": "caio", "cio": "caio.delegate", "ciso": "ocio", "ogc": "legal", "privacy": "privacy",
         "crcl": "crcl"}
RUG = {"chair": "crcl", "vice_chair": "privacy", "ogc": "legal", "ocio": "ocio", "caio": "rug"}


def _actor(session: Session, username: str) -> Actor:
    return identity.actor_for(session, identity.get_user(session, username))


def _meeting(session, actor, body, title, day, items, present):
    m = bodies.schedule(session, actor, body, title=title, starts_at=dt.datetime.combine(day, dt.time(10, 0)),
                        duration_minutes=90, location="Headquarters, room 3A (demo)")
    for kind, ref in items:
        bodies.add_item(session, actor, m.id, subject_kind=kind, subject_ref=ref)
    if present is not None:
        bodies.record_attendance(session, actor, m.id, present)
    return m


def load_bodies(session: Session, settings: Settings, system: Actor, done: dict) -> None:
    """Skipped when the bodies already have members, or when the demo has no authorized use case."""
    if session.scalar(select(func.count()).select_from(BodyMember)) or not done.get("authorized"):
        return
    today = agency_today(settings)
    since = today - dt.timedelta(days=90)
    for body, seats in (("board", BOARD), ("rug", RUG)):
        for seat, user in seats.items():
            bodies.appoint(session, system, body, seat, user, since=since)
    caio, rug, uc = _actor(session, "caio"), _actor(session, "rug"), done["authorized"]
    m = _meeting(session, rug, "rug", "Independent review of high-impact uses", today - dt.timedelta(days=20),
                 [("use_case", uc)], list(RUG.values()))
    bodies.record_decision(session, rug, m.id, kind="recommendation", subject_kind="use_case", subject_ref=uc,
                           text="The Group recommends approval: the impact assessment and the bias evaluation are "
                                "adequate; re-test within a year (demo).",
                           votes={"crcl": "yes", "privacy": "yes", "legal": "yes", "ocio": "yes", "rug": "abstain"})
    bodies.record_minutes(session, rug, m.id, "The Group reviewed one high-impact use and recommended approval (demo).")
    m = _meeting(session, caio, "board", "AI Governance Board, quarterly meeting", today - dt.timedelta(days=10),
                 [("use_case", uc)], list(BOARD.values()))
    d = bodies.record_decision(session, caio, m.id, kind="decision", subject_kind="use_case", subject_ref=uc,
                               text="The Board approves the use for deployment, with the Group's condition (demo).",
                               votes=dict.fromkeys(BOARD.values(), "yes"))
    bodies.publish_decision(session, caio, d.id)
    later = [("use_case", done["pilot"])] if done.get("pilot") else []
    _meeting(session, rug, "rug", "Independent review of the pilots", today + dt.timedelta(days=7), later, None)
