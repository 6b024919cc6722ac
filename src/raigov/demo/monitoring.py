"""The demo's monitoring: a USCIS use case with a weekly monitor, twelve windows ending yesterday, a drift of
`days_pending` from week 9 and a growing selection-rate gap for one group; the drift's alert is open, an
incident was opened from it and the CAIO suspended the use case, so the gate shows both; a chance alarm of
one week was closed by the CRCL reviewer with a note. Reproducible: the
data are drawn with a fixed seed (the dates follow the day the demo is loaded). Idempotent: skipped when a
monitor exists."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.config import Settings
from raigov.identity import service as identity
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import Actor
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus
from raigov.monitoring import incidents, service
from raigov.monitoring.models import Monitor

SEED = 20261204
WEEKS = 12
DRIFT_FROM = 9


def _frame(g, n: int, week: int | None):
    """Rows of one week (None: the reference): features, a group, the label and the model's decision."""
    import numpy as np

    shift = week is not None and week >= DRIFT_FROM
    gap = 0.0 if week is None else 0.012 * (week - 1)
    group = g.choice(["Group A", "Group B"], n)
    rate = np.where(group == "Group B", 0.5 - gap, 0.5)
    return {"applicant_age": g.normal(38, 12, n).round(0),
            "days_pending": g.gamma(2.0, 18.0 if shift else 10.0, n).round(1),
            "form_type": g.choice(["I-485", "I-130", "N-400", "I-765"], n, p=[0.3, 0.3, 0.25, 0.15]),
            "group": group, "eligible": (g.random(n) < 0.5).astype(int), "approved": (g.random(n) < rate).astype(int)}


def _write(path: Path, cols: dict) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(cols), path)
    return str(path)


def load_monitoring(session: Session, settings: Settings, system: Actor) -> str | None:
    """The demo monitor; returns its use case's id (None when skipped)."""
    import numpy as np

    if session.scalar(select(func.count()).select_from(Monitor)):
        return None
    uc = session.scalar(select(UseCase).join(OrgUnit, OrgUnit.id == UseCase.org_unit_id)
                        .where(OrgUnit.code == "USCIS", UseCase.status == UseCaseStatus.ACTIVE).order_by(UseCase.id)
                        .limit(1))
    if uc is None:
        return None
    today = agency_today(settings)
    first_start = today - dt.timedelta(days=7 * WEEKS)
    g = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        mon = service.create_monitor(
            session, system, uc.business_id, name="Case triage model", reference=_write(Path(tmp) / "ref.parquet",
                                                                                        _frame(g, 5000, None)),
            numeric=["applicant_age", "days_pending"], categorical=["form_type"], cadence="weekly", group="group",
            label="eligible", prediction="approved", starts_on=first_start)
        drift_alert = None
        for week in range(1, WEEKS + 1):
            start = first_start + dt.timedelta(days=7 * (week - 1))
            path = _write(Path(tmp) / f"week{week}.parquet", _frame(g, 1500, week))
            _, alerts = service.ingest_file(session, system, mon.id, path, start, start + dt.timedelta(days=6))
            drift_alert = drift_alert or next((a for a in alerts if a.feature == "days_pending"), None)
    owner = identity.actor_for(session, identity.get_user(session, "uscis.owner"))
    caio = identity.actor_for(session, identity.get_user(session, "caio"))
    inc = incidents.open_incident(
        session, owner, uc.business_id, title="Triage scores shifted with longer pending times",
        what_happened="From week 9 cases pending longer got lower triage priority; the monitor's alert on days_pending "
                      "showed the shift.", severity="high", affected="Applicants whose cases have been pending longest",
        containment="Officers review every case the model ranks last", alert_id=drift_alert.id if drift_alert else None)
    incidents.suspend(session, caio, inc.id, "until the model is retrained on current pending times")
    crcl = identity.actor_for(session, identity.get_user(session, "crcl"))
    for a in service.alerts_of(session, uc.id):  # the others: a chance alarm of one week, closed by a reviewer
        if a.status == "open" and a.feature not in ("days_pending", "selection rate"):
            service.close_alert(session, crcl, a.id, "One week only, within the rate of chance alarms of the rule; "
                                                     "no change in the intake.")
    incidents.add_action(session, owner, inc.id, description="Retrain the triage model on the last 12 weeks",
                         owner="uscis.owner", due_on=today + dt.timedelta(days=21))
    return uc.business_id
