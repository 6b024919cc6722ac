"""What "today" means: the agency's date, in the agency's time zone (``RAIGOV_AGENCY_TIMEZONE``).

Every deadline the system keeps (a practice's or a review's due date, a waiver's expiry and OMB report,
a pilot's end, evidence expiry, the jobs' notices, a pack in force) is a date of the agency, so each
comparison with "today" uses :func:`agency_today`, never the host's clock (``date.today()``) nor the UTC
date. Instants (``created_at`` and the like) stay UTC (``raigov.db.base.utcnow``). Functions that take a
``today=`` or ``now=`` argument keep it, so tests can fix the clock.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from raigov.config import Settings, get_settings


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def agency_zone(settings: Settings | None = None) -> ZoneInfo:
    """The agency's time zone (the settings validate the name, so this does not fail)."""
    return ZoneInfo((settings or get_settings()).agency_timezone)


def agency_now(settings: Settings | None = None, now: dt.datetime | None = None) -> dt.datetime:
    """``now`` (default: the current instant; a naive value is taken as UTC) in the agency's zone."""
    now = now or _utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(agency_zone(settings))


def agency_today(settings: Settings | None = None, now: dt.datetime | None = None) -> dt.date:
    """The agency's date at ``now`` (default: the current instant)."""
    return agency_now(settings, now).date()
