"""'Today' is the agency's date (RAIGOV_AGENCY_TIMEZONE), not the UTC date nor the host's clock: at 00:30 UTC
on 1 March it is still 28 February in Honolulu, so a pilot ending on 28 February is still running there."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from raigov.clock import agency_now, agency_today
from raigov.config import Settings, reset_settings
from raigov.governance import service as gov
from tests.governance.test_governance_service import _codes, _gate, _use_case

JUST_AFTER_MIDNIGHT_UTC = dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.UTC)


def test_agency_today_is_the_date_in_the_agency_zone(tmp_path):
    def at(zone):
        return agency_today(Settings(data_dir=tmp_path, agency_timezone=zone), now=JUST_AFTER_MIDNIGHT_UTC)

    assert at("Pacific/Honolulu") == dt.date(2026, 2, 28)
    assert at("America/New_York") == dt.date(2026, 2, 28)
    assert at("UTC") == dt.date(2026, 3, 1)
    assert at("Asia/Tokyo") == dt.date(2026, 3, 1)
    naive = agency_today(Settings(data_dir=tmp_path, agency_timezone="Pacific/Honolulu"), now=dt.datetime(2026, 3, 1, 0, 30))
    assert naive == dt.date(2026, 2, 28)  # a naive instant is UTC
    hnl = agency_now(Settings(data_dir=tmp_path, agency_timezone="Pacific/Honolulu"), now=JUST_AFTER_MIDNIGHT_UTC)
    assert hnl.utcoffset() == dt.timedelta(hours=-10) and hnl.hour == 14


def test_an_unknown_zone_is_refused_not_replaced_by_utc(tmp_path):
    with pytest.raises(ValidationError) as e:
        Settings(data_dir=tmp_path, agency_timezone="Mars/Olympus_Mons")
    assert e.value.errors()[0]["loc"] == ("agency_timezone",)
    assert "IANA time zone" in str(e.value)


@pytest.fixture
def zone(monkeypatch):
    def _set(name: str):
        monkeypatch.setenv("RAIGOV_AGENCY_TIMEZONE", name)
        reset_settings()

    yield _set
    reset_settings()


def test_the_gate_compares_a_pilot_end_with_the_agency_date(db, settings, people, zone):
    bid = _use_case(db, settings, people)
    with db.transaction() as s:
        gov.certify_pilot(s, people["caio"], bid, scale="two lanes at one airport", starts_on=dt.date(2026, 1, 1),
                          ends_on=dt.date(2026, 2, 28), opt_in_out="travelers may opt out at the podium",
                          practices_applied="testing and monitoring")
    zone("Pacific/Honolulu")  # 14:30 on 28 February: the pilot runs, its practices are exempt
    codes = _codes(_gate(db, people["gate"], bid, JUST_AFTER_MIDNIGHT_UTC))
    assert "pilot_expired" not in codes and "practice_not_met" not in codes
    with db.transaction() as s:
        view = gov.governance_view(s, people["caio"], bid, now=JUST_AFTER_MIDNIGHT_UTC)
        assert "pilot_expired" not in {r["code"] for r in view.answer["reasons"]}
    zone("UTC")  # 1 March: the pilot has ended
    codes = _codes(_gate(db, people["gate"], bid, JUST_AFTER_MIDNIGHT_UTC))
    assert "pilot_expired" in codes and "practice_not_met" in codes


def test_practice_due_dates_are_counted_from_the_agency_date(db, settings, people, zone, monkeypatch):
    """A practice is due ``practice_due_days`` after the agency's today (sync), whatever the UTC date is."""
    import raigov.clock as clock

    monkeypatch.setattr(clock, "_utcnow", lambda: JUST_AFTER_MIDNIGHT_UTC)
    zone("Pacific/Honolulu")
    bid = _use_case(db, settings, people)
    with db.transaction() as s:
        due = {p.due_on for p in gov.practices_of(s, people["caio"], bid)}
    assert due == {dt.date(2026, 2, 28) + dt.timedelta(days=gov.config().practice_due_days)}
