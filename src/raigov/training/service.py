"""The training ledger's services (docs/training.md): record a completion (a training coordinator), import an
LMS export (one transaction; errors name the line and column; nothing written on any error), whether a person's
courses are current (`current`, read by the GenAI access rules and anyone else), a person's record, and the
workforce's completion by component and course."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.errors import FieldError, NotFound, ValidationFailed
from raigov.identity.models import OrgUnit, User
from raigov.identity.permissions import Actor, require
from raigov.inventory.access import readable
from raigov.training.courses import Course, course, courses
from raigov.training.models import Completion

__all__ = [
    "IMPORT_COLUMNS",
    "MAX_IMPORT_LINES",
    "Currency",
    "current",
    "import_completions",
    "person_record",
    "record_completion",
    "unit_code",
    "workforce",
]

IMPORT_COLUMNS = ("username", "course", "completed_on")
MAX_IMPORT_LINES = 100_000


@dataclass(frozen=True)
class Currency:
    """Whether a person's courses are current on a day: truthy when none is missing; `missing` the course ids
    never completed or expired (in the order asked)."""

    missing: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return not self.missing


def unit_code(user: User) -> str | None:
    """The component a person belongs to, for the read scope (None: the department's own people)."""
    u = user.org_unit
    return u.code if u is not None and u.kind != "department" else None


def _person(session: Session, username: str, field_name: str = "username") -> User:
    name = (username or "").strip().lower()
    user = session.scalar(select(User).where(User.username == name)) if name else None
    if user is None or user.kind != "person":
        raise NotFound(f"{field_name}: no person {username!r}",
                       errors=[FieldError(field_name, f"no person {username!r}", "not_found")])
    return user


def valid_until(session: Session, user_id: int, course_ids) -> dict[str, dt.date | bool | None]:
    """For each course id, the last day the person's newest completion counts (None: for good; False: never
    completed)."""
    out: dict[str, dt.date | bool | None] = {c: False for c in course_ids}
    rows = session.execute(select(Completion.course_id, Completion.completed_on, Completion.expires_on)
                           .where(Completion.user_id == user_id, Completion.course_id.in_(list(out) or ["-"]))
                           .order_by(Completion.completed_on))
    for cid, _, expires in rows:
        out[cid] = expires  # the newest completion wins
    return out


def current(session: Session, user_id: int, course_ids, today: dt.date) -> Currency:
    """Are the person's completions of `course_ids` current on `today` (the agency's date)? A completion counts
    through its expiry date inclusive. Reads only: no permission (the callers check theirs)."""
    ids = list(dict.fromkeys(course_ids))
    until = valid_until(session, user_id, ids)
    return Currency(tuple(c for c in ids if until[c] is False or (until[c] is not None and until[c] < today)))


def completion_periods(session: Session, usernames, audience: str) -> dict[str, list[tuple[dt.date, dt.date | None]]]:
    """For each person (by user name, lower case), the periods in which their completions of the courses of
    `audience` (courses.yaml: "operators" for the operator roster of high-impact AI) count: (completed on, last
    day; None: for good). Reads only: no permission (the callers check theirs)."""
    names = sorted({str(u).strip().lower() for u in usernames if u})
    ids = [c.id for c in courses().values() if c.audience == audience]
    if not names or not ids:
        return {}
    out: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for name, done, last in session.execute(
            select(User.username, Completion.completed_on, Completion.expires_on)
            .join(Completion, Completion.user_id == User.id)
            .where(User.username.in_(names), Completion.course_id.in_(ids))):
        out[name].append((done, last))
    return dict(out)


def record_completion(session: Session, actor: Actor, username: str, course_id: str, completed_on: dt.date,
                      today: dt.date) -> Completion:
    """A training coordinator records that `username` completed `course_id` on `completed_on` (not after today)."""
    user = _person(session, username)
    require(actor, "training.completion.record", unit_code(user))
    c = course(course_id)
    if completed_on > today:
        raise ValidationFailed.one("completed_on", f"{completed_on.isoformat()} is after today", "future")
    found = session.scalar(select(Completion).where(Completion.user_id == user.id, Completion.course_id == c.id,
                                                    Completion.completed_on == completed_on))
    if found is not None:
        return found
    row = Completion(user_id=user.id, course_id=c.id, completed_on=completed_on, expires_on=c.expires_on(completed_on),
                     source="recorded", recorded_by=actor.label)
    session.add(row)
    session.flush()
    record(session, actor, "training.completion.record", "user", user.username,
           details={"course": c.id, "completed_on": completed_on.isoformat(),
                    "expires_on": row.expires_on.isoformat() if row.expires_on else None})
    return row


@dataclass
class ImportResult:
    lines: int = 0
    added: int = 0
    already: int = 0
    dry_run: bool = False
    sha256: str = ""
    by_course: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"lines": self.lines, "added": self.added, "already_recorded": self.already, "dry_run": self.dry_run,
                "sha256": self.sha256, "by_course": dict(sorted(self.by_course.items()))}


