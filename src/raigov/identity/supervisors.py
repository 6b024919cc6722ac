"""Who supervises whom (one supervisor per person): set by an administrator (`identity.supervisor.set`) one at
a time or imported from a CSV of `username,supervisor` lines (one transaction: every line is checked first;
an error names the line and column and nothing is written). GenAI access requests go to the supervisor."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.db.base import utcnow
from raigov.errors import FieldError, NotFound, ValidationFailed
from raigov.identity.models import Supervision, User
from raigov.identity.permissions import Actor, require

__all__ = ["import_supervisors", "reports_of", "set_supervisor", "supervisor_of"]


def _person(session: Session, username: str, field: str) -> User:
    name = (username or "").strip().lower()
    user = session.scalar(select(User).where(User.username == name)) if name else None
    if user is None or user.kind != "person":
        raise NotFound(f"{field}: no person {username!r}", errors=[FieldError(field, f"no person {username!r}", "not_found")])
    return user


def _set(session: Session, actor: Actor, user: User, boss: User | None) -> None:
    row = session.get(Supervision, user.id)
    before = None
    if row is not None:
        before = session.get(User, row.supervisor_id).username
        if boss is None:
            session.delete(row)
    if boss is not None:
        if row is None:
            row = Supervision(user_id=user.id, supervisor_id=boss.id, set_by=actor.label)
            session.add(row)
        else:
            row.supervisor_id, row.set_by, row.set_at = boss.id, actor.label, utcnow()
    session.flush()
    record(session, actor, "identity.supervisor.set", "user", user.username,
           details={"supervisor": boss.username if boss else None, "before": before})


def set_supervisor(session: Session, actor: Actor, username: str, supervisor: str | None) -> None:
    """Make `supervisor` (None: nobody) the supervisor of `username`. A person never supervises themselves,
    nor someone above them (no cycle)."""
    require(actor, "identity.supervisor.set")
    user = _person(session, username, "username")
    boss = _person(session, supervisor, "supervisor") if supervisor else None
    _check_cycle(session, user, boss, "supervisor")
    _set(session, actor, user, boss)


def _check_cycle(session: Session, user: User, boss: User | None, field: str) -> None:
    seen, cur = {user.id}, boss
    while cur is not None:
        if cur.id in seen:
            raise ValidationFailed.one(field, f"{user.username} cannot be supervised by {boss.username}: "
                                              "that would make a circle of supervisors", "cycle")
        seen.add(cur.id)
        row = session.get(Supervision, cur.id)
        cur = session.get(User, row.supervisor_id) if row else None


def supervisor_of(session: Session, user_id: int) -> User | None:
    row = session.get(Supervision, user_id)
    return session.get(User, row.supervisor_id) if row else None


def reports_of(session: Session, supervisor_id: int) -> list[User]:
    """The people `supervisor_id` supervises, by username."""
    return list(session.scalars(select(User).join(Supervision, Supervision.user_id == User.id)
                                .where(Supervision.supervisor_id == supervisor_id).order_by(User.username)))


def import_supervisors(session: Session, actor: Actor, data: bytes, *, dry_run: bool = False) -> dict:
    """Set supervisors from CSV (header `username,supervisor`; an empty supervisor clears it). Every line is
    checked before anything is written; ValidationFailed lists each bad line (``line 3, column supervisor``)."""
    require(actor, "identity.supervisor.set")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.one("file", f"not valid UTF-8 at byte {exc.start}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("username", "supervisor") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed.one("line 1", f"the header lacks the column(s) {', '.join(missing)}")
    errors, pairs = [], []
    for row in reader:
        line = reader.line_num
        try:
            user = _person(session, row.get("username") or "", "username")
            boss = _person(session, row["supervisor"], "supervisor") if (row.get("supervisor") or "").strip() else None
            if boss is not None and boss.id == user.id:
                raise ValidationFailed.one("supervisor", "a person cannot supervise themselves")
            pairs.append((user, boss))
        except (NotFound, ValidationFailed) as exc:
            errors += [FieldError(f"line {line}, column {e.field}", e.message, e.code) for e in exc.errors]
    if errors:
        raise ValidationFailed(f"{len(errors)} error(s); nothing was written", errors=errors)
    if not dry_run:
        for user, boss in pairs:
            _check_cycle(session, user, boss, f"supervisor of {user.username}")
            _set(session, actor, user, boss)
    return {"lines": len(pairs), "dry_run": dry_run}
