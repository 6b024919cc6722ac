"""The demo's oversight (issue #15): the demo CBP operational system (``cbp.gate-client``) recorded about 20,000
AI-assisted decisions over the last 90 days on CBP's authorized use case, through the ledger's batch path: mostly
favourable, some searches, seizures and citations, each adverse one reviewed with another basis; the officers
modified or overrode about one output in ten until a month ago and none since, so the oversight jobs open an
automation-bias alert; one busy day went past the use case's authorized scale (a scale alert); a few attempts
were refused (no human review, no other basis, an untrained reviewer). A TSA face-recognition use with a manual
alternative carries a few U.S. citizens' opt-outs. Travelers appealed some adverse decisions: the CBP appeals
officer upheld, modified and reversed them (enough reversals to ask the reviewers to look again), and one appeal
waits for the officer. ``demo-credentials.json`` gains ``"oversight"``: the use case,
a reviewer on its roster and the CBP token, so that anyone can record a decision at once.
Reproducible (fixed seed; dates follow the day of loading). Idempotent: skipped when the ledger holds decisions."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.clock import agency_today, agency_zone
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import ValidationFailed
from raigov.identity import service as identity
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import Actor
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus
from raigov.oversight import service as oversight
from raigov.oversight.models import Decision
from raigov.oversight.remedy_schemas import NoticeGivenIn
from raigov.oversight.schemas import DecisionIn

log = logging.getLogger("raigov.demo")

SEED = 20261205
DAYS = 90
PER_DAY = 218
BUSY_DAY, BUSY = 2, 650  # days ago (within the scale check's look-back), decisions: past the authorized scale
SCALE = 400  # distinct subjects per day, set at review
QUIET_FROM = 29  # from this many days ago the officers accept every output: the automation-bias alert
OFFICERS = ("cbp.officer.ali", "cbp.officer.baker", "cbp.officer.chen", "cbp.officer.diaz")
KINDS = (("favourable", 0.70), ("informational", 0.10), ("search", 0.12), ("other_adverse", 0.05),
         ("seizure", 0.02), ("citation", 0.01))
BASES = {"search": ["document inspection", "interview"], "seizure": ["physical inspection", "record check"],
         "citation": ["record check"], "other_adverse": ["interview"]}
BATCH = 5000
NOTICE_GAP = 40  # every 40th adverse decision was not noticed (a gap the page counts); the rest were, mostly in person
NOTICE_METHODS = ("in_person", "in_person", "in_person", "letter", "portal")
APPEALS_OFFICER = "cbp.appeals"  # demo/agency.py: appeals_officer@CBP
# (days ago the contested decision was made, who files, outcome or None: open); decided 12 days after filing
APPEALS = ((70, "system", "upheld"), (62, "staff", "reversed"), (55, "system", "modified"), (48, "system", "reversed"),
           (41, "staff", "upheld"), (34, "system", "reversed"), (27, "system", "reversed"), (9, "system", None))
GROUNDS = {"system": "The traveler contests the referral: the documents were in order and the search found nothing.",
           "staff": "Filed at the port's counter: the traveler says the seizure was based on the score alone."}
RATIONALE = {"upheld": "The record check and the interview support the decision independently of the score.",
             "modified": "The search stands; the citation is withdrawn as the interview explained the discrepancy.",
             "reversed": "Nothing but the score supported the referral; the traveler's record is to be corrected."}


def _actor(session: Session, username: str) -> Actor:
    return identity.actor_for(session, identity.get_user(session, username))


def _decision(g: random.Random, bid: str, n: int, day: dt.date, subject: str, quiet: bool) -> DecisionIn:
    """One decision of `day` (agency time), built without validation: the demo's own trusted data."""
    kind = g.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
    adverse = kind in BASES
    r = g.random()
    if not adverse and r < 0.03:
        action, reviewer = "none", None
    elif quiet or r < 0.90:
        action, reviewer = "accepted", g.choice(OFFICERS)
    else:
        action, reviewer = ("modified" if r < 0.95 else "overrode"), g.choice(OFFICERS)
    at = dt.datetime.combine(day, dt.time(6), agency_zone()) + dt.timedelta(seconds=g.randrange(15 * 3600))
    score = round(g.random(), 3)
    return DecisionIn.model_construct(
        decision_id=f"CBP-{day.isoformat()}-{n:05d}", use_case=bid, ai_version="targeting-model-4.2", kind=kind,
        subject=subject, ai_output={"risk_score": score, "label": "refer" if score > 0.7 else "clear"},
        reviewer=reviewer, human_action=action,
        rationale={"accepted": "output consistent with the officer's inspection", "modified": "score adjusted after "
                   "the interview", "overrode": "documents in order: referral not warranted",
                   "none": "favourable, no review needed"}[action],
        other_bases=list(BASES.get(kind, [])), decided_at=at.astimezone(dt.UTC), corrects=None,
        notice=None if not adverse or n % NOTICE_GAP == 0 else
        NoticeGivenIn.model_construct(given=True, method=NOTICE_METHODS[n % len(NOTICE_METHODS)]))


