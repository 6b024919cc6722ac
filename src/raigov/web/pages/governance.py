"""Governance pages: a use case's reviews, practices, evidence, impact assessment, risk acceptance, waivers
and pilot, with the gate's answer; the review queue. Every form posts to a route that calls one service
function; the rules (separation of duties, CAIO-only, evidence before done) live in the service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from raigov import flows
from raigov.clock import agency_today
from raigov.datasets.reads import assessment_data_section
from raigov.errors import RaigovError, ValidationFailed
from raigov.governance import service as gov
from raigov.governance.lanes import config
from raigov.governance.vocab import PracticeStatus, ReviewStatus
from raigov.identity import service as identity
from raigov.policy.vocab import determination_words
from raigov.web import flash
from raigov.web.api.governance import evidence_response
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.form_state import form_states, refusal_errors, said_back
from raigov.web.params import Flag, RowId, form_int
from raigov.web.templating import render
from raigov.web.uploads import UploadLimit

router = APIRouter(include_in_schema=False)
STATUS_LABELS = {ReviewStatus.OPEN: "Open", ReviewStatus.CHANGES_REQUESTED: "Changes requested",
                 ReviewStatus.APPROVED: "Approved", ReviewStatus.APPROVED_WITH_CONDITIONS: "Approved with conditions",
                 ReviewStatus.DENIED: "Denied", ReviewStatus.WITHDRAWN: "Withdrawn", "missing": "Not opened"}
PRACTICE_LABELS = {PracticeStatus.NOT_STARTED: "Not started", PracticeStatus.IN_PROGRESS: "In progress",
                   PracticeStatus.DONE: "Done", PracticeStatus.WAIVED: "Waived",
                   PracticeStatus.NOT_APPLICABLE: "Not applicable"}


COMMENT_WORDS = {"comment": "comment", "request_changes": "asked for changes", "decision": "decision",
                 "assign": "assignment"}
BASIS_WORDS = {"determination": "the determination", "awaiting CAIO": "the determination waiting for the Chief AI Officer",
               "screen": "raigov's screen, until a determination is made", "none": "nothing yet: no determination nor screen",
               "insufficient information": "nothing yet: the screen had too little information and no determination is made"}
SECTIONS = ("reviews", "practices", "evidence", "assessment", "risk", "waivers", "pilot")


flash.register({
    "gov.submitted": "Submitted: screened and sent to its reviews.",
    "gov.refreshed": "Requirements refreshed: the reviews and practices it now needs are open.",
    "gov.refreshed_nothing": "Requirements refreshed: nothing new was needed.",
    "gov.decided": "Review decision recorded.",
    "gov.commented": "Comment added.",
    "gov.assigned": "Review assigned.",
    "gov.condition_closed": "Condition closed.",
    "gov.practice_updated": "Practice updated.",
    "gov.evidence_attached": "Evidence attached.",
    "gov.assessment_saved": "Impact assessment saved as a new version.",
    "gov.risk_accepted": "Risk acceptance signed.",
    "gov.waiver_granted": "Waiver granted: report it to OMB within 30 days.",
    "gov.waiver_revoke": "Waiver revoked.",
    "gov.waiver_certify": "Waiver re-certified.",
    "gov.waiver_reported": "Waiver marked as reported to OMB.",
    "gov.pilot_certified": "Pilot certified.",
    "gov.pilot_ended": "Pilot ended.",
})


def _back(business_id: str, anchor: str = "", *, done: str | None = None):
    """Back to the page after a change, with the section of `anchor` open and the change's banner (`done`)."""
    url = f"/inventory/{quote(business_id)}/governance"
    section = "reviews" if anchor.startswith("review") else anchor
    params = f"open={quote(section)}" if section in SECTIONS else ""
    params = params.lstrip("&")
    url += f"?{params}" if params else ""
    if done:
        url = flash.done_url(url, done)
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


# the forms' questions, for a refusal that names its field by key (a field the refused form does not show)
FIELD_WORDS = {"reuse": "The number of evidence already on file", "version": "The review's version",
               "reason": "The reason", "expires_on": "The expiry date", "password": "Your password",
               "assignee": "The reviewer", "decision": "The decision", "status": "The status"}


