"""Screening proposals and determinations in the database.

A screen's proposal is stored as such (`screenings`); an official's determination is a separate record
(`determinations`) with its author, time, written reason and the pack version in force. Re-screening
under a new pack version adds a proposal and never touches a determination. Determinations imported
from an agency's file are recorded as the agency's, with their source.

Rules (research/policy.md; M-25-21 §4(a), M-24-10 §5(b)):
- every determination carries a written reason;
- M-25-21: "presumed high-impact but determined not high-impact" goes to the CAIO: made by a delegate it
  waits for the CAIO's confirmation; the CAIO may revisit any determination at any time;
- M-24-10: only the CAIO decides (not a delegate).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.errors import FieldError, PermissionDenied, ValidationFailed
from raigov.identity.permissions import Actor, can, require
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.policy.models import Determination, Screening
from raigov.policy.outcome import INSUFFICIENT, PACK_OF_FRAMEWORK, YEAR_OF_SCHEMA, Precedent, precedent_for, reported_decision
from raigov.policy.packs import current_registry
from raigov.policy.screen import compare_results, screen
from raigov.policy.vocab import DETERMINATION_WORDS, DeterminationStatus

FRAMEWORKS = {
    "M-25-21": {"pack": "omb-m-25-21", "schema": "2025",
                "decisions": {k: DETERMINATION_WORDS[k]
                              for k in ("high-impact", "presumed-not-high-impact", "not-high-impact")}},
    "M-24-10": {"pack": "omb-m-24-10", "schema": "2024",
                "decisions": {k: DETERMINATION_WORDS[k]
                              for k in ("rights-impacting", "safety-impacting", "both", "neither")}},
}
AFFIRMATIVE = {"high-impact", "rights-impacting", "safety-impacting", "both"}
# the agencies' own answers as they appear in the inventory (canonical values) -> our decisions
AGENCY_ANSWERS = {
    ("M-25-21", "High-impact"): "high-impact",
    ("M-25-21", "Presumed High-Impact, but Not High-impact"): "presumed-not-high-impact",
    ("M-25-21", "Not High-impact"): "not-high-impact",
    ("M-24-10", "Rights-Impacting"): "rights-impacting",
    ("M-24-10", "Safety-Impacting"): "safety-impacting",
    ("M-24-10", "Both"): "both",
    ("M-24-10", "Neither"): "neither",
}


def framework_of_schema(schema: str) -> str:
    return "M-24-10" if schema in ("2024", "2023") else "M-25-21"


def _registry():
    return current_registry()


def screen_use_case(session: Session, actor: Actor, business_id: str, pack_ref: str | None = None,
                    today: dt.date | None = None) -> Screening:
    """Screen the use case's current answers and store the proposal (with its trace)."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "policy.use_case.screen", inventory.component_of(uc))
    schema, values = inventory.current_values(uc)
    if schema == "cots-2025":
        raise ValidationFailed.one("use_case", f"{uc.business_id} is a consolidated COTS entry: nothing to screen")
    pack = _registry().get(pack_ref or FRAMEWORKS[framework_of_schema(schema)]["pack"])
    result = screen(values, pack, schema=schema, today=today, precedent=precedent_of(session, uc, pack))
    sc = Screening(use_case_id=uc.id, revision_number=uc.revision_count, pack=pack.key, presumed=result.presumed,
                   outcome=result.outcome, out_of_scope=result.out_of_scope, categories=[f.item for f in result.categories],
                   prohibited=[f.item for f in result.prohibited], result=result.as_dict(trace=True),
                   created_by=actor.label)
    session.add(sc)
    session.flush()
    record(session, actor, "policy.use_case.screen", "use_case", uc.business_id,
           {"pack": pack.key, "presumed": sc.presumed, "categories": sc.categories, "prohibited": sc.prohibited,
            "revision": sc.revision_number, "outcome": sc.outcome},
           {"pack": pack.key, "presumed": sc.presumed, "outcome": sc.outcome, "screening": sc.id})
    return sc


