"""Writing a revision: the summary columns a revision sets on its use case, adding a revision (with its audit event's
content), and the next business id. Used by the import and by create and edit."""

from __future__ import annotations

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from raigov.audit.canonical import state_digest
from raigov.audit.service import record
from raigov.db.base import utcnow
from raigov.inventory import records
from raigov.inventory.models import UseCase, UseCaseRevision
from raigov.inventory.vocab import UseCaseStatus


def revision_event(rev: UseCaseRevision) -> tuple[str, dict, dict]:
    """The action, state and details of a revision's audit event (or of its item in a batch event)."""
    return ("inventory.use_case.revise" if rev.number > 1 else "inventory.use_case.create",
            {"revision": rev.number, "content_hash": rev.content_hash, "schema": rev.schema},
            {"revision": rev.number, "source": rev.source[:200]})


def import_item(rev: UseCaseRevision, business_id: str) -> dict:
    """A batch item: what the revision's own event would have said, with the revision's row id."""
    action, state, details = revision_event(rev)
    return {"action": action, "object_type": "use_case", "object_id": business_id, "revision_id": rev.id,
            "state_digest": state_digest(state), "details": details}


def next_business_id(agency: str, existing) -> str:
    """The agency's next free number. `existing` may be a set or dict of business ids; a dict also
    keeps, under the key (None, prefix), the highest number it has seen, so that an import of
    thousands of new rows stays linear."""
    prefix = f"{agency.upper()}-"
    cache = existing.get((None, prefix)) if isinstance(existing, dict) else None
    if cache is None:
        nums = [int(b[len(prefix):]) for b in existing
                if isinstance(b, str) and b.startswith(prefix) and b[len(prefix):].isdigit()]
        cache = max(nums) if nums else 0
    n = cache + 1
    while f"{prefix}{n:04d}" in existing:
        n += 1
    if isinstance(existing, dict):
        existing[(None, prefix)] = n
    return f"{prefix}{n:04d}"


def apply_summary(uc: UseCase, s: records.Summary) -> None:
    uc.name = s.name[:500]
    uc.stage, uc.impact, uc.topic = (x[:200] if x else None for x in (s.stage, s.impact, s.topic))
    uc.is_cots, uc.is_face_recognition, uc.is_genai = s.is_cots, s.is_face_recognition, s.is_genai
    uc.search_text = f"{uc.business_id} {s.search_text}"
    uc.office = s.bureau[:300] if s.bureau else None
    if s.stage == "Retired" and uc.status != UseCaseStatus.RETIRED:
        uc.status = UseCaseStatus.RETIRED
        uc.retired_at = uc.retired_at or utcnow()
    uc.updated_at = utcnow()


def current_content(session, uc: UseCase) -> tuple[str, dict, dict] | None:
    """(schema, values, extra) of the use case's newest revision (None for a new use case), read without
    loading the earlier revisions."""
    if uc.id is None or "revisions" not in sa_inspect(uc).unloaded:
        return (uc.revisions[-1].schema, uc.revisions[-1].values, uc.revisions[-1].extra) if uc.revisions else None
    row = session.execute(select(UseCaseRevision.schema, UseCaseRevision.values, UseCaseRevision.extra)
                          .where(UseCaseRevision.use_case_id == uc.id)
                          .order_by(UseCaseRevision.number.desc()).limit(1)).first()
    return tuple(row) if row is not None else None


def add_revision(session, uc, actor, schema, values, raw, extra, chash, source, reason, form=None, *,
                  changes: list | None = None) -> UseCaseRevision | None:
    """Append a revision without loading the earlier ones (imports touch thousands of use cases). With
    `changes` (an import), its audit event is left to the end: the revision is added to that list.
    Never a revision with no changed field: when the newest revision says the same
    (``records.same_content``), nothing is written and None is returned."""
    if (uc.revision_count or 0) >= 1:
        current = current_content(session, uc)
        if current is not None and records.same_content(*current, schema, values, extra):
            return None
    uc.revision_count = (uc.revision_count or 0) + 1
    rev = UseCaseRevision(number=uc.revision_count, schema=schema, values=values, raw=dict(raw), extra=dict(extra),
                          content_hash=chash, source=source, source_form=form, reason=reason, created_at=utcnow(),
                          created_by=actor.label)
    if uc.id is None or "revisions" not in sa_inspect(uc).unloaded:
        uc.revisions.append(rev)  # a collection already loaded in this session stays current
    else:
        rev.use_case_id = uc.id
        session.add(rev)
    if changes is not None:
        changes.append((rev, uc.business_id))
        return rev
    action, state, details = revision_event(rev)
    record(  # audit-actions: inventory.use_case.create inventory.use_case.revise
        session, actor, action, "use_case", uc.business_id, state, details)
    return rev
