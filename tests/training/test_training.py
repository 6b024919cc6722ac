"""The training ledger on both databases: expiry by months (hand-worked), `current`, recording, the LMS CSV
import (bad lines named, nothing written, dry run, idempotent), the clock's reminders and escalations, and the
workforce table's counts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from raigov.errors import PermissionDenied, ValidationFailed
from raigov.identity.supervisors import import_supervisors, set_supervisor
from raigov.training import service as training
from raigov.training.clock import training_due
from raigov.training.courses import Course
from raigov.training.models import Completion

TODAY = dt.date(2026, 12, 4)


def test_expiry_adds_whole_months_and_keeps_the_last_day_of_short_months():
    yearly, monthly, forever = Course("a", "A", "all", 12), Course("b", "B", "all", 1), Course("c", "C", "all", 0)
    assert yearly.expires_on(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    assert monthly.expires_on(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert monthly.expires_on(dt.date(2026, 12, 15)) == dt.date(2027, 1, 15)
    assert forever.expires_on(dt.date(2026, 1, 1)) is None


@pytest.fixture
def people(db, make_user, actor_of, system):
    make_user("coord", "training_coordinator", password=False)
    make_user("cbp.coord", "training_coordinator@CBP", password=False)
    make_user("ann", "employee", org_unit="CBP", password=False)
    make_user("bob", "employee", org_unit="TSA", password=False)
    make_user("sue", "employee", org_unit="CBP", password=False)
    make_user("lead", "component_ai_lead@CBP", password=False)
    with db.transaction() as s:
        set_supervisor(s, system, "ann", "sue")
    return {u: actor_of(u) for u in ("coord", "cbp.coord", "ann", "lead")}


def _count(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Completion))


def test_record_current_and_scope(db, people):
    with db.transaction() as s:
        row = training.record_completion(s, people["coord"], "ann", "genai-responsible-use", dt.date(2025, 12, 5), TODAY)
        assert row.expires_on == dt.date(2026, 12, 5)
        uid = row.user_id
        assert bool(training.current(s, uid, ["genai-responsible-use"], TODAY))
        # the last day counts; the day after does not
        assert bool(training.current(s, uid, ["genai-responsible-use"], dt.date(2026, 12, 5)))
        c = training.current(s, uid, ["genai-responsible-use", "cui-basics"], dt.date(2026, 12, 6))
        assert not c and c.missing == ("genai-responsible-use", "cui-basics")
        # a CBP coordinator records CBP people only
        training.record_completion(s, people["cbp.coord"], "ann", "cui-basics", TODAY, TODAY)
        with pytest.raises(PermissionDenied):
            training.record_completion(s, people["cbp.coord"], "bob", "cui-basics", TODAY, TODAY)
        with pytest.raises(PermissionDenied):
            training.record_completion(s, people["ann"], "ann", "cui-basics", TODAY, TODAY)
        with pytest.raises(ValidationFailed) as e:
            training.record_completion(s, people["coord"], "ann", "cui-basics", TODAY + dt.timedelta(days=1), TODAY)
        assert e.value.errors[0].field == "completed_on"


CSV_GOOD = (b"username,course,completed_on\n"
            b"ann,ai-awareness,2026-01-10\n"
            b"bob,ai-awareness,2025-11-01\n"
            b"\n"
            b"BOB,genai-responsible-use,2026-06-30\n")
CSV_BAD = (b"username,course,completed_on\n"
           b"ann,ai-awareness,2026-01-10\n"
           b"nobody,ai-awareness,2026-01-10\n"
           b"bob,no-such-course,2026-01-10\n"
           b"bob,ai-awareness,10/01/2026\n"
           b"bob,ai-awareness,2027-01-01\n")


def test_import_names_bad_lines_writes_nothing_then_imports_once(db, people, system):
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        training.import_completions(s, people["coord"], CSV_BAD, TODAY)
    fields = [x.field for x in e.value.errors]
    assert fields == ["line 3, column username", "line 4, column course", "line 5, column completed_on",
                      "line 6, column completed_on"]
    assert _count(db) == 0
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        training.import_completions(s, people["coord"], b"user,course\nann,x\n", TODAY)
    assert e.value.errors[0].field == "line 1" and "username" in e.value.errors[0].message
    with db.transaction() as s:
        dry = training.import_completions(s, people["coord"], CSV_GOOD, TODAY, dry_run=True)
    assert (dry.lines, dry.added, _count(db)) == (3, 3, 0)
    with db.transaction() as s:
        done = training.import_completions(s, people["coord"], CSV_GOOD, TODAY)
        assert done.by_course == {"ai-awareness": 2, "genai-responsible-use": 1}
    with db.transaction() as s:
        again = training.import_completions(s, system, CSV_GOOD, TODAY)
    assert (again.added, again.already, _count(db)) == (0, 3, 3)
    with db.transaction() as s, pytest.raises(PermissionDenied):
        training.import_completions(s, people["lead"], CSV_GOOD, TODAY)


def test_supervisor_import_names_the_line_and_refuses_a_circle(db, people, system):
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        import_supervisors(s, system, b"username,supervisor\nbob,sue\nbob,ghost\nsue,sue\n")
    assert [x.field for x in e.value.errors] == ["line 3, column supervisor", "line 4, column supervisor"]
    with db.transaction() as s, pytest.raises(ValidationFailed):
        set_supervisor(s, system, "sue", "ann")  # ann reports to sue already
    with db.transaction() as s:
        assert import_supervisors(s, system, b"username,supervisor\nbob,sue\n")["lines"] == 1


def test_clock_reminds_before_and_escalates_after_expiry_once_per_event(db, people, settings):
    with db.transaction() as s:
        # ann's course expires in 10 days; bob's expired 3 days ago (supervisor: none -> coordinators)
        training.record_completion(s, people["coord"], "ann", "ai-awareness", dt.date(2025, 12, 14), TODAY)
        training.record_completion(s, people["coord"], "bob", "ai-awareness", dt.date(2025, 12, 1), TODAY)
        training.record_completion(s, people["coord"], "ann", "cui-basics", dt.date(2025, 3, 1), TODAY)  # 2027-03-01
        due = training_due(s, TODAY, settings)
    assert [(n.level, n.object_id.split(".")[1], n.due_on) for n in due] == [
        ("reminder", "ai-awareness", dt.date(2026, 12, 14)), ("escalation", "ai-awareness", dt.date(2026, 12, 1))]
    assert [r.username for r in due[0].recipients] == ["ann"]
    assert [(r.username, r.role) for r in due[1].recipients] == [("bob", "course holder"),
                                                                  ("coord", "training coordinator")]
    with db.transaction() as s:  # ann's supervisor is told once it has lapsed; a new completion ends it
        late = training_due(s, dt.date(2026, 12, 20), settings)
        assert [r.username for r in late[0].recipients] == ["ann", "sue"]
        training.record_completion(s, people["coord"], "bob", "ai-awareness", TODAY, TODAY)
        assert [n.key.split(":")[2] for n in training_due(s, TODAY, settings)] == ["expiring"]


def test_workforce_counts_current_completions_by_component(db, people):
    with db.transaction() as s:
        training.record_completion(s, people["coord"], "ann", "ai-awareness", dt.date(2026, 3, 1), TODAY)
        training.record_completion(s, people["coord"], "bob", "ai-awareness", dt.date(2025, 3, 1), TODAY)  # expired
        data = training.workforce(s, people["coord"], TODAY)
        rows = {r["component"]: r for r in data["rows"]}
        assert rows["CBP"]["people"] == 2 and rows["CBP"]["courses"]["ai-awareness"]["current"] == 1
        assert rows["TSA"]["courses"]["ai-awareness"]["current"] == 0
        lead = {r["component"] for r in training.workforce(s, people["lead"], TODAY)["rows"]}
        assert lead == {"CBP"}
        with pytest.raises(PermissionDenied):
            training.workforce(s, people["ann"], TODAY)