def _refused(request: Request, business_id: str, anchor: str = "", *, error: RaigovError, act: str = "", form=None):
    """The page again, answered at once (no redirect): each of the service's errors at its form's field with what
    was typed kept, a summary at the top linking to them, the section of `anchor` and the form `act` open. The
    message is never put in the URL, so no link can put words on the page."""
    section = "reviews" if anchor.startswith("review") else anchor
    status = error.status if error.status in (403, 404, 409) else 422
    errors, values = refusal_errors(error), said_back(form)
    return _page(request, business_id, errors=errors, values=values,
                 section=section if section in SECTIONS else None, act=act, status=status)


def _summaries(v, reviews: list[dict]) -> dict[str, str]:
    """One line per section, read with the sections closed."""
    undecided = sum(1 for rv in reviews if rv["r"] is None or rv["r"].status in ("open", "changes_requested"))
    required = [p for p in v.practices if p.required]
    met = sum(1 for p in required if p.status in ("done", "waived", "not_applicable"))
    ra = v.risk_acceptance
    return {
        "reviews": (f"{len(reviews)} review{'s' if len(reviews) != 1 else ''}; {undecided} not decided yet."
                    if reviews else "No review is required."),
        "practices": (f"{met} of {len(required)} required practices met." if required else "No practice is required."),
        "evidence": (f"{len(v.evidence)} item{'s' if len(v.evidence) != 1 else ''} of evidence."
                     if v.evidence else "No evidence yet."),
        "assessment": (f"Version {v.assessment.number}." if v.assessment else "No impact assessment yet."),
        "risk": ("Not signed." if ra is None else "Signed, on the current version." if v.risk_acceptance_state == "current"
                 else "Signed on an older version: to sign again."),
        "waivers": f"{len(v.waivers)} waiver(s)." if v.waivers else "No waiver.",
        "pilot": f"{len(v.pilots)} pilot(s)." if v.pilots else "No pilot.",
    }


def _labels(v, reviews: list[dict]) -> set[str]:
    """The actor labels the page names, to show each person by their name."""
    labels = {x for rv in reviews if rv["r"] for x in (rv["r"].decided_by, *(c.author for c in rv["r"].comments),
                                                     *(c.closed_by for c in rv["r"].conditions))}
    labels |= {ev.owner for _, ev in v.evidence} | {p.certified_by for p in v.pilots}
    labels |= {c.get("author") for c in (v.package or {}).get("independent_review", [])}
    labels |= {x.created_by if x is v.assessment else x.accepted_by for x in (v.assessment, v.risk_acceptance) if x}
    return {x for x in labels if x}


