"""The acquisition clock of ``raigov jobs run``: a contract's end and its option dates. A reminder to the
component's AI lead(s) (the CAIO when there is none) 90 days before a contract in force ends and 60 days
before an option date; an escalation, adding the CAIO, on the day itself. One notice per event and date
(the key names the contract, the event and the date), so running again creates nothing new."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.acquisition.models import Contract, ContractUseCase, Vendor
from raigov.acquisition.reads import in_force
from raigov.config import Settings
from raigov.identity.models import OrgUnit, RoleAssignment, User
from raigov.identity.units import ancestors_map
from raigov.jobs.clocks import ESCALATION, REMINDER, Directory, DueNotice, Recipient

END_WARNING_DAYS = 90
OPTION_WARNING_DAYS = 60


def _directory(session: Session) -> Directory:
    grants = tuple((u, role, code) for u, role, code in session.execute(
        select(User.username, RoleAssignment.role, OrgUnit.code)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .outerjoin(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(User.is_active)))
    return Directory(grants, ancestors_map(session))


def events(number: str, ends_on: dt.date | None, options: list[str], today: dt.date) -> list[tuple[str, dt.date, str]]:
    """(event, date, level) due today for one contract: its end within 90 days, an option within 60;
    escalation on the day. Pure."""
    out = []
    if ends_on is not None and 0 <= (ends_on - today).days <= END_WARNING_DAYS:
        out.append(("ends", ends_on, ESCALATION if ends_on == today else REMINDER))
    for iso in options:
        d = dt.date.fromisoformat(iso)
        if 0 <= (d - today).days <= OPTION_WARNING_DAYS:
            out.append(("option", d, ESCALATION if d == today else REMINDER))
    return out


def due(session: Session, today: dt.date, settings: Settings) -> list[DueNotice]:
    directory = _directory(session)
    base = settings.base_url.rstrip("/")
    out = []
    for c, vendor in session.execute(select(Contract, Vendor.name).outerjoin(Vendor, Vendor.id == Contract.vendor_id)
                                     .where(in_force(today)).order_by(Contract.number)):
        for event, day, level in events(c.number, c.ends_on, c.option_dates, today):
            names = [(u, "component_ai_lead") for u in directory.leads(c.component)]
            if level == ESCALATION or not names:
                names += [(u, "caio") for u in directory.caio() if u not in {n for n, _ in names}]
            if not names:
                continue
            what = "ends" if event == "ends" else "has an option to exercise by"
            days = (day - today).days
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            subject = f"[raigov] {'ESCALATION: ' if level == ESCALATION else ''}contract {c.number} {what} {day.isoformat()}"
            body = (f"Contract {c.number} ({c.title}{', ' + vendor if vendor else ''}) {what} {day.isoformat()} ({when}).\n"
                    f"{base}/acquisition/contracts/{c.number}\n")
            out.append(DueNotice(f"contract:{c.id}:{event}:{day.isoformat()}", f"contract_{event}", level,
                                 tuple(Recipient(u, r) for u, r in names), subject, body, "contract", str(c.id), day))
    return out


def objects():
    """Each contract notice's use cases (a contract serving several use cases is found under each)."""
    return select(ContractUseCase.contract_id.label("object_id"), ContractUseCase.use_case_id.label("use_case_id"))
