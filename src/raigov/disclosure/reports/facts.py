"""The figures of the reports, read from the platform's tables in a few queries (no writes). Each function
returns plain JSON values (dates as ISO text) so that the figures can be hashed and checked against every
format of the report."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, and_, cast, exists, func, select
from sqlalchemy.orm import Session, aliased

from raigov.clock import agency_zone
from raigov.datacall.models import ReportingCycle
from raigov.evaluation.models import EvaluationRun
from raigov.governance.dashboard import Scope, inventory
from raigov.governance.lanes import config as lanes_config
from raigov.governance.models import Evidence, EvidenceLink, Practice, Review, Waiver
from raigov.governance.vocab import PracticeStatus, WaiverStatus
from raigov.inventory.models import UseCase, UseCaseRevision
from raigov.inventory.vocab import UseCaseStatus
from raigov.oversight.models import DailyCount, OptOut

FR_LANES = ("privacy", "crcl", "ocio")  # D026-11.Review: the Privacy Office, CRCL and the OCIO
DIFFERENTIALS = ("fmr_max_min_ratio", "fnmr_max_min_ratio", "fpir_max_min_ratio", "fnir_max_min_ratio", "garbe")
PURPOSE_FIELDS = ("problem_solved", "purpose_benefits", "intended_purpose")
RETENTION_FIELDS = ("raigov_retention", "retention", "data_retention")


def _answer(values: dict, extra: dict, names: tuple[str, ...]):
    for n in names:
        for src in (values, extra):
            v = src.get(n)
            if v not in (None, ""):
                return v
    return None


def _year_days(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _agency_date(instant: dt.datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(agency_zone()).date().isoformat()


def fr_fc_uses(session: Session, scope: Scope, year: int, today: dt.date) -> list[dict]:
    """Per active face recognition / face capture use case: purpose, the latest bias test (the newest completed
    biometric T&E run, else the newest bias-test evidence), the next re-test due, the Privacy/CRCL/OCIO reviews,
    opt-outs, the year's oversight statistics and retention."""
    ucs = session.execute(scope.where(
        select(UseCase, UseCaseRevision.values, UseCaseRevision.extra)
        .join(UseCaseRevision, and_(UseCaseRevision.use_case_id == UseCase.id,
                                    UseCaseRevision.number == UseCase.revision_count))
        .where(UseCase.is_face_recognition.is_(True), UseCase.status == UseCaseStatus.ACTIVE)
        .order_by(UseCase.id_sort))).all()
    if not ucs:
        return []
    ids = [u.id for u, _, _ in ucs]
    max_age = lanes_config().bias_test_max_age_days
    newer = aliased(EvaluationRun)
    runs = {r.use_case_id: r for r in session.scalars(
        select(EvaluationRun).where(EvaluationRun.use_case_id.in_(ids), EvaluationRun.kind == "biometric",
                                    EvaluationRun.status == "done",
                                    ~exists().where(newer.use_case_id == EvaluationRun.use_case_id,
                                                    newer.kind == "biometric", newer.status == "done",
                                                    newer.id > EvaluationRun.id)))}
    evidence: dict[int, dt.date] = {}
    for uc_id, dated in session.execute(
            select(EvidenceLink.use_case_id, func.max(Evidence.dated_on)).join(Evidence, Evidence.id == EvidenceLink.evidence_id)
            .where(EvidenceLink.use_case_id.in_(ids), Evidence.category == "bias_test").group_by(EvidenceLink.use_case_id)):
        evidence[uc_id] = dated
    reviews: dict[tuple[int, str], dict] = {}
    for r in session.scalars(select(Review).where(Review.use_case_id.in_(ids), Review.lane.in_(FR_LANES))
                             .order_by(Review.cycle, Review.id)):
        reviews[(r.use_case_id, r.lane)] = {"status": r.status, "decided_on": _agency_date(r.decided_at)}
    opt_outs = dict(session.execute(select(OptOut.use_case_id, func.count()).where(OptOut.use_case_id.in_(ids))
                                    .group_by(OptOut.use_case_id)).all())
    first, last = _year_days(year)
    counts: dict[int, dict] = {}
    for uc_id, action, outcome, n in session.execute(
            select(DailyCount.use_case_id, DailyCount.human_action, DailyCount.outcome, func.sum(DailyCount.count))
            .where(DailyCount.use_case_id.in_(ids), DailyCount.day >= first, DailyCount.day <= last)
            .group_by(DailyCount.use_case_id, DailyCount.human_action, DailyCount.outcome)):
        c = counts.setdefault(uc_id, {"recorded": 0, "refused": 0, "reviewed": 0, "overrode": 0})
        c[outcome] = c.get(outcome, 0) + int(n)
        if outcome == "recorded" and action != "none":
            c["reviewed"] += int(n)
            if action == "overrode":
                c["overrode"] += int(n)
    out = []
    for uc, values, extra in ucs:
        run = runs.get(uc.id)
        run_day = _agency_date(run.finished_at or run.created_at) if run else None
        test_day = max(filter(None, [run_day, evidence[uc.id].isoformat() if uc.id in evidence else None]), default=None)
        due = (dt.date.fromisoformat(test_day) + dt.timedelta(days=max_age)) if test_day else None
        diffs = (run.result or {}).get("differentials") or {} if run else {}
        c = counts.get(uc.id, {"recorded": 0, "refused": 0, "reviewed": 0, "overrode": 0})
        out.append({
            "business_id": uc.business_id, "name": uc.name, "component": scope.units.component(uc.org_unit_id),
            "stage": uc.stage, "purpose": _answer(values or {}, extra or {}, PURPOSE_FIELDS),
            "bias_test": {"date": test_day, "run_outcome": run.outcome if run else None,
                          "differentials": {k: diffs[k] for k in DIFFERENTIALS if diffs.get(k) is not None}},
            "next_test_due": due.isoformat() if due else None, "test_overdue": bool(due and due < today),
            "reviews": {lane: reviews.get((uc.id, lane)) for lane in FR_LANES},
            "opt_outs": int(opt_outs.get(uc.id, 0)),
            "oversight": {**c, "override_rate": round(c["overrode"] / c["reviewed"], 4) if c["reviewed"] else None},
            "retention": _answer(values or {}, extra or {}, RETENTION_FIELDS),
        })
    return out


