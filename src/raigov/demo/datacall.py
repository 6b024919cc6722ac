"""The demo agency's data calls, through the services as the people would make them: last year's cycle
certified by every component's AI lead and then by the CAIO (a signed snapshot: `/public/inventory` shows it),
and this year's call open with one component (TSA) certified and the others still at work (CBP's lead has
the demo's real gaps to fix or explain)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.config import Settings
from raigov.datacall import service as datacall
from raigov.identity import service as identity
from raigov.identity.models import OrgUnit, User
from raigov.identity.permissions import Actor
from raigov.identity.schemas import RoleGrantIn, UserCreate
from raigov.inventory.models import UseCase

DEMO_LEADS = {"CBP": "cbp.lead", "TSA": "tsa.lead"}  # the leads among the demo people (who sign in)
KNOWN_GAP = "Known gap: the published file left this answer blank; the owner is confirming it."


def lead_of(session: Session, settings: Settings, system: Actor, component: str) -> Actor:
    """The component's AI lead: a demo person for CBP and TSA; for the other components an account made here
    that signs in only through single sign-on (no password, so it is not among the demo's credentials)."""
    username = DEMO_LEADS.get(component) or re.sub(r"[^a-z0-9]", "", component.lower()) + ".lead"
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        identity.create_user(session, system, UserCreate(
            username=username, display_name=f"{component} AI lead (demo)", email=f"{username}@example.com",
            org_unit=component, roles=[RoleGrantIn(role="component_ai_lead", component=component)]), settings)
        session.flush()
        user = identity.get_user(session, username)
    return identity.actor_for(session, user)


def certify_all_components(session: Session, settings: Settings, system: Actor, caio: Actor, year: int,
                           skip: tuple[str, ...] = ()) -> list[str]:
    """Every component with active use cases (but those in `skip`) certified for `year` by its lead, each failing
    check explained. Returns the components certified. (The failing checks are read once for the whole department: reading
    each component's progress would export every component once more.)"""

    failing = datacall.failing_by_component(session, caio, None)
    active = session.scalars(select(OrgUnit.code).join(UseCase, UseCase.org_unit_id == OrgUnit.id)
                             .where(UseCase.status == "active").distinct().order_by(OrgUnit.code)).all()
    active = [c for c in active if c not in skip]
    for component in active:
        lead = lead_of(session, settings, system, component)
        datacall.certify_component(session, lead, year, component,
                                   f"I certify {component}'s use cases for the {year} inventory (demo).",
                                   {f.key: KNOWN_GAP for f in failing.get(component, [])})
    return list(active)


def load_data_calls(session: Session, settings: Settings, system: Actor, caio: Actor, today: dt.date) -> dict:
    """Last year's call certified and published, this year's open with TSA certified."""

    last, this = today.year - 1, today.year
    datacall.open_cycle(session, caio, last, dt.date(last, 11, 15), f"{last} AI use case inventory data call")
    certify_all_components(session, settings, system, caio, last)
    datacall.certify(session, caio, last, f"I certify the department's {last} AI use case inventory (demo).", settings)

    datacall.open_cycle(session, caio, this, today + dt.timedelta(days=45), f"{this} AI use case inventory data call")
    tsa_lead = lead_of(session, settings, system, "TSA")
    prog = datacall.progress(session, tsa_lead, this, "TSA")  # the checks as the lead who certifies sees them
    datacall.certify_component(session, tsa_lead, this, "TSA", "I certify TSA's use cases for this year's inventory "
                               "(demo).", {f.key: KNOWN_GAP for c in prog.components for f in c.failing})
    return {"certified": last, "open": this}
