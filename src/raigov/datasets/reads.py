"""The dataset registry's reads: the datasets a person may read, one data card with its versions, the use
cases that use it and the evaluation runs whose input matches a version, a use case's datasets, and the
data section of a use case's impact assessment (M-25-21 App. §4(b)(ii)(B)) written from them. Nothing here
writes. Datasets are read with ``datasets.dataset.read`` (or ``.manage``) in their component; runs with the
run read rule (``evaluation.run.read`` or ``.execute`` in the run's component)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.datasets.models import Dataset, DatasetUseCase, DatasetVersion
from raigov.datasets.schemas import CHARACTERISTICS, PURPOSES
from raigov.datasets.service import MANAGE, READ
from raigov.errors import NotFound
from raigov.evaluation.models import EvaluationRun
from raigov.identity.permissions import Actor, can, require
from raigov.inventory.access import readable
from raigov.inventory.models import UseCase

ACTIONS = (READ, MANAGE)
RUN_READ = ("evaluation.run.read", "evaluation.run.execute")


def _scope(session: Session, actor: Actor):
    return readable(session, actor, ACTIONS).where_component(Dataset.component)


def list_datasets(session: Session, actor: Actor) -> list[dict]:
    """The datasets the person may read, by name, with their newest version and how many use cases use them."""
    if not any(can(actor, a) for a in ACTIONS):
        require(actor, READ)
    rows = list(session.scalars(select(Dataset).where(_scope(session, actor)).order_by(Dataset.name)))
    ids = [d.id for d in rows]
    newest: dict[int, DatasetVersion] = {}
    uses: dict[int, set[int]] = {i: set() for i in ids}
    if ids:
        for v in session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id.in_(ids)).order_by(DatasetVersion.id)):
            newest[v.dataset_id] = v
        for did, uid in session.execute(select(DatasetUseCase.dataset_id, DatasetUseCase.use_case_id)
                                        .where(DatasetUseCase.dataset_id.in_(ids))):
            uses[did].add(uid)
    return [{"id": d.id, "name": d.name, "component": d.component, "owner": d.owner, "pii": d.pii,
             "newest_version": newest[d.id].label if d.id in newest else None, "use_cases": len(uses[d.id])}
            for d in rows]


def card(d: Dataset) -> dict:
    return {"id": d.id, "name": d.name, "component": d.component, "owner": d.owner, "source": d.source,
            "provenance": d.provenance, "collection_method": d.collection_method,
            "starts_on": d.starts_on, "ends_on": d.ends_on, "pii": d.pii,
            "protected_characteristics": list(d.protected_characteristics),
            "protected_labels": [CHARACTERISTICS.get(c, c) for c in d.protected_characteristics],
            "pta": d.pta, "pia": d.pia, "sorn": d.sorn, "retention": d.retention,
            "quality_notes": d.quality_notes, "known_limits": d.known_limits}


def runs_matching(session: Session, actor: Actor, hashes: dict[str, str]) -> list[dict]:
    """The evaluation runs the person may read whose input's SHA-256 is one of `hashes` (sha256 -> version label)."""
    if not hashes:
        return []
    scope = readable(session, actor, RUN_READ).where_component(EvaluationRun.component)
    rows = session.execute(select(EvaluationRun.id, EvaluationRun.kind, EvaluationRun.status, EvaluationRun.outcome,
                                  EvaluationRun.input_sha256, EvaluationRun.created_at, UseCase.business_id)
                           .outerjoin(UseCase, UseCase.id == EvaluationRun.use_case_id)
                           .where(EvaluationRun.input_sha256.in_(list(hashes)), scope).order_by(EvaluationRun.id))
    return [{"run": r.id, "kind": r.kind, "status": r.status, "outcome": r.outcome, "input_sha256": r.input_sha256,
             "version": hashes[r.input_sha256], "created_at": r.created_at, "use_case": r.business_id} for r in rows]