def precedent_of(session: Session, uc: UseCase, pack) -> Precedent | None:
    """The use case's own earlier determination, for its screen under ``pack``: the newest earlier revision
    in an older year's form that reports one (e.g. its 2024 row's M-24-10 answer), else the newest recorded
    determination under the other memo. Never the current revision's own answer (the screen does not read
    the agency's decision on what it screens). M-24-10 categories are mapped through the crosswalk."""
    revs = list(uc.revisions)
    cur_year = YEAR_OF_SCHEMA.get(revs[-1].schema) if revs else None
    reg = _registry()
    for rev in reversed(revs[:-1]):
        year = YEAR_OF_SCHEMA.get(rev.schema)
        if year is None or cur_year is None or year >= cur_year:
            continue
        dec = reported_decision(rev.values, rev.schema)
        if dec is not None:
            return _precedent(reg, pack, dec[0], dec[1], year, f"revision {rev.number} of the {year} inventory",
                              rev.values, rev.schema)
    own = FRAMEWORKS.get(framework_of_schema(revs[-1].schema)) if revs else None
    q = select(Determination).where(Determination.use_case_id == uc.id)
    for d in session.scalars(q.order_by(Determination.id.desc())):
        if own is not None and PACK_OF_FRAMEWORK.get(d.framework) != own["pack"]:
            return _precedent(reg, pack, d.framework, d.decision, d.created_at.year if d.created_at else None,
                              "determination" if d.source == "official" else d.source, None, None)
    return None


def _precedent(reg, pack, framework: str, decision: str, year, source: str, values, schema) -> Precedent:
    cats = None
    old_id = PACK_OF_FRAMEWORK.get(framework)
    if values is not None and old_id and old_id != pack.id and reg.versions(old_id):
        cats = [f.item for f in screen(values, reg.get(old_id), schema=schema, with_trace=False).categories]
    return precedent_for(pack, framework, decision, year=year, source=source, old_categories=cats)


def needing_determination(session: Session, actor: Actor) -> list[tuple[UseCase, Screening]]:
    """Use cases with no determination whose newest screen presumes them or could not run for lack of
    information (``insufficient_information``): each needs an official's determination."""
    out = []
    for uc in inventory.iter_use_cases(session, actor, inventory.UseCaseQuery()):
        sc = latest_screening(session, uc)
        if sc is None or current_determination(session, uc) is not None:
            continue
        if sc.presumed or sc.outcome == INSUFFICIENT:
            out.append((uc, sc))
    return out


def screen_all(session: Session, actor: Actor, pack_ref: str | None = None) -> int:
    """Re-screen every use case (e.g. under a new pack version): new proposals only."""
    n = 0
    for uc in inventory.iter_use_cases(session, actor, inventory.UseCaseQuery()):
        if uc.revisions[-1].schema in ("2025", "2024"):
            screen_use_case(session, actor, uc.business_id, pack_ref)
            n += 1
    return n


def latest_screening(session: Session, uc: UseCase) -> Screening | None:
    return session.scalars(select(Screening).where(Screening.use_case_id == uc.id)
                           .order_by(Screening.id.desc()).limit(1)).first()


def determinations(session: Session, uc: UseCase) -> list[Determination]:
    return list(session.scalars(select(Determination).where(Determination.use_case_id == uc.id)
                                .order_by(Determination.id)).all())


def current_determination(session: Session, uc: UseCase, framework: str | None = None) -> Determination | None:
    q = select(Determination).where(Determination.use_case_id == uc.id)
    if framework:
        q = q.where(Determination.framework == framework)
    return session.scalars(q.order_by(Determination.id.desc()).limit(1)).first()


CAIO_ONLY_FRAMEWORKS = ("M-24-10",)  # M-24-10 §5(b): only the Chief AI Officer determines rights/safety impact


def may_decide(actor: Actor, framework: str) -> bool:
    """May `actor` record a determination under `framework`: ``policy.determination.decide``, and under M-24-10
    only the Chief AI Officer (the page asks this to show the form; ``decide`` enforces it)."""
    return can(actor, "policy.determination.decide") and (framework not in CAIO_ONLY_FRAMEWORKS
                                                          or actor.has_role("caio"))


