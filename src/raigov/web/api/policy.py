"""JSON API for policy: the packs in the registry, the diff of two pack versions over the database, a use
case's stored screening with its determinations, and the official's determination. Thin: every rule is in
raigov.policy.service (and the packs are read from the registry in force, as the policy pages do)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from raigov import flows
from raigov.clock import agency_today
from raigov.errors import FieldError, NotFound
from raigov.identity.permissions import Actor
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from raigov.policy.packs import current_registry
from raigov.web.api.v1 import ERRORS
from raigov.web.deps import api_actor, may, settings_of, uow

router = APIRouter(prefix="/api/v1", tags=["policy"])
ActorDep = Annotated[Actor, Depends(api_actor)]


def _registry():
    return current_registry()


# ---------------------------------------------------------------- packs


class PackSummary(BaseModel):
    id: str
    version: str
    key: str = Field(description="id@version")
    title: str
    status: str
    agency: str | None
    effective_from: dt.date
    effective_until: dt.date | None = Field(description="exclusive; null: open-ended")
    citation: str | None
    in_force: bool = Field(description="in force today")
    item_count: int


class PackItem(BaseModel):
    id: str
    kind: str
    title: str
    citation: str
    status: str
    impact: list[str]
    text: str
    when: dict[str, Any] | None = Field(description="the item's condition, as data (docs/policy.md §2)")
    effect: str | None = None
    timing: str | None = None
    reviewers: list[str] = Field(default_factory=list)


class PackDetail(PackSummary):
    source: dict[str, Any]
    supersedes: list[str]
    versions: list[str] = Field(description="every version of this pack in the registry, oldest first")
    sha256: str
    items: list[PackItem]


def _pack_summary(pack, today: dt.date) -> dict:
    return {"id": pack.id, "version": pack.version, "key": pack.key, "title": pack.title, "status": pack.status,
            "agency": pack.agency, "effective_from": pack.effective_from, "effective_until": pack.effective_until,
            "citation": (pack.source or {}).get("citation"), "in_force": pack.in_force(today),
            "item_count": len(pack.items)}


def _pack_detail(reg, pack, today: dt.date) -> PackDetail:
    items = [PackItem(id=i.id, kind=i.kind, title=i.title, citation=i.citation, status=i.status, impact=list(i.impact),
                      text=i.text, when=i.when, effect=i.effect, timing=i.timing, reviewers=list(i.reviewers))
             for i in pack.items]
    return PackDetail(**_pack_summary(pack, today), source=dict(pack.source or {}),
                      supersedes=list(pack.supersedes), versions=[p.version for p in reg.versions(pack.id)],
                      sha256=pack.digest, items=items)


@router.get("/policy/packs", response_model=list[PackSummary], responses=ERRORS,
            summary="Every pack version in the registry")
def list_packs(request: Request, actor: ActorDep):
    today = agency_today(settings_of(request))
    return [_pack_summary(p, today) for p in _registry().packs()]


@router.get("/policy/packs/{pack_id}", response_model=PackDetail, responses=ERRORS,
            summary="A pack's newest version, with its items")
def get_pack(request: Request, actor: ActorDep, pack_id: str):
    reg = _registry()
    if pack_id not in reg:
        packs = ", ".join(sorted({p.id for p in reg.packs()}))
        raise NotFound(f"no policy pack {pack_id!r}; packs: {packs}",
                       errors=[FieldError("pack_id", f"no policy pack {pack_id!r}", "not_found")])
    return _pack_detail(reg, reg.get(pack_id), agency_today(settings_of(request)))


@router.get("/policy/packs/{pack_id}/{version}", response_model=PackDetail, responses=ERRORS,
            summary="One version of a pack, with its items")
def get_pack_version(request: Request, actor: ActorDep, pack_id: str, version: str):
    reg = _registry()
    versions = [p.version for p in reg.versions(pack_id)]
    if not versions:
        packs = ", ".join(sorted({p.id for p in reg.packs()}))
        raise NotFound(f"no policy pack {pack_id!r}; packs: {packs}",
                       errors=[FieldError("pack_id", f"no policy pack {pack_id!r}", "not_found")])
    if version not in versions:
        raise NotFound(f"no version {version!r} of policy pack {pack_id!r}; versions: {', '.join(versions)}",
                       errors=[FieldError("version", f"no policy pack {pack_id}@{version}", "not_found")])
    return _pack_detail(reg, reg.get(f"{pack_id}@{version}"), agency_today(settings_of(request)))


# ---------------------------------------------------------------- a pack change, over the database


class DiffSide(BaseModel):
    presumed: bool
    categories: list[str]


class DiffDelta(BaseModel):
    categories: list[str] = Field(description="presumption categories (crosswalk-mapped across memos)")
    prohibited: list[str]
    practices: list[str] = Field(description="within one pack only")


class StandingDetermination(BaseModel):
    decision: str
    framework: str
    status: str
    determined_by: str | None


class UseCaseDiff(BaseModel):
    business_id: str
    name: str
    component: str | None
    status: str
    schema_: str = Field(alias="schema")
    old: DiffSide
    new: DiffSide
    added: DiffDelta
    removed: DiffDelta
    determination: StandingDetermination | None = Field(
        description="the current determination (under the pack's framework; any for other packs)")
    against_determination: bool = Field(
        description="the old presumption agreed with the standing determination and the new one would not")
    model_config = ConfigDict(populate_by_name=True)


class DiffCounts(BaseModel):
    screened: int = Field(description="use cases screened under both versions")
    skipped: int = Field(description="COTS entries and forms a pack has no text fields for")
    changed: int
    presumed_gained: int
    presumed_lost: int
    against_determination: int


class PolicyDiffOut(BaseModel):
    old: str = Field(description="id@version")
    new: str = Field(description="id@version")
    source: str = "database"
    changes: list[UseCaseDiff]
    counts: DiffCounts


def _change_out(c: policy.UseCaseChange) -> UseCaseDiff:
    det = None
    if c.determination is not None:
        det = StandingDetermination(decision=c.determination, framework=c.determination_framework or "",
                                    status=c.determination_status or "", determined_by=c.determined_by)
    return UseCaseDiff(
        business_id=c.business_id, name=c.name, component=c.component, status=c.status, schema=c.schema,
        old=DiffSide(presumed=c.presumed_old, categories=c.categories_old),
        new=DiffSide(presumed=c.presumed_new, categories=c.categories_new),
        added=DiffDelta(categories=c.categories_added, prohibited=c.prohibited_added, practices=c.practices_added),
        removed=DiffDelta(categories=c.categories_removed, prohibited=c.prohibited_removed,
                          practices=c.practices_removed),
        determination=det, against_determination=c.against_determination)


@router.get("/policy/diff", response_model=PolicyDiffOut, response_model_by_alias=True, responses=ERRORS,
            summary="Which use cases a change of pack (version) would change; writes nothing")
def diff(request: Request, actor: ActorDep,
         old: Annotated[str, Query(max_length=200, description="PACK@VERSION (or PACK: the newest)")],
         new: Annotated[str, Query(max_length=200, description="PACK@VERSION (or PACK: the newest)")]):
    with uow(request) as s:
        res = policy.diff_database(s, actor, old, new)
    changes = [_change_out(c) for c in res.changes]
    counts = DiffCounts(screened=res.screened, skipped=res.skipped, changed=len(res.changes),
                        presumed_gained=sum(1 for c in res.changes if c.presumed_new and not c.presumed_old),
                        presumed_lost=sum(1 for c in res.changes if c.presumed_old and not c.presumed_new),
                        against_determination=sum(1 for c in res.changes if c.against_determination))
    return PolicyDiffOut(old=res.old, new=res.new, changes=changes, counts=counts)


# ---------------------------------------------------------------- a use case's screening and determinations


class EvidenceOut(BaseModel):
    item: str
    citation: str
    field: str | None
    text: str
    kind: str = Field(description="text (words matched), answer (a structured answer) or precedent (an earlier determination)")
    signal: str | None = None
    start: int | None = None
    end: int | None = None


class FindingOut(BaseModel):
    item: str
    kind: str
    title: str
    citation: str
    status: str
    impact: list[str]
    evidence: list[EvidenceOut]


class TraceOut(BaseModel):
    item: str
    kind: str
    citation: str
    condition: dict[str, Any] | None
    result: bool
    saw: dict[str, Any] | None = Field(description="what each part of the condition saw")


class PrecedentOut(BaseModel):
    year: int | None = Field(description="the year of the inventory (or of the determination) it comes from")
    framework: str = Field(description="M-24-10 or M-25-21")
    determination: str = Field(description="rights-impacting, safety-impacting, both, neither, high-impact, ...")
    source: str = Field(description="an earlier revision, a determination, or the agency's file")
    categories: list[str] = Field(description="the earlier memo's categories its text shows")
    mapped: list[str] = Field(description="those categories in this pack, through the M-24-10 -> M-25-21 crosswalk")
    flags: bool = Field(description="whether it presumes this screen (a rights-, safety- or high-impact determination "
                                    "whose categories the newer memo kept)")


class ScreeningOut(BaseModel):
    id: int
    pack: str = Field(description="id@version")
    revision: int = Field(description="the use case revision screened")
    presumed: bool
    outcome: str = Field(description="presumed, insufficient_information (the answers are too short to screen: "
                                     "see reason and missing) or not_presumed")
    reason: str | None = Field(None, description="insufficient_information: the answers to give, in words")
    missing: list[str] = Field(default_factory=list, description="insufficient_information: those answers' fields")
    could_apply: list[str] = Field(default_factory=list,
                                   description="insufficient_information: categories a part of which was seen")
    precedent: PrecedentOut | None = Field(None, description="the use case's earlier determination, if any")
    out_of_scope: bool
    impacts: list[str]
    categories: list[FindingOut]
    prohibited: list[FindingOut]
    exclusions: list[FindingOut]
    practices: list[FindingOut]
    reviews: list[FindingOut]
    clocks: list[FindingOut]
    evidence: list[EvidenceOut] = Field(description="the evidence of the categories, prohibitions and exclusions")
    trace: list[TraceOut] = Field(description="every item evaluated, in order, with what its condition saw")
    created_at: dt.datetime
    created_by: str


class DeterminationOut(BaseModel):
    id: int
    use_case: str
    framework: str
    decision: str
    decision_label: str
    reason: str
    status: str = Field(description="in_force or awaiting_caio")
    pack: str | None = Field(description="the pack version in force when decided")
    source: str = Field(description="official, or agency: <where the agency reported it>")
    screening_id: int | None
    created_at: dt.datetime
    created_by: str


class UseCaseScreening(BaseModel):
    use_case: str
    framework: str
    screening: ScreeningOut | None = Field(description="the latest stored screening (proposal); null: never screened")
    determinations: list[DeterminationOut] = Field(description="oldest first; the last is the one in force")


def _screening_out(sc) -> ScreeningOut:
    r = sc.result or {}
    groups = {k: r.get(k) or [] for k in ("categories", "prohibited", "exclusions", "practices", "reviews", "clocks")}
    evidence = [e for k in ("categories", "prohibited", "exclusions") for f in groups[k] for e in f.get("evidence", [])]
    if r.get("precedent") and (r["precedent"].get("flags") and not groups["categories"]):
        p = r["precedent"]
        evidence.append({"item": "precedent", "citation": f"{p.get('framework')} determination", "field": "precedent",
                         "text": f"reported {p.get('determination')} ({p.get('source')})", "kind": "precedent"})
    outcome = sc.outcome or ("presumed" if sc.presumed else "not_presumed")
    return ScreeningOut(id=sc.id, pack=sc.pack, revision=sc.revision_number, presumed=sc.presumed, outcome=outcome,
                        reason=r.get("reason"), missing=r.get("missing") or [], could_apply=r.get("could_apply") or [],
                        precedent=r.get("precedent"),
                        out_of_scope=sc.out_of_scope, impacts=r.get("impacts") or [], **groups, evidence=evidence,
                        trace=r.get("trace") or [], created_at=sc.created_at, created_by=sc.created_by)


def _determination_out(business_id: str, d) -> DeterminationOut:
    label = policy.FRAMEWORKS.get(d.framework, {}).get("decisions", {}).get(d.decision, d.decision)
    return DeterminationOut(id=d.id, use_case=business_id, framework=d.framework, decision=d.decision,
                            decision_label=label, reason=d.reason, status=d.status, pack=d.pack, source=d.source,
                            screening_id=d.screening_id, created_at=d.created_at, created_by=d.created_by)


@router.get("/use-cases/{business_id}/screening", response_model=UseCaseScreening, responses=ERRORS,
            summary="The latest stored screening of a use case and its determinations")
def screening(request: Request, actor: ActorDep, business_id: str):

    with uow(request) as s:
        uc = inventory.get_use_case(s, actor, business_id)  # the same read rules as GET /use-cases/{id}
        schema, _ = inventory.current_values(uc)
        sc = policy.latest_screening(s, uc)
        return UseCaseScreening(use_case=uc.business_id, framework=policy.framework_of_schema(schema),
                                screening=_screening_out(sc) if sc is not None else None,
                                determinations=[_determination_out(uc.business_id, d)
                                                for d in policy.determinations(s, uc)])


class DeterminationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: str = Field(max_length=60, description="M-25-21: high-impact, presumed-not-high-impact, "
                          "not-high-impact; M-24-10: rights-impacting, safety-impacting, both, neither")
    reason: str = Field(max_length=20000, description="the written reason (required)")


@router.post("/use-cases/{business_id}/determinations", response_model=DeterminationOut, status_code=201,
             responses=ERRORS, dependencies=[may("policy.determination.decide")],
             summary="Record the official's determination (CAIO or delegate)")
def determine(request: Request, actor: ActorDep, business_id: str, body: DeterminationIn):
    with uow(request) as s:
        d = flows.decide(s, actor, business_id, body.decision, body.reason)  # as the page does
        return _determination_out(inventory.get_use_case(s, actor, business_id).business_id, d)
