"""What an agenda item or a decision is about: a use case, a waiver, a policy pack version, a T&E report (an
evaluation run) or other business. ``resolve`` checks the reference exists and that the actor may read it, and
gives the words people read; an unknown reference is a ValidationFailed naming the field, before any write."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from raigov.bodies.vocab import Subject
from raigov.errors import NotFound, PermissionDenied, ValidationFailed
from raigov.evaluation.access import get_run
from raigov.governance.models import Waiver
from raigov.identity.permissions import Actor
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.policy.packs import current_registry


@dataclass(frozen=True)
class Resolved:
    kind: Subject
    ref: str | None
    label: str  # in words
    href: str | None  # where a person reads it
    use_case: UseCase | None = None


def _number(ref: str, field: str, what: str) -> int:
    try:
        n = int(ref)
    except (TypeError, ValueError):
        raise ValidationFailed.one(field, f"the number of a {what}") from None
    if n < 1:
        raise ValidationFailed.one(field, f"the number of a {what}")
    return n


def resolve(session: Session, actor: Actor, kind: str, ref: str | None, field: str = "subject_ref") -> Resolved:
    """The subject `kind` (a raigov.bodies.vocab.Subject) with reference `ref`."""
    try:
        kind = Subject(kind)
    except ValueError:
        raise ValidationFailed.one("subject_kind", f"one of {', '.join(Subject)}") from None
    ref = (ref or "").strip() or None
    if kind == Subject.OTHER:
        return Resolved(kind, None, "Other business", None)
    if ref is None:
        raise ValidationFailed.one(field, "the reference of the subject (a use case's identifier, a waiver's "
                                          "number, a policy pack's id@version or a report's number)")
    if kind == Subject.USE_CASE:
        try:
            uc = inventory.get_use_case(session, actor, ref)
        except (NotFound, PermissionDenied):
            raise ValidationFailed.one(field, f"no use case {ref} that you may read") from None
        return Resolved(kind, uc.business_id, uc.name, f"/inventory/{uc.business_id}/governance", uc)
    if kind == Subject.WAIVER:
        w = session.get(Waiver, _number(ref, field, "waiver"))
        uc = session.get(UseCase, w.use_case_id) if w is not None else None
        if uc is None or not inventory.may_read(actor, uc):
            raise ValidationFailed.one(field, f"no waiver {ref} that you may read")
        return Resolved(kind, str(w.id), f"Waiver of {w.practice_item} for {uc.name}",
                        f"/inventory/{uc.business_id}/governance", uc)
    if kind == Subject.POLICY_PACK:
        if "@" not in ref:
            raise ValidationFailed.one(field, "a policy pack version as id@version")
        try:
            pack = current_registry().get(ref)
        except KeyError:
            raise ValidationFailed.one(field, f"no policy pack version {ref}") from None
        return Resolved(kind, pack.key, f"{pack.title}, version {pack.version}", f"/policy/{pack.key}")
    try:  # a report: an evaluation run the actor may read
        run = get_run(session, actor, _number(ref, field, "test and evaluation report"))
    except (NotFound, PermissionDenied):
        raise ValidationFailed.one(field, f"no test and evaluation report {ref} that you may read") from None
    return Resolved(kind, str(run.id), f"Test and evaluation report on {run.input_filename}", f"/evaluation/runs/{run.id}")