def _date(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.one(field, "a date as YYYY-MM-DD") from None


async def _form(request: Request):
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    return form


def gate_view(s, actor, uc) -> dict | None:
    """The gate's answer for the use case page (None when the reader may not ask the gate)."""
    return gov.use_case_gate(s, actor, uc)


@router.get("/inventory/{business_id}/governance")
def page(request: Request, business_id: str, section: Annotated[str | None, Query(alias="open", max_length=20)] = None,
         act: Annotated[str | None, Query(max_length=40)] = None):
    return _page(request, business_id, section=section, act=act)


def _page(request: Request, business_id: str, *, errors: dict[str, str] | None = None, values: dict | None = None,
          section: str | None = None, act: str | None = None, status: int = 200):
    """The governance page; after a refused action (`_refused`), with its error at the field and status 422."""
    actor = require_page_actor(request)
    form, shown = form_states(act or "", errors or {}, values or {})
    with uow(request) as s:
        v = gov.governance_view(s, actor, business_id)
        reviews = [{"lane": ln.lane, "title": ln.title, "required": ln.required, "because": ln.because, "r": ln.review,
                    "status": STATUS_LABELS.get(ln.status, ln.status), "can_decide": ln.can_decide,
                    "refusal": ln.refusal, "can_assign": ln.can_assign, "can_close_conditions": ln.can_close_conditions}
                   for ln in v.lanes]
        for rv in reviews:  # the assignment form's choices: the people the service would accept
            rv["reviewers"] = gov.eligible_reviewers(s, actor, rv["r"].id) if rv["can_assign"] and rv["r"] else []
        by_practice: dict[int | None, list] = {}
        for link, ev in v.evidence:
            by_practice.setdefault(link.practice_id, []).append(ev)
        det = v.determination
        ctx = {
            "names": identity.display_names(s, _labels(v, reviews)),
            "nav": "inventory", "uc": v.use_case, "component": v.component, "req": v.requirements, "answer": v.answer,
            "reviews": reviews, "practices": v.practices, "practice_labels": PRACTICE_LABELS, "by_practice": by_practice,
            "evidence": v.evidence, "categories": gov.EVIDENCE_CATEGORIES, "sections": gov.ASSESSMENT_SECTIONS,
            "assessment": v.assessment, "package": v.package, "risk_acceptance": v.risk_acceptance,
            "ra_state": v.risk_acceptance_state, "waivers": v.waivers, "pilots": v.pilots,
            "grounds": gov.WAIVER_GROUNDS, "determination": det,
            "determination_words": determination_words, "summary": _summaries(v, reviews),
            "open_section": section if section in SECTIONS else None, "act": act or "", "status_labels": STATUS_LABELS,
            "comment_words": COMMENT_WORDS, "basis_words": BASIS_WORDS,
            "errors": errors or {}, "form": form, "shown": shown, "field_words": FIELD_WORDS, "flash": flash.banner(request),
            "today": agency_today(settings_of(request)).isoformat(),
            "can_update": v.can_update, "can_attach": v.can_attach, "can_accept": v.can_accept, "is_caio": v.is_caio,
            "can_sync": v.can_sync, "can_submit": v.can_submit, "can_comment": v.can_comment,
            # the data section (B) pre-filled from the datasets the use case uses (raigov.datasets)
            "prefill": {"B_data_model_quality": assessment_data_section(s, actor, v.use_case.id) if v.can_update else ""},
        }
        return render(request, "governance/use_case.html", ctx, status)  # inside the session: the page reads relations


@router.post("/inventory/{business_id}/governance/submit")
async def submit(request: Request, business_id: str):
    actor = require_page_actor(request)
    await _form(request)
    try:
        with uow(request) as s:
            flows.submit(s, actor, business_id)
    except RaigovError as exc:
        return _refused(request, business_id, error=exc)
    return _back(business_id, done="gov.submitted")


@router.post("/inventory/{business_id}/governance/sync")
async def sync(request: Request, business_id: str):
    actor = require_page_actor(request)
    await _form(request)
    try:
        with uow(request) as s:
            added = gov.sync(s, actor, business_id)
    except RaigovError as exc:
        return _refused(request, business_id, error=exc)
    return _back(business_id, done="gov.refreshed" if added["reviews"] or added["practices"] else "gov.refreshed_nothing")


def _review_bid(request: Request, review_id: int) -> str:
    actor = require_page_actor(request)
    with uow(request) as s:
        return gov.review_use_case(s, actor, review_id).business_id


@router.post("/reviews/{review_id}/decide")
async def decide(request: Request, review_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    bid = _review_bid(request, review_id)
    conditions = [ln for ln in (form.get("conditions") or "").splitlines() if ln.strip()]
    version = form.get("version")
    try:
        with uow(request) as s:
            gov.decide(s, actor, review_id, form.get("decision") or "", form.get("reason") or "", conditions,
                       form_int(version, "version"))
    except RaigovError as exc:
        return _refused(request, bid, f"review-{review_id}", error=exc, act=f"decide-{review_id}", form=form)
    return _back(bid, f"review-{review_id}", done="gov.decided")


@router.post("/reviews/{review_id}/comment")
async def comment(request: Request, review_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    bid = _review_bid(request, review_id)
    try:
        with uow(request) as s:
            if form.get("resubmit"):
                gov.resubmit(s, actor, review_id, form.get("body") or "")
            else:
                gov.comment(s, actor, review_id, form.get("body") or "")
    except RaigovError as exc:
        return _refused(request, bid, f"review-{review_id}", error=exc, act=f"comment-{review_id}", form=form)
    return _back(bid, f"review-{review_id}", done="gov.commented")


@router.post("/reviews/{review_id}/assign")
async def assign(request: Request, review_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    bid = _review_bid(request, review_id)
    try:
        with uow(request) as s:
            gov.assign(s, actor, review_id, (form.get("username") or "").strip() or None)
    except RaigovError as exc:
        return _refused(request, bid, f"review-{review_id}", error=exc, act=f"assign-{review_id}", form=form)
    return _back(bid, f"review-{review_id}", done="gov.assigned")


@router.post("/conditions/{condition_id}/close")
async def close_condition(request: Request, condition_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    bid = form.get("business_id") or ""
    try:
        with uow(request) as s:
            gov.close_condition(s, actor, condition_id, form.get("note") or "")
    except RaigovError as exc:
        return _refused(request, bid, "reviews", error=exc, act=f"close-{condition_id}", form=form)
    return _back(bid, "reviews", done="gov.condition_closed")


@router.post("/inventory/{business_id}/practices")
async def update_practice(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await _form(request)
    item = form.get("item") or ""
    version = form.get("version")
    try:
        with uow(request) as s:
            gov.update_practice(s, actor, business_id, item, status=form.get("status") or None,
                                reason=form.get("reason"), owner=form.get("owner") if form.get("owner") is not None else None,
                                due_on=_date(form.get("due_on"), "due_on"),
                                expected_version=form_int(version, "version"))
    except RaigovError as exc:
        return _refused(request, business_id, "practices", error=exc, act=f"practice-{item}", form=form)
    return _back(business_id, "practices", done="gov.practice_updated")


@router.post("/inventory/{business_id}/evidence")
async def add_evidence(request: Request, business_id: str, limit: UploadLimit):
    actor = require_page_actor(request)
    settings = settings_of(request)
    with uow(request) as s:  # before the body is read: a refused caller's upload is never parsed or kept
        gov.check_attach(s, actor, business_id)
    form = await _form(request)
    upload = form.get("file")
    try:
        kw = {"title": form.get("title") or "", "category": form.get("category") or "",
                  "dated_on": _date(form.get("dated_on"), "dated_on"), "expires_on": _date(form.get("expires_on"), "expires_on"),
                  "practice": form.get("practice") or None}
        data = None
        if upload is not None and getattr(upload, "filename", ""):
            data = await upload.read(limit + 1)
        with uow(request) as s:
            if form.get("reuse"):
                gov.link_evidence(s, actor, form_int(form.get("reuse"), "reuse", lo=1), business_id, kw["practice"])
            elif data is not None:
                gov.add_file(s, actor, settings, business_id, data, filename=upload.filename, **kw)
            else:
                gov.add_link(s, actor, business_id, url=form.get("url") or "", **kw)
    except RaigovError as exc:
        return _refused(request, business_id, "evidence", error=exc, act="attach", form=form)
    except ValueError:
        return _refused(request, business_id, "evidence", error=ValidationFailed.one("reuse", "an evidence number"), act="attach",
                        form=form)
    return _back(business_id, "evidence", done="gov.evidence_attached")


@router.get("/evidence/{evidence_id}/download")
def download(request: Request, evidence_id: RowId):
    actor = require_page_actor(request)
    with uow(request) as s:
        ev = gov.get_evidence(s, actor, evidence_id)
        if ev.kind != "file":
            return RedirectResponse(ev.url, status_code=303)
        return evidence_response(gov.evidence_store(settings_of(request)).get(ev.sha256), ev)


@router.post("/inventory/{business_id}/assessment")
async def save_assessment(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await _form(request)
    try:
        with uow(request) as s:
            gov.save_assessment(s, actor, business_id, {k: form.get(k) or "" for k in gov.ASSESSMENT_SECTIONS})
    except RaigovError as exc:
        return _refused(request, business_id, "assessment", error=exc, act="assessment-edit", form=form)
    return _back(business_id, "assessment", done="gov.assessment_saved")


@router.post("/inventory/{business_id}/accept-risk")
async def accept_risk(request: Request, business_id: str):
    """The signature: the official types their password again; the service records the SHA-256 of the exact
    package they were shown."""

    actor = require_page_actor(request)
    form = await _form(request)
    try:
        with uow(request) as s:
            identity.authenticate_password(s, actor.username, form.get("password") or "", settings_of(request),
                                           request.client.host if request.client else None)
    except RaigovError:
        return _refused(request, business_id, "risk", error=ValidationFailed.one(
            "password", "the password did not match: the risk acceptance was not signed"), act="accept", form=form)
    try:
        with uow(request) as s:
            gov.accept_risk(s, actor, business_id, form.get("statement") or "",
                            package_sha256=form.get("package_sha256") or "", method="password re-entered")
    except RaigovError as exc:
        return _refused(request, business_id, "risk", error=exc, act="accept", form=form)
    return _back(business_id, "risk", done="gov.risk_accepted")


@router.post("/inventory/{business_id}/waivers")
async def grant_waiver(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await _form(request)
    try:
        expires = _date(form.get("expires_on"), "expires_on")
        if expires is None:
            raise ValidationFailed.one("expires_on", "a waiver needs its expiry date", "missing")
        with uow(request) as s:
            gov.grant_waiver(s, actor, business_id, form.get("practice") or "", grounds=form.get("grounds") or "",
                             determination=form.get("determination") or "",
                             risk_assessment=form.get("risk_assessment") or "",
                             public_summary=form.get("public_summary") or "", expires_on=expires)
    except RaigovError as exc:
        return _refused(request, business_id, "waivers", error=exc, act="grant-waiver", form=form)
    return _back(business_id, "waivers", done="gov.waiver_granted")


@router.post("/waivers/{waiver_id}/{action}")
async def waiver_action(request: Request, waiver_id: RowId, action: str):
    actor = require_page_actor(request)
    form = await _form(request)
    bid = form.get("business_id") or ""
    try:
        with uow(request) as s:
            if action == "revoke":
                gov.revoke_waiver(s, actor, waiver_id, form.get("reason") or "")
            elif action == "certify":
                gov.certify_waiver(s, actor, waiver_id, form.get("note") or "")
            elif action == "reported":
                gov.mark_waiver_reported(s, actor, waiver_id)
            else:
                raise ValidationFailed.one("action", "revoke, certify or reported")
    except RaigovError as exc:
        return _refused(request, bid, "waivers", error=exc, act=f"{action}-{waiver_id}", form=form)
    return _back(bid, "waivers", done=f"gov.waiver_{action}")


@router.post("/inventory/{business_id}/pilot")
async def certify_pilot(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await _form(request)
    try:
        starts, ends = _date(form.get("starts_on"), "starts_on"), _date(form.get("ends_on"), "ends_on")
        if starts is None or ends is None:
            raise ValidationFailed.one("ends_on" if starts else "starts_on", "a pilot needs its dates", "missing")
        mp = form.get("max_participants")
        with uow(request) as s:
            gov.certify_pilot(s, actor, business_id, scale=form.get("scale") or "", starts_on=starts, ends_on=ends,
                              opt_in_out=form.get("opt_in_out") or "", practices_applied=form.get("practices_applied") or "",
                              max_participants=form_int(mp, "max_participants"))
    except RaigovError as exc:
        return _refused(request, business_id, "pilot", error=exc, act="certify-pilot", form=form)
    return _back(business_id, "pilot", done="gov.pilot_certified")


@router.post("/pilots/{pilot_id}/end")
async def end_pilot(request: Request, pilot_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    bid = form.get("business_id") or ""
    try:
        with uow(request) as s:
            gov.end_pilot(s, actor, pilot_id, form.get("reason") or "")
    except RaigovError as exc:
        return _refused(request, bid, "pilot", error=exc, act=f"end-pilot-{pilot_id}", form=form)
    return _back(bid, "pilot", done="gov.pilot_ended")


@router.get("/reviews")
def queue_page(request: Request, lane: str | None = None, all: Flag = 0):
    actor = require_page_actor(request)
    cfg = config()
    with uow(request) as s:  # asking for every lane without the right shows the actor's own (the service decides)
        view = gov.queue_view(s, actor, lane or None, include_all=bool(all))
        names = identity.display_names(s, [f"user:{q.assignee}" for q in view.rows if q.assignee])
    return render(request, "governance/queue.html", {"nav": "reviews", "rows": view.rows, "lanes": cfg.lanes, "lane": lane,
                                                     "names": names,
                                                     "all": int(view.include_all), "labels": STATUS_LABELS,
                                                     "due_days": cfg.review_due_days})
