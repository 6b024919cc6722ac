"""The dataset registry: the only code that writes data cards, versions and links to use cases; and its
reads (lists, a data card with its versions, use cases and matching evaluation runs, a use case's datasets,
the data section of its impact assessment).

A version is its file's SHA-256 (the file is not kept): registered with the file, the hash stated must be the
file's, or nothing is written. An evaluation run matches a version when its input's SHA-256 is the version's."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.datasets.models import Dataset, DatasetUseCase, DatasetVersion
from raigov.datasets.schemas import CHARACTERISTICS, PURPOSES, DatasetIn, VersionIn
from raigov.errors import Conflict, NotFound, ValidationFailed
from raigov.identity.permissions import Actor, can, require
from raigov.identity.units import unit_by_code
from raigov.inventory.access import readable
from raigov.inventory.formats import normalize_id
from raigov.inventory.models import UseCase

READ, MANAGE = "datasets.dataset.read", "datasets.dataset.manage"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
CARD_FIELDS = ("owner", "source", "provenance", "collection_method", "starts_on", "ends_on", "pii",
               "protected_characteristics", "pta", "pia", "sorn", "retention", "quality_notes", "known_limits")


def _component(session: Session, code: str | None) -> str | None:
    if not code or not code.strip():
        return None
    unit = unit_by_code(session, code)
    return None if unit.kind == "department" else unit.code


def _card(data: DatasetIn) -> dict:
    """The card's values, checked: the time span in order, known protected characteristics."""
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise ValidationFailed.one("ends_on", "the time span ends before it starts")
    for i, c in enumerate(data.protected_characteristics):
        if c not in CHARACTERISTICS:
            raise ValidationFailed.one(f"protected_characteristics.{i}",
                                       f"not a protected characteristic: {c!r} (known: {', '.join(CHARACTERISTICS)})")
    out = {k: getattr(data, k) for k in CARD_FIELDS}
    out = {k: v.strip() if isinstance(v, str) else v for k, v in out.items()}
    out["protected_characteristics"] = sorted(set(data.protected_characteristics))
    for k in ("owner", "source"):
        if not out[k]:
            raise ValidationFailed.one(k, "required", "missing")
    return out


def create_dataset(session: Session, actor: Actor, data: DatasetIn) -> Dataset:
    component = _component(session, data.component)
    require(actor, MANAGE, component)
    name = " ".join(data.name.split())
    if not name:
        raise ValidationFailed.one("name", "a dataset needs a name", "missing")
    card = _card(data)
    if session.scalar(select(Dataset.id).where(Dataset.name.ilike(name))) is not None:
        raise Conflict(f"name: a dataset named {name!r} is already registered",
                       errors=[ValidationFailed.one("name", f"a dataset named {name!r} is already registered").errors[0]])
    d = Dataset(name=name, component=component, created_by=actor.label, **card)
    session.add(d)
    session.flush()
    record(session, actor, "datasets.dataset.create", "dataset", d.id, {"name": name, **_jsonable(card)},
           {"name": name, "component": component, "pii": card["pii"]})
    return d


def update_dataset(session: Session, actor: Actor, dataset_id: int, data: DatasetIn) -> Dataset:
    """A new data card for the dataset (its name and component stay)."""
    d = _dataset(session, actor, dataset_id, MANAGE, lock=True)
    card = _card(data)
    changed = sorted(k for k, v in card.items() if getattr(d, k) != v)
    for k, v in card.items():
        setattr(d, k, v)
    session.flush()
    record(session, actor, "datasets.dataset.update", "dataset", d.id, {"name": d.name, **_jsonable(card)},
           {"name": d.name, "changed": changed})
    return d


def _jsonable(card: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in card.items()}


def _dataset(session: Session, actor: Actor, dataset_id: int, action: str = READ, lock: bool = False) -> Dataset:
    stmt = select(Dataset).where(Dataset.id == dataset_id)
    d = session.scalar(stmt.with_for_update() if lock else stmt)
    if d is None or not (can(actor, READ, d.component) or can(actor, MANAGE, d.component)):
        raise NotFound(f"no dataset {dataset_id}")
    require(actor, action, d.component)
    return d


def add_version(session: Session, actor: Actor, dataset_id: int, data: VersionIn, content: bytes | None = None) -> DatasetVersion:
    """Register a version by its SHA-256. With the file (`content`), its SHA-256 must be the one stated:
    otherwise nothing is written. The file itself is not kept."""
    d = _dataset(session, actor, dataset_id, MANAGE, lock=True)
    label, sha = data.label.strip(), data.sha256.strip().lower()
    if not label:
        raise ValidationFailed.one("label", "a version needs a label", "missing")
    if not HEX64.match(sha):
        raise ValidationFailed.one("sha256", "64 hexadecimal digits")
    size = None
    if content is not None:
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha:
            raise ValidationFailed.one("file", f"the file's SHA-256 is {actual}, not the {sha} stated: the version is "
                                       "not registered", "hash_mismatch")
        size = len(content)
    if session.scalar(select(DatasetVersion.id).where(DatasetVersion.dataset_id == d.id,
                                                      DatasetVersion.label == label)) is not None:
        raise Conflict(f"label: {d.name} already has a version {label!r}",
                       errors=[ValidationFailed.one("label", f"{d.name} already has a version {label!r}").errors[0]])
    v = DatasetVersion(dataset_id=d.id, label=label, sha256=sha, filename=data.filename.strip(), size=size,
                       note=data.note.strip(), created_by=actor.label)
    session.add(v)
    session.flush()
    record(session, actor, "datasets.version.add", "dataset", d.id, {"label": label, "sha256": sha},
           {"dataset": d.name, "label": label, "sha256": sha, "file_checked": content is not None})
    return v


def link_use_case(session: Session, actor: Actor, dataset_id: int, business_id: str, purpose: str, *,
                  unlink: bool = False) -> DatasetUseCase | None:
    """The use case uses the dataset for `purpose` (training, testing, operation), or no longer does."""
    d = _dataset(session, actor, dataset_id, MANAGE, lock=True)
    if purpose not in PURPOSES:
        raise ValidationFailed.one("purpose", f"one of {', '.join(PURPOSES)}")
    uc = session.scalar(select(UseCase).where(UseCase.business_id == normalize_id(business_id)))
    if uc is None or not readable(session, actor).allows(uc):
        raise ValidationFailed.one("use_case", f"no use case {business_id!r}")
    row = session.scalar(select(DatasetUseCase).where(DatasetUseCase.dataset_id == d.id,
                                                      DatasetUseCase.use_case_id == uc.id, DatasetUseCase.purpose == purpose))
    if unlink:
        if row is None:
            raise ValidationFailed.one("use_case", f"{uc.business_id} does not use {d.name} for {purpose}")
        session.delete(row)
    elif row is not None:
        raise Conflict(f"{uc.business_id} already uses {d.name} for {purpose}")
    else:
        row = DatasetUseCase(dataset_id=d.id, use_case_id=uc.id, purpose=purpose)
        session.add(row)
    session.flush()
    record(session, actor, "datasets.use_case.link", "dataset", d.id,
           {"use_case": uc.business_id, "purpose": purpose, "linked": not unlink},
           {"dataset": d.name, "use_case": uc.business_id, "purpose": purpose, "linked": not unlink})
    return None if unlink else row


def check_manage(session: Session, actor: Actor, dataset_id: int) -> None:
    """May the person change the dataset? Asked before an upload is read (a refused caller's file is never parsed)."""
    _dataset(session, actor, dataset_id, MANAGE)