def _parse_rows(data: bytes, today: dt.date) -> tuple[list[tuple[int, str, Course, dt.date]], list[FieldError]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.one("file", f"not valid UTF-8 at byte {exc.start}", "invalid_utf8") from None
    if "\x00" in text:
        raise ValidationFailed.one("file", "binary data (a NUL byte): not a CSV file", "binary")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        raise ValidationFailed.one("line 1", f"the header lacks the column(s) {', '.join(missing)}; "
                                             f"expected {','.join(IMPORT_COLUMNS)}", "header")
    reader.fieldnames = header
    rows, errors = [], []
    for row in reader:
        line = reader.line_num
        if line > MAX_IMPORT_LINES + 1:
            raise ValidationFailed.one("file", f"more than {MAX_IMPORT_LINES:,} lines", "too_long")
        name, cid, when = ((row.get(k) or "").strip() for k in IMPORT_COLUMNS)
        if not (name or cid or when):
            continue
        where = f"line {line}, column "
        c = courses().get(cid)
        if not name:
            errors.append(FieldError(where + "username", "empty", "missing"))
        if c is None:
            errors.append(FieldError(where + "course", f"unknown course {cid!r}", "not_found"))
        try:
            day = dt.date.fromisoformat(when)
            if day > today:
                errors.append(FieldError(where + "completed_on", f"{when} is after today", "future"))
        except ValueError:
            day = None
            errors.append(FieldError(where + "completed_on", f"{when!r} is not a date (YYYY-MM-DD)", "invalid_date"))
        if name and c is not None and day is not None:
            rows.append((line, name.lower(), c, day))
    return rows, errors


def import_completions(session: Session, actor: Actor, data: bytes, today: dt.date, *, dry_run: bool = False) -> ImportResult:
    """Import an LMS CSV export (`username,course,completed_on`, ISO dates). Every line is checked first (the
    person, the course, the date); ValidationFailed lists every bad line and column, and nothing is written.
    A completion already in the ledger is counted, not added again. `dry_run`: check and count only."""
    require(actor, "training.file.import")
    rows, errors = _parse_rows(data, today)
    users = {u.username: u for u in session.scalars(
        select(User).where(User.username.in_(sorted({r[1] for r in rows}) or ["-"]), User.kind == "person"))}
    errors += [FieldError(f"line {line}, column username", f"no person {name!r}", "not_found")
               for line, name, _, _ in rows if name not in users]
    if errors:
        errors.sort(key=lambda e: int(e.field.split(",")[0].split()[1]))
        raise ValidationFailed(f"{len(errors)} error(s) in the file; nothing was imported", errors=errors)
    result = ImportResult(lines=len(rows), dry_run=dry_run, sha256=hashlib.sha256(data).hexdigest())
    have = set(session.execute(select(Completion.user_id, Completion.course_id, Completion.completed_on)
                               .where(Completion.user_id.in_([u.id for u in users.values()] or [-1]))).all())
    for _, name, c, day in rows:
        key = (users[name].id, c.id, day)
        if key in have:
            result.already += 1
            continue
        have.add(key)
        result.added += 1
        result.by_course[c.id] = result.by_course.get(c.id, 0) + 1
        if not dry_run:
            session.add(Completion(user_id=key[0], course_id=c.id, completed_on=day, expires_on=c.expires_on(day),
                                   source="import", recorded_by=actor.label))
    if not dry_run:
        session.flush()
        record(session, actor, "training.file.import", "training_file", result.sha256, details=result.as_dict())
    return result


def person_record(session: Session, user_id: int, today: dt.date) -> list[dict]:
    """Every course with the person's newest completion, its expiry and its state (current, expiring within
    30 days, expired, not taken)."""
    latest: dict[str, Completion] = {}
    for row in session.scalars(select(Completion).where(Completion.user_id == user_id).order_by(Completion.completed_on)):
        latest[row.course_id] = row
    out = []
    for c in courses().values():
        row = latest.get(c.id)
        state = "not taken"
        if row is not None:
            state = ("current" if row.expires_on is None or row.expires_on >= today + dt.timedelta(days=30)
                     else "expiring" if row.expires_on >= today else "expired")
        out.append({"course": c.id, "title": c.title, "audience": c.audience, "state": state,
                    "completed_on": row.completed_on if row else None, "expires_on": row.expires_on if row else None})
    return out


def workforce(session: Session, actor: Actor, today: dt.date) -> dict:
    """Completion by component and course for the people the actor may read (`training.ledger.read`): for each
    component and course, how many active people hold a current completion, out of how many."""
    scope = readable(session, actor, "training.ledger.read")
    if scope.nothing:
        require(actor, "training.ledger.read")
    people = session.execute(select(User.id, func.coalesce(OrgUnit.code, "DHS"))
                             .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
                             .where(User.kind == "person", User.is_active, scope.where_unit(User.org_unit_id))).all()
    unit = dict(people)
    current_rows = session.execute(select(Completion.user_id, Completion.course_id)
                                   .where(Completion.user_id.in_(list(unit) or [-1]),
                                          (Completion.expires_on.is_(None)) | (Completion.expires_on >= today))
                                   .distinct()).all()
    done: dict[tuple[str, str], int] = defaultdict(int)
    for uid, cid in current_rows:
        done[(unit[uid], cid)] += 1
    headcount: dict[str, int] = defaultdict(int)
    for code in unit.values():
        headcount[code] += 1
    rows = [{"component": code, "people": n,
             "courses": {c: {"current": done[(code, c)], "share": (done[(code, c)] / n) if n else 0.0} for c in courses()}}
            for code, n in sorted(headcount.items())]
    totals = {c: sum(done[(code, c)] for code in headcount) for c in courses()}
    return {"today": today.isoformat(), "courses": [{"id": c.id, "title": c.title} for c in courses().values()],
            "rows": rows, "people": len(unit), "totals": totals}