def decide(session: Session, actor: Actor, business_id: str, decision: str, reason: str,
           framework: str | None = None) -> Determination:
    """The official's determination. See the module docstring for who may decide what."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "policy.determination.decide")  # before any validation: a caller without the right learns nothing more
    schema, _ = inventory.current_values(uc)
    framework = framework or framework_of_schema(schema)
    if framework not in FRAMEWORKS:
        raise ValidationFailed.one("framework", f"one of {', '.join(FRAMEWORKS)}")
    if decision not in FRAMEWORKS[framework]["decisions"]:
        raise ValidationFailed.one("decision", f"under {framework}: one of {', '.join(FRAMEWORKS[framework]['decisions'])}")
    if not (reason or "").strip():
        raise ValidationFailed.one("reason", "a determination needs its written reason", "missing")
    is_caio = actor.has_role("caio")
    if not may_decide(actor, framework):
        raise PermissionDenied("under M-24-10 only the Chief AI Officer determines whether a use case is rights- or "
                               "safety-impacting (M-24-10 §5(b))")
    status = DeterminationStatus.IN_FORCE
    if decision == "presumed-not-high-impact" and not is_caio:
        status = DeterminationStatus.AWAITING_CAIO  # documented to the CAIO, who decides (M-25-21 §4(a))
    sc = latest_screening(session, uc)
    pack = sc.pack if sc is not None else _registry().get(FRAMEWORKS[framework]["pack"]).key
    d = Determination(use_case_id=uc.id, framework=framework, pack=pack, decision=decision, reason=reason.strip(),
                      status=status, source="official", screening_id=sc.id if sc else None, created_by=actor.label)
    session.add(d)
    session.flush()
    record(session, actor, "policy.determination.decide", "use_case", uc.business_id,
           {"framework": framework, "decision": decision, "status": status, "pack": pack, "reason": d.reason},
           {"decision": decision, "status": status, "determination": d.id})
    return d


def confirm(session: Session, actor: Actor, business_id: str, reason: str) -> Determination:
    """The CAIO confirms a determination that waits for them (a new record; the old one stays)."""
    uc = inventory.get_use_case(session, actor, business_id)
    if not actor.has_role("caio"):
        raise PermissionDenied("only the Chief AI Officer confirms a determination sent to them")
    cur = current_determination(session, uc)
    if cur is None or cur.status != DeterminationStatus.AWAITING_CAIO:
        raise ValidationFailed.one("determination", f"{uc.business_id} has no determination waiting for the CAIO")
    return decide(session, actor, business_id, cur.decision, reason, cur.framework)


def record_agency_answers(session: Session, actor: Actor, business_id: str | None = None) -> int:
    """Record the determinations the agency reported in its inventory files, as the agency's, with their
    source; once per revision. Returns how many were recorded."""
    require(actor, "policy.use_case.screen")
    n = 0
    ucs = [inventory.get_use_case(session, actor, business_id)] if business_id else \
        list(inventory.iter_use_cases(session, actor, inventory.UseCaseQuery()))
    for uc in ucs:
        rev = uc.revisions[-1]
        framework = framework_of_schema(rev.schema)
        answer = rev.values.get("is_high_impact" if framework == "M-25-21" else "17_impact_type")
        decision = AGENCY_ANSWERS.get((framework, answer))
        if decision is None or rev.source == "edit":
            continue
        source = f"agency: {rev.source}"[:300]
        if session.scalar(select(Determination.id).where(Determination.use_case_id == uc.id,
                                                          Determination.source == source)):
            continue
        reason = (rev.values.get("HI_justification") if framework == "M-25-21" else None) or "as reported by the agency"
        d = Determination(use_case_id=uc.id, framework=framework, pack=None, decision=decision, reason=str(reason),
                          status=DeterminationStatus.IN_FORCE, source=source, created_by=actor.label)
        session.add(d)
        session.flush()
        record(session, actor, "policy.determination.import", "use_case", uc.business_id,
               {"framework": framework, "decision": decision, "source": source}, {"decision": decision})
        n += 1
    return n


@dataclass
class Disagreement:
    business_id: str
    name: str
    component: str | None
    pack: str
    presumed: bool
    categories: list[str]
    decision: str
    decided_by: str
    source: str


def disagreements(session: Session, actor: Actor) -> list[Disagreement]:
    """Use cases whose newest screen and newest determination disagree: presumed but determined not
    (or not presumed but determined affirmatively)."""
    out = []
    for uc in inventory.iter_use_cases(session, actor, inventory.UseCaseQuery()):
        sc = latest_screening(session, uc)
        d = current_determination(session, uc)
        if sc is None or d is None:
            continue
        affirmative = d.decision in AFFIRMATIVE
        if sc.presumed != affirmative:
            out.append(Disagreement(uc.business_id, uc.name, uc.org_unit.code if uc.org_unit else None, sc.pack,
                                    sc.presumed, list(sc.categories), d.decision, d.created_by, d.source))
    return out


# ---------------------------------------------------------------- a pack change, on the database


@dataclass
class UseCaseChange:
    """One use case whose result would change between two packs (``diff_database``)."""

    business_id: str
    name: str
    component: str | None
    status: str
    schema: str
    presumed_old: bool
    presumed_new: bool
    categories_old: list[str]
    categories_new: list[str]
    categories_added: list[str]
    categories_removed: list[str]
    prohibited_added: list[str]
    prohibited_removed: list[str]
    practices_added: list[str]
    practices_removed: list[str]
    determination: str | None  # the current determination's decision, if any
    determination_framework: str | None
    determination_status: str | None
    determined_by: str | None
    # the new presumption differs from the standing determination while the old one agreed with it
    against_determination: bool


@dataclass
class PolicyDiff:
    old: str  # id@version
    new: str
    screened: int  # use cases screened under both
    skipped: int  # COTS entries and schemas a pack cannot screen
    changes: list[UseCaseChange]


def resolve_packs(registry, old_ref: str, new_ref: str):
    """The two packs of a diff (``PACK`` or ``PACK@VERSION``); a ValidationFailed naming ``old`` and/or ``new``."""
    found, problems = [], []
    for name, ref in (("old", old_ref), ("new", new_ref)):
        ref = (ref or "").strip()
        found.append(registry.get(ref) if ref and ref in registry else None)
        if found[-1] is not None:
            continue
        pack_id = ref.partition("@")[0]
        versions = [p.version for p in registry.versions(pack_id)]
        if not ref:
            problems.append(FieldError(name, "choose a pack version (PACK@VERSION)", "missing"))
        elif versions:
            problems.append(FieldError(name, f"no policy pack {ref!r}; versions of {pack_id}: {', '.join(versions)}"))
        else:
            problems.append(FieldError(name, f"no policy pack {ref!r}; packs: "
                                             f"{', '.join(sorted({p.id for p in registry.packs()}))}"))
    if problems:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in problems), errors=problems)
    return found[0], found[1]


def _screenable(pack, schema: str) -> bool:
    return schema != "cots-2025" and schema in pack.text_fields


def diff_database(session: Session, actor: Actor, old_ref: str, new_ref: str, today: dt.date | None = None,
                  registry=None) -> PolicyDiff:
    """Which use cases the actor may read would get a different result under ``new_ref`` than under
    ``old_ref`` (``PACK`` or ``PACK@VERSION``), with each one's current determination. Screens their current
    answers under both packs in memory: writes nothing (no proposal, no audit event). Comparison as
    ``screen.compare_results`` (the same rule as ``raigov policy diff --inventory``)."""
    require(actor, "inventory.use_case.read")
    registry = registry or _registry()
    old, new = resolve_packs(registry, old_ref, new_ref)
    fw = {spec["pack"]: name for name, spec in FRAMEWORKS.items()}
    framework = fw.get(new.id) or fw.get(old.id)  # None: a DHS or agency pack, any determination
    changes: list[UseCaseChange] = []
    screened = skipped = 0
    for uc in inventory.iter_use_cases(session, actor, inventory.UseCaseQuery()):
        schema, values = inventory.current_values(uc)
        if not (_screenable(old, schema) and _screenable(new, schema)):
            skipped += 1
            continue
        screened += 1
        ra = screen(values, old, schema=schema, today=today, with_trace=False)
        rb = screen(values, new, schema=schema, today=today, with_trace=False)
        ch = compare_results(old, new, ra, rb)
        if ch is None:
            continue
        d = current_determination(session, uc, framework)
        affirmative = d is not None and d.decision in AFFIRMATIVE
        changes.append(UseCaseChange(
            business_id=uc.business_id, name=uc.name, component=uc.org_unit.code if uc.org_unit else None,
            status=uc.status, schema=schema, presumed_old=ch.presumed[0], presumed_new=ch.presumed[1],
            categories_old=ch.categories_old, categories_new=ch.categories_new,
            categories_added=ch.categories_added, categories_removed=ch.categories_removed,
            prohibited_added=ch.prohibited_added, prohibited_removed=ch.prohibited_removed,
            practices_added=ch.practices_added, practices_removed=ch.practices_removed,
            determination=d.decision if d else None, determination_framework=d.framework if d else None,
            determination_status=d.status if d else None, determined_by=d.created_by if d else None,
            against_determination=d is not None and ch.presumed[0] == affirmative and ch.presumed[1] != affirmative))
    return PolicyDiff(old=old.key, new=new.key, screened=screened, skipped=skipped, changes=changes)