def _refused(bid: str, today: dt.date) -> list[DecisionIn]:
    """Attempts the decision rules refuse: a search on the AI alone, a seizure with no other basis, and a search
    reviewed by a trainee who is not on the roster."""
    out = []
    for i in range(24):
        day = today - dt.timedelta(days=3 + i * 3)
        at = dt.datetime.combine(day, dt.time(10), agency_zone()).astimezone(dt.UTC)
        kind, reviewer, action, bases = [("search", None, "none", ["record check"]),
                                         ("seizure", OFFICERS[0], "accepted", []),
                                         ("search", "cbp.trainee", "accepted", ["interview"])][i % 3]
        out.append(DecisionIn.model_construct(
            decision_id=f"CBP-R-{i:03d}", use_case=bid, ai_version="targeting-model-4.2", kind=kind,
            subject=f"T{900000000 + i}", ai_output={"risk_score": 0.93, "label": "refer"}, reviewer=reviewer,
            human_action=action, rationale="", other_bases=bases, decided_at=at, corrects=None))
    return out


def _appeals(session: Session, system: Actor, bid: str, today: dt.date) -> dict:
    """Appeals against adverse decisions of `bid` (APPEALS): filed by the system or by the appeals officer at
    intake, decided 12 days later by the officer, except the last, which waits for the officer."""
    officer = _actor(session, APPEALS_OFFICER)
    uc_id = session.scalar(select(UseCase.id).where(UseCase.business_id == bid))
    made: dict[str, int] = {}
    for back, channel, outcome in APPEALS:
        day = today - dt.timedelta(days=back)
        start = dt.datetime.combine(day, dt.time(0), agency_zone())
        pk = session.scalar(select(Decision.id).where(
            Decision.use_case_id == uc_id, Decision.kind.in_(("search", "seizure", "citation")),
            Decision.decided_at >= start, Decision.decided_at < start + dt.timedelta(days=1)).order_by(Decision.id))
        if pk is None:
            continue
        filed = start.astimezone(dt.UTC) + dt.timedelta(days=3, hours=15)
        appeal, _ = oversight.file_appeal(session, system if channel == "system" else officer, pk, GROUNDS[channel],
                                          now=filed)
        if outcome is not None:
            oversight.decide_appeal(session, officer, appeal.id, outcome, RATIONALE[outcome],
                                    now=filed + dt.timedelta(days=12))
        made[outcome or "open"] = made.get(outcome or "open", 0) + 1
    return made


def _tsa_face_recognition(session: Session, lead: Actor, key: bytes) -> str | None:
    """The first TSA face-recognition use case the packs give U.S. citizens an opt-out from, with five opt-outs."""
    for bid in session.scalars(select(UseCase.business_id).join(OrgUnit, OrgUnit.id == UseCase.org_unit_id)
                               .where(OrgUnit.code == "TSA", UseCase.is_face_recognition,
                                      UseCase.status == UseCaseStatus.ACTIVE).order_by(UseCase.business_id)):
        try:
            for i in range(5):
                oversight.record_opt_out(session, lead, key, bid, f"US-PASSPORT-5{i:08d}")
        except ValidationFailed:
            continue  # law enforcement or no opt-out: the next one
        return bid
    return None


def load_oversight(session: Session, settings: Settings, done: dict, creds: dict) -> dict:
    """The demo's decisions, refusals, alerts and opt-outs; sets ``creds["oversight"]``. Returns what was made."""
    bid = done.get("authorized")
    svc = (creds.get("service_token") or {}).get("username")
    if not bid or not svc or session.scalar(select(func.count()).select_from(Decision)):
        return {}
    started = time.monotonic()
    today = agency_today(settings)
    g = random.Random(SEED)
    key = oversight.load_key(settings.ensure_data_dir())
    lead, system = _actor(session, "cbp.lead"), _actor(session, svc)
    for name in OFFICERS:
        oversight.record_operator(session, lead, bid, name, today - dt.timedelta(days=120), today + dt.timedelta(days=245))
    oversight.set_scale(session, lead, bid, SCALE)
    pending: list[DecisionIn] = []
    made = 0
    for back in range(DAYS, 0, -1):
        day = today - dt.timedelta(days=back)
        n = BUSY if back == BUSY_DAY else PER_DAY
        for i in range(n):
            subject = f"T{g.randrange(10**8, 10**9)}"
            pending.append(_decision(g, bid, i, day, subject, back <= QUIET_FROM))
        if len(pending) >= BATCH or back == 1:
            made += oversight.record_decisions(session, system, key, pending, now=utcnow()).created
            pending = []
    refused = oversight.record_decisions(session, system, key, _refused(bid, today))
    alerts = oversight.evaluate_signals(session, today, Actor.system("demo"))
    appeals = _appeals(session, system, bid, today)
    fr = _tsa_face_recognition(session, _actor(session, "tsa.lead"), key)
    creds["oversight"] = {"use_case": bid, "reviewer": OFFICERS[0], "token": creds["service_token"]["token"]}
    seconds = round(time.monotonic() - started, 1)
    log.info("demo oversight: %d decisions, %d refused, %d alerts, appeals %s in %.1f s", made, len(refused.refusals),
             len(alerts), appeals, seconds)
    return {"use_case": bid, "decisions": made, "refused": len(refused.refusals), "alerts": [a.kind for a in alerts],
            "opt_outs": fr, "appeals": appeals, "seconds": seconds}