def dataset_view(session: Session, actor: Actor, dataset_id: int) -> dict:
    """A data card with its versions (newest first), the use cases using it (that the person may read) and
    the evaluation runs whose input matches a version."""
    d = session.get(Dataset, dataset_id)
    if d is None or not any(can(actor, a, d.component) for a in ACTIONS):
        raise NotFound(f"no dataset {dataset_id}")
    versions = list(session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id == d.id)
                                    .order_by(DatasetVersion.id.desc())))
    ucs = session.execute(select(UseCase.business_id, UseCase.name, DatasetUseCase.purpose)
                          .join(DatasetUseCase, DatasetUseCase.use_case_id == UseCase.id)
                          .where(DatasetUseCase.dataset_id == d.id, readable(session, actor).condition())
                          .order_by(UseCase.business_id, DatasetUseCase.purpose)).all()
    return {**card(d),
            "versions": [{"label": v.label, "sha256": v.sha256, "filename": v.filename, "size": v.size, "note": v.note,
                          "created_at": v.created_at, "created_by": v.created_by} for v in versions],
            "use_cases": [{"id": b, "name": n, "purpose": p, "purpose_label": PURPOSES[p]} for b, n, p in ucs],
            "runs": runs_matching(session, actor, {v.sha256: v.label for v in reversed(versions)}),
            "may_manage": can(actor, MANAGE, d.component)}


def use_case_datasets(session: Session, actor: Actor, use_case_id: int) -> list[dict]:
    """The datasets the person may read that the use case uses, each with its purposes and newest version."""
    if not any(can(actor, a) for a in ACTIONS):
        return []
    rows = session.execute(select(Dataset, DatasetUseCase.purpose)
                           .join(DatasetUseCase, DatasetUseCase.dataset_id == Dataset.id)
                           .where(DatasetUseCase.use_case_id == use_case_id, _scope(session, actor))
                           .order_by(Dataset.name, DatasetUseCase.purpose)).all()
    out: dict[int, dict] = {}
    for d, purpose in rows:
        out.setdefault(d.id, {**card(d), "purposes": []})["purposes"].append(purpose)
    for v in session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id.in_(list(out)))
                             .order_by(DatasetVersion.id)) if out else []:
        out[v.dataset_id]["newest"] = {"label": v.label, "sha256": v.sha256}
    order = list(PURPOSES)
    for x in out.values():
        x["purposes"] = sorted(set(x["purposes"]), key=order.index)
    return list(out.values())


def _span(x: dict) -> str:
    if x["starts_on"] and x["ends_on"]:
        return f"covers {x['starts_on'].isoformat()} to {x['ends_on'].isoformat()}"
    if x["starts_on"]:
        return f"covers from {x['starts_on'].isoformat()}"
    return f"covers until {x['ends_on'].isoformat()}" if x["ends_on"] else "time span not recorded"


def data_paragraph(x: dict) -> str:
    """One dataset of a use case, in the words of the impact assessment's data section."""
    uses = " and ".join(PURPOSES[p].lower() for p in x["purposes"])
    parts = [f"{x['name']} (used for {uses}): owner {x['owner']}; source: {x['source']}"]
    if x["provenance"]:
        parts.append(f"provenance: {x['provenance']}")
    if x["collection_method"]:
        parts.append(f"collected by {x['collection_method']}")
    parts.append(_span(x))
    pii = "holds personally identifiable information" if x["pii"] else "holds no personally identifiable information"
    if x["protected_labels"]:
        pii += "; protected characteristics: " + ", ".join(x["protected_labels"])
    parts.append(pii)
    docs = [f"{k.upper()} {x[k]}" for k in ("pta", "pia", "sorn") if x[k]]
    parts.append("covered by " + ", ".join(docs) if docs else "no PTA, PIA or SORN recorded")
    if x["retention"]:
        parts.append(f"retention: {x['retention']}")
    if x.get("newest"):
        parts.append(f"newest version {x['newest']['label']} (SHA-256 {x['newest']['sha256'][:16]}…)")
    if x["quality_notes"]:
        parts.append(f"quality: {x['quality_notes']}")
    if x["known_limits"]:
        parts.append(f"known limits: {x['known_limits']}")
    return "; ".join(parts) + "."


def assessment_data_section(session: Session, actor: Actor, use_case_id: int) -> str:
    """The impact assessment's section (B), quality and appropriateness of the data (M-25-21 App.
    §4(b)(ii)(B)), pre-filled from the datasets the use case uses (those the person may read); "" when it
    uses none. The governance page offers it when the section is still empty."""
    rows = use_case_datasets(session, actor, use_case_id)
    if not rows:
        return ""
    return "From the dataset registry:\n" + "\n".join(f"- {data_paragraph(x)}" for x in rows)
