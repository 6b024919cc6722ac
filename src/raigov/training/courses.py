"""The courses, as data (training/data/courses.yaml), and their expiry rule. Pure: no database."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

import yaml

from raigov.errors import FieldError, NotFound, ValidationFailed

AUDIENCES = ("all", "genai", "operators")


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    audience: str
    validity_months: int  # 0: never expires

    def expires_on(self, completed_on: dt.date) -> dt.date | None:
        """The last day a completion on `completed_on` counts (None: for good): the same day `validity_months`
        later, or the month's last day when it has no such day (31 January + 1 month: 28 or 29 February)."""
        if not self.validity_months:
            return None
        months = completed_on.month - 1 + self.validity_months
        year, month = completed_on.year + months // 12, months % 12 + 1
        return dt.date(year, month, min(completed_on.day, calendar.monthrange(year, month)[1]))


def parse_courses(data: dict) -> MappingProxyType:
    """Courses by id from the YAML form; ValidationFailed names the course and key."""
    rows = (data or {}).get("courses")
    if not isinstance(rows, dict) or not rows:
        raise ValidationFailed.one("courses", "must list at least one course")
    out = {}
    for cid, c in rows.items():
        where = f"courses.{cid}"
        if not isinstance(c, dict) or not str(c.get("title") or "").strip():
            raise ValidationFailed.one(f"{where}.title", "every course needs a title")
        if c.get("audience") not in AUDIENCES:
            raise ValidationFailed.one(f"{where}.audience", f"one of {', '.join(AUDIENCES)}")
        months = c.get("validity_months")
        if not isinstance(months, int) or isinstance(months, bool) or not 0 <= months <= 120:
            raise ValidationFailed.one(f"{where}.validity_months", "a whole number of months from 0 to 120")
        out[str(cid)] = Course(str(cid), str(c["title"]).strip(), c["audience"], months)
    return MappingProxyType(out)


@functools.cache
def courses() -> MappingProxyType:
    text = resources.files("raigov.training").joinpath("data/courses.yaml").read_text(encoding="utf-8")
    return parse_courses(yaml.safe_load(text))


def course(course_id: str, field: str = "course") -> Course:
    found = courses().get(course_id)
    if found is None:
        msg = f"unknown course {course_id!r}; courses: {', '.join(courses())}"
        raise NotFound(f"{field}: {msg}", errors=[FieldError(field, msg, "not_found")])
    return found