def inventory_counts(session: Session, scope: Scope) -> dict:
    """Active use cases by component, stage and current determination (the dashboard's counts), FR/FC and GenAI."""
    inv = inventory(session, scope)
    flags = session.execute(scope.where(
        select(func.count(), func.sum(cast(UseCase.is_face_recognition, Integer)),
               func.sum(cast(UseCase.is_genai, Integer))).where(UseCase.status == UseCaseStatus.ACTIVE))).one()
    return {"total": inv.total, "drafts": inv.drafts, "awaiting_caio": inv.awaiting_caio,
            "by_component": {r.component: r.total for r in inv.by_component},
            "by_stage": {c.label: c.value for c in inv.by_stage},
            "by_determination": {c.label: c.value for c in inv.by_determination},
            "face_recognition": int(flags[1] or 0), "genai": int(flags[2] or 0)}


def practice_counts(session: Session, scope: Scope) -> dict:
    """Required minimum practices of active use cases, by component and status."""
    out: dict[str, dict[str, int]] = {}
    for unit_id, status, n in session.execute(scope.where(
            select(UseCase.org_unit_id, Practice.status, func.count()).join(UseCase, UseCase.id == Practice.use_case_id)
            .where(Practice.required.is_(True), UseCase.status == UseCaseStatus.ACTIVE)
            .group_by(UseCase.org_unit_id, Practice.status))):
        comp = out.setdefault(scope.units.component(unit_id), dict.fromkeys((s.value for s in PracticeStatus), 0))
        comp[status] = comp.get(status, 0) + n
    return dict(sorted(out.items()))


def active_waivers(session: Session, scope: Scope, today: dt.date) -> list[dict]:
    rows = session.execute(scope.where(
        select(Waiver, UseCase.business_id, UseCase.name, UseCase.org_unit_id).join(UseCase, UseCase.id == Waiver.use_case_id)
        .where(Waiver.status == WaiverStatus.ACTIVE, Waiver.expires_on >= today).order_by(UseCase.id_sort, Waiver.id)))
    return [{"business_id": bid, "name": name, "component": scope.units.component(unit), "practice": w.practice_item,
             "expires_on": w.expires_on.isoformat(), "public_summary": w.public_summary} for w, bid, name, unit in rows]


def data_call(session: Session, year: int) -> dict | None:
    c = session.scalar(select(ReportingCycle).where(ReportingCycle.year == year))
    if c is None:
        return None
    return {"status": c.status, "due_on": c.due_on.isoformat(), "certified_on": _agency_date(c.certified_at),
            "use_cases": c.snapshot_count, "public_use_cases": c.public_count, "snapshot_sha256": c.snapshot_sha256,
            "components_certified": len(c.certifications)}
