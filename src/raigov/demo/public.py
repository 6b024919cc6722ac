"""The demo agency's public site (issue #19), made last, through the services as the CAIO's office would: the
accountability reports of the certified year generated (the face recognition and face capture report and the
annual inventory summary, final when generated; the compliance plan with one section written by the office, then
finalised and generated), then one build of the public site (`raigov public build`) from the certified snapshot,
which publishes those reports and the bodies' published decisions. `/public`, `/public/reports` and
`/public/bodies` then show them, and every published file verifies (`raigov public verify`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.config import Settings
from raigov.datacall import publication as datacall_pub
from raigov.disclosure import site
from raigov.disclosure.models import SiteBuild
from raigov.disclosure.reports import service as reports
from raigov.identity import service as identity

# each report in HTML (read for withheld texts before it is published), PDF and DOCX
FORMATS = ("html", "pdf", "docx")
PLAN_NOTE = ("The Chief AI Officer's office keeps the use case inventory in raigov: owners answer OMB's questions, "
             "each component's AI lead certifies the component's answers, and the Chief AI Officer certifies the "
             "department's inventory, which is published with its signed hashes (demo).")


def load_public(session: Session, settings: Settings) -> dict | None:
    """Generate the certified year's reports and publish the public site. Skipped (None) when a build exists or
    nothing is certified; else {"year", "build", "files", "reports"}."""
    if session.scalar(select(func.count()).select_from(SiteBuild)):
        return None
    years = sorted(datacall_pub.certified_years(session))
    if not years:
        return None
    year, today = years[-1], agency_today(settings)
    caio = identity.actor_for(session, identity.get_user(session, "caio"))
    reports.edit_plan(session, caio, year, "inventory", PLAN_NOTE)
    reports.finalise_plan(session, caio, year)
    made = [reports.generate(session, caio, settings, kind, year, fmt, today)[0].id
            for kind in ("fr-fc", "inventory-summary", "compliance-plan") for fmt in FORMATS]
    session.flush()
    res = site.build(session, caio, settings)
    return {"year": year, "build": res.directory, "files": res.files, "reports": len(made)}
