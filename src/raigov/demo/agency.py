"""The demo agency: one account per role (demo-only passwords), later capabilities add their data.

The passwords are random, generated at load, and kept in DATA_DIR/demo-credentials.json (mode 0600)
so that `make demo` can print them on every start. They are for a local demonstration only.
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.config import Settings
from raigov.demo.acquisition import load_acquisition_and_data
from raigov.demo.bodies import load_bodies
from raigov.demo.genai import load_genai
from raigov.demo.governance import load_governance
from raigov.demo.monitoring import load_monitoring
from raigov.demo.oversight import load_oversight
from raigov.demo.public import load_public
from raigov.identity import service as identity
from raigov.identity.models import OrgUnit, User
from raigov.identity.permissions import Actor
from raigov.identity.schemas import RoleGrantIn, UserCreate
from raigov.inventory import service as inventory
from raigov.inventory.formats import read_inventory
from raigov.inventory.models import UseCase
from raigov.policy import service as policy

# username, display name, home unit, roles (ROLE or ROLE@UNIT)
DEMO_PEOPLE: list[tuple[str, str, str, list[str]]] = [
    ("caio", "Casey Alvarez (Chief AI Officer)", "OCIO", ["caio"]),
    ("caio.delegate", "Dana Brooks (CAIO delegate)", "OCIO", ["caio_delegate"]),
    ("cbp.owner", "Evan Cole (CBP use case owner)", "CBP", ["submitter@CBP"]),
    ("tsa.owner", "Farah Diaz (TSA use case owner)", "TSA", ["submitter@TSA"]),
    ("uscis.owner", "Grace Ellis (USCIS use case owner)", "USCIS", ["submitter@USCIS"]),
    ("cbp.lead", "Hugo Flores (CBP AI lead)", "CBP", ["component_ai_lead@CBP"]),
    ("tsa.lead", "Iris Grant (TSA AI lead)", "TSA", ["component_ai_lead@TSA"]),
    ("privacy", "Jon Hale (Privacy Office reviewer)", "PRIV", ["privacy_reviewer"]),
    ("crcl", "Kara Ito (CRCL reviewer)", "CRCL", ["crcl_reviewer"]),
    ("legal", "Liam Jones (OGC reviewer)", "OGC", ["legal_reviewer"]),
    ("ocio", "Rosa Perez (OCIO/CISO reviewer)", "OCIO", ["ocio_reviewer"]),
    ("rug", "Maya Khan (Responsible Use Group)", "PLCY", ["rug_member"]),
    ("te.engineer", "Noah Lee (T&E engineer, S&T)", "S&T", ["te_engineer"]),
    ("auditor", "Olga Moss (Auditor)", "OIG", ["auditor"]),
    ("admin", "Pat Nolan (User administrator)", "OCIO", ["admin"]),
    ("employee", "Quinn Ortiz (TSA employee)", "TSA", ["employee@TSA"]),
    ("training", "Sam Reed (Training coordinator)", "OCIO", ["training_coordinator"]),
    ("cbp.appeals", "Tara Quinn (CBP appeals officer)", "CBP", ["appeals_officer@CBP"]),
]
DEMO_SERVICE = ("cbp.gate-client", "CBP operational system (demo)", "CBP", ["service@CBP"])
CREDENTIALS_FILE = "demo-credentials.json"
# what the demo's governance made of some use cases (demo/governance.py), as `raigov demo run` lists them
TRY_FIRST = {"authorized": "authorized: every review approved, practices done, risk accepted (the gate says yes)",
             "waiver": "a practice waived by the CAIO, with its OMB report clock",
             "pilot": "a certified pilot",
             "sent_back": "a review that asked for changes (sign in as its owner)",
             "overdue": "practices overdue",
             "monitoring": "a monitor with 12 weekly windows: a drift from week 9, an open alert, an incident that "
                           "suspends the use case"}


def _grant(spec: str) -> RoleGrantIn:
    role, _, unit = spec.partition("@")
    return RoleGrantIn(role=role, component=unit or None)


def is_empty(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(User)) or 0) == 0


def load(session: Session, settings: Settings, actor: Actor | None = None) -> dict:
    """Create the demo accounts (idempotent: existing accounts are left as they are)."""
    actor = actor or Actor.system("demo")
    creds = read_credentials(settings) or {"people": {}, "service_token": None}
    for username, name, unit, roles in DEMO_PEOPLE:
        if session.scalar(select(User.id).where(User.username == username)):
            continue
        password = identity.new_password(settings, username, "demo-", 9)
        identity.create_user(session, actor, UserCreate(
            username=username, display_name=name, email=f"{username}@example.com", org_unit=unit,
            password=password, roles=[_grant(r) for r in roles]), settings)
        creds["people"][username] = {"password": password, "roles": roles, "name": name}
    username, name, unit, roles = DEMO_SERVICE
    if not session.scalar(select(User.id).where(User.username == username)):
        identity.create_user(session, actor, UserCreate(
            username=username, display_name=name, kind="service", org_unit=unit, roles=[_grant(r) for r in roles]), settings)
        token, _ = identity.create_token(session, actor, username, "demo gate client", settings, 30)
        creds["service_token"] = {"username": username, "token": token}
    write_credentials(settings, creds)
    # GenAI tools, grants, training, screened prompts (issue #16); before the inventory, so that the audit trail's
    # newest page shows governance rather than 300 prompt hashes
    load_genai(session, settings, actor, creds)
    load_inventory(session, settings, actor, creds)
    load_public(session, settings)  # last (issue #19): the certified year's reports, then the public site's build
    write_credentials(settings, creds)
    return creds


def load_inventory(session: Session, settings: Settings, actor: Actor, creds: dict) -> None:
    """DHS's published 2025 inventory (238 use cases, shipped without contact e-mails), with the 2024
    answers as earlier revisions where the names match, each assigned to a demo owner of its
    component. Skipped when the inventory already holds use cases."""
    if session.scalar(select(func.count()).select_from(UseCase)):
        return
    data = resources.files("raigov.inventory").joinpath("data")
    for name in ("demo_dhs_2024.csv", "demo_dhs_2025.csv"):  # oldest first: 2024 answers become revision 1
        with resources.as_file(data.joinpath(name)) as path:
            inventory.import_inventory(session, actor, read_inventory(path), settings)
    session.flush()
    owners = {p.split("@")[1]: u for u, info in creds["people"].items() for p in info["roles"] if p.startswith("submitter@")}
    rows = session.execute(select(UseCase.business_id, OrgUnit.code).join(OrgUnit, UseCase.org_unit_id == OrgUnit.id)).all()
    for business_id, unit in rows:
        if unit not in owners:
            username = re.sub(r"[^a-z0-9]", "", unit.lower()) + ".owner"
            if not session.scalar(select(User.id).where(User.username == username)):
                password = identity.new_password(settings, username, "demo-", 9)
                identity.create_user(session, actor, UserCreate(
                    username=username, display_name=f"{unit} use case owner (demo)", email=f"{username}@example.com",
                    org_unit=unit, password=password,
                    roles=[RoleGrantIn(role="submitter", component=unit)]), settings)  # DHS: the department's own only
                creds["people"][username] = {"password": password, "roles": [f"submitter@{unit}"],
                                             "name": f"{unit} use case owner (demo)"}
            owners[unit] = username
        inventory.assign_person(session, actor, business_id, owners[unit], "owner")
    # the agency's own determinations, and raigov's screen of every use case beside them

    policy.record_agency_answers(session, actor)
    policy.screen_all(session, actor)
    # governance: lanes, practices, reviews in progress, evidence, a waiver, a pilot, the data call under way

    session.flush()
    done = load_governance(session, settings, actor)
    session.flush()
    done["monitoring"] = load_monitoring(session, settings, actor)
    load_bodies(session, settings, actor, done)
    if done:  # contracts and datasets (issue #20): after governance, which they do not change but for one gate reason
        load_acquisition_and_data(session, settings, done)
        done["oversight"] = load_oversight(session, settings, done, creds)  # issue #15: decisions, alerts, opt-outs
    if done:  # the use cases to try first, printed with the sign-ins (cli/demo.py)
        creds["try_first"] = {k: v for k, v in done.items() if k in TRY_FIRST and v}


def credentials_path(settings: Settings) -> Path:
    return settings.ensure_data_dir() / CREDENTIALS_FILE


def read_credentials(settings: Settings) -> dict | None:
    try:
        return json.loads(credentials_path(settings).read_text())
    except FileNotFoundError:
        return None


def write_credentials(settings: Settings, creds: dict) -> None:
    path = credentials_path(settings)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"warning": "DEMO ONLY: never use these accounts outside a local demonstration", **creds}, fh, indent=2)
    os.replace(tmp, path)
