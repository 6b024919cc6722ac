"""The lead's work before certifying, on SQLite and PostgreSQL: failing checks grouped by kind in plain words,
one answer for many use cases (a revision each, audit events, catalogue-checked, all or nothing), one
explanation for a chosen set (kept per check, read by the certification), and the refusals' reasons (the
lead's, by kind; the CAIO's, naming the components)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.datacall import service as datacall
from raigov.errors import PermissionDenied, ValidationFailed
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase

YEAR = 2026
GOOD = {"use_case_name": "Translation of public notices", "is_withheld": "No", "development_stage": "Pre-deployment",
        "is_high_impact": "Not High-impact", "topic_area": "Admin Functions", "classification": "NLP",
        "problem_solved": "Staff translate public notices by hand.", "benefits": "Notices reach readers sooner.",
        "system_outputs": "Draft translations.", "contact_email": "owner@example.gov"}
WITHHELD = "required:is_withheld|is_withheld"
EMAIL = "required:contact_email|contact_email"


@pytest.fixture
def agency(db, settings, make_user, actor_of):
    """CBP: three use cases without the withheld answer (one of them also without a contact address) and a clean
    one; ICE: one clean use case. The 2026 cycle is open."""
    for name, roles in (("caio", ("caio",)), ("cbp.lead", ("component_ai_lead@CBP",)),
                        ("ice.lead", ("component_ai_lead@ICE",)), ("cbp.owner", ("submitter@CBP",)),
                        ("ice.owner", ("submitter@ICE",))):
        make_user(name, *roles, password=False)
    a = {n: actor_of(n) for n in ("caio", "cbp.lead", "ice.lead", "cbp.owner", "ice.owner")}
    ids = {}
    with db.transaction() as s:
        for key, owner, comp, values in (
                ("a", "cbp.owner", "CBP", {**GOOD, "use_case_name": "Cargo image triage", "is_withheld": None}),
                ("b", "cbp.owner", "CBP", {**GOOD, "use_case_name": "Port queue forecasts", "is_withheld": None}),
                ("c", "cbp.owner", "CBP", {**GOOD, "use_case_name": "Manifest anomaly flags", "is_withheld": None,
                                           "contact_email": None}),
                ("ok", "cbp.owner", "CBP", GOOD),
                ("ice", "ice.owner", "ICE", {**GOOD, "use_case_name": "Tip line routing"})):
            uc = inventory.create_use_case(s, a[owner], component=comp, values=values, reason="created", settings=settings)
            s.flush()
            ids[key] = uc.business_id
            inventory.submit_use_case(s, a[owner], uc.business_id)
        datacall.open_cycle(s, a["caio"], YEAR, dt.date(2026, 12, 15))
    a["ids"] = ids
    return a


def _groups(db, a):
    with db.transaction() as s:
        _, groups = datacall.check_groups(s, a["cbp.lead"], YEAR, "CBP")
    return {g.kind: g for g in groups}


def _revisions(db, ids) -> dict[str, int]:
    with db.transaction() as s:
        return dict(s.execute(select(UseCase.business_id, UseCase.revision_count).where(UseCase.business_id.in_(ids))).all())


def _count(db, action) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_failing_checks_are_grouped_by_kind_in_plain_words(db, agency):
    ids = agency["ids"]
    groups = _groups(db, agency)
    assert list(groups) == [WITHHELD, EMAIL]  # the largest group first
    w, e = groups[WITHHELD], groups[EMAIL]
    assert w.title == "Withheld from the public? — not answered" and w.count == 3 and w.open == 3
    assert [c.business_id for c in w.checks] == [ids["a"], ids["b"], ids["c"]]
    assert e.title == "Contact e-mail address — not answered" and [c.business_id for c in e.checks] == [ids["c"]]
    assert w.answer.type == "choice" and w.answer.options == ("No", "Yes - Disclosure Risk", "Yes - Prohibited by Law",
                                                              "Other")
    assert e.answer.type == "text"
    for g in groups.values():  # no rule id, field key or check key in what a person reads
        assert not re.search(r"required:|is_withheld|contact_email|DHS-\d+:", g.title + g.field_label)


def test_one_answer_fixes_many_use_cases_at_once(db, agency):
    ids, lead = agency["ids"], agency["cbp.lead"]
    chosen = [ids["a"], ids["b"], ids["c"]]
    before = _revisions(db, chosen)
    with db.transaction() as s:
        changed = datacall.fix_checks(s, lead, YEAR, "CBP", WITHHELD, chosen, "No")
    assert changed == chosen
    after = _revisions(db, chosen)
    assert all(after[b] == before[b] + 1 for b in chosen)  # one new revision per use case
    with db.transaction() as s:
        for b in chosen:
            uc = inventory.get_use_case(s, lead, b)
            assert uc.revisions[-1].values["is_withheld"] == "No" and uc.revisions[-1].created_by == "user:cbp.lead"
        fix = s.scalar(select(AuditEvent).where(AuditEvent.action == "datacall.check.fix"))
        assert fix.object_id == f"{YEAR}/CBP" and json.loads(fix.details) == {
            "year": YEAR, "component": "CBP", "field": "is_withheld", "value": "No", "use_cases": 3}
        revised = s.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "inventory.use_case.revise")).all()
        assert sorted(revised) == sorted(chosen)
    assert list(_groups(db, agency)) == [EMAIL]  # the kind is gone
    # a text answer is checked too (an e-mail address for the contact)
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        datacall.fix_checks(s, lead, YEAR, "CBP", EMAIL, [ids["c"]], "nobody")
    assert "Contact e-mail address" in exc.value.detail and exc.value.errors[0].field == "value"
    with db.transaction() as s:
        datacall.fix_checks(s, lead, YEAR, "CBP", EMAIL, [ids["c"]], "ai-team@example.gov")
    assert _groups(db, agency) == {}


def test_a_fix_is_checked_first_and_all_or_nothing(db, agency, monkeypatch):
    ids, lead = agency["ids"], agency["cbp.lead"]
    chosen = [ids["a"], ids["b"], ids["c"]]
    before = _revisions(db, chosen)
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:  # not one of OMB's answers
        datacall.fix_checks(s, lead, YEAR, "CBP", WITHHELD, chosen, "Maybe")
    assert exc.value.detail == "“Maybe” is not one of OMB's answers to “Withheld from the public?”"
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:  # a use case that does not fail it
        datacall.fix_checks(s, lead, YEAR, "CBP", WITHHELD, [ids["a"], ids["ok"]], "No")
    assert exc.value.detail == f"{ids['ok']} does not fail “Withheld from the public? — not answered” in CBP"
    with db.transaction() as s, pytest.raises(ValidationFailed):
        datacall.fix_checks(s, lead, YEAR, "CBP", WITHHELD, [], "No")
    for who in ("ice.lead", "caio", "cbp.owner"):  # only the component's lead
        with db.transaction() as s, pytest.raises(PermissionDenied):
            datacall.fix_checks(s, agency[who], YEAR, "CBP", WITHHELD, chosen, "No")
    # the third edit fails: the first two are rolled back, the error names the use case
    real = inventory.edit_use_case

    def flaky(session, actor, business_id, *args, **kw):
        if business_id == ids["c"]:
            raise ValidationFailed("the answer is refused")
        return real(session, actor, business_id, *args, **kw)

    monkeypatch.setattr(inventory, "edit_use_case", flaky)
    with pytest.raises(ValidationFailed) as exc, db.transaction() as s:  # the refusal rolls the transaction back
        datacall.fix_checks(s, lead, YEAR, "CBP", WITHHELD, chosen, "No")
    assert exc.value.detail == f"nothing was changed: {ids['c']}: the answer is refused"
    assert _revisions(db, chosen) == before
    assert _count(db, "datacall.check.fix") == 0 and _count(db, "inventory.use_case.revise") == 0


def test_explain_once_for_a_chosen_set_then_certify(db, agency):
    ids, lead = agency["ids"], agency["cbp.lead"]
    with db.transaction() as s:
        n = datacall.explain_checks(s, lead, YEAR, "CBP", WITHHELD, [ids["a"], ids["b"]],
                                    "Answered in the next release of the intake form.")
    assert n == 2
    w = _groups(db, agency)[WITHHELD]
    assert (w.explained, w.open) == (2, 1)
    assert {c.business_id: c.explanation for c in w.checks} == {
        ids["a"]: "Answered in the next release of the intake form.",
        ids["b"]: "Answered in the next release of the intake form.", ids["c"]: None}
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        datacall.explain_checks(s, lead, YEAR, "CBP", WITHHELD, [ids["c"]], "   ")
    assert exc.value.errors[0].field == "explanation"
    # the certification is refused by kind, naming what is left
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        datacall.certify_component(s, lead, YEAR, "CBP", "Certified.")
    assert exc.value.detail == (
        "2 failing checks of 2 kinds still need a fix or an explanation: Contact e-mail address — not answered: "
        f"1 use case ({ids['c']}): fix the answer or explain it; Withheld from the public? — not answered: 1 use case "
        f"({ids['c']}): fix the answer or explain it")
    with db.transaction() as s:
        datacall.explain_checks(s, lead, YEAR, "CBP", WITHHELD, [ids["c"]], "Withheld: a law enforcement system.")
        datacall.explain_checks(s, lead, YEAR, "CBP", WITHHELD, [ids["a"]], "Asked of the owner.")  # replaced
        datacall.fix_checks(s, lead, YEAR, "CBP", EMAIL, [ids["c"]], "ai-team@example.gov")
    key = {c.business_id: c.key for c in _groups(db, agency)[WITHHELD].checks}
    with db.transaction() as s:
        cert = datacall.certify_component(s, lead, YEAR, "CBP", "CBP's inventory is complete.")
        assert cert.explanations == {key[ids["a"]]: "Asked of the owner.",
                                     key[ids["b"]]: "Answered in the next release of the intake form.",
                                     key[ids["c"]]: "Withheld: a law enforcement system."}
    assert _count(db, "datacall.check.explain") == 3  # one event per explanation saved


def test_the_caio_is_told_why_before_certifying(db, agency, settings):
    ids = agency["ids"]
    with db.transaction() as s:
        p = datacall.progress(s, agency["caio"], YEAR)
    assert p.blocker == "2 of 2 components have not certified: CBP, ICE"
    assert p.as_dict()["blocker"] == p.blocker
    with db.transaction() as s:
        datacall.explain_checks(s, agency["cbp.lead"], YEAR, "CBP", WITHHELD, [ids["a"], ids["b"], ids["c"]], "Pending.")
        datacall.explain_checks(s, agency["cbp.lead"], YEAR, "CBP", EMAIL, [ids["c"]], "Pending.")
        datacall.certify_component(s, agency["cbp.lead"], YEAR, "CBP", "Certified.")
    with db.transaction() as s:
        p = datacall.progress(s, agency["caio"], YEAR)
        assert p.blocker == "1 of 2 components has not certified: ICE"
        with pytest.raises(ValidationFailed) as exc:
            datacall.certify(s, agency["caio"], YEAR, "Certified.", settings)
        assert exc.value.detail.startswith(p.blocker + ".")
    with db.transaction() as s:
        inventory.edit_use_case(s, agency["cbp.owner"], ids["ok"], {"benefits": "Faster."}, "clearer")
        datacall.certify_component(s, agency["ice.lead"], YEAR, "ICE", "Certified.")
    with db.transaction() as s:
        assert datacall.progress(s, agency["caio"], YEAR).blocker == \
            "1 of 2 components has not certified: CBP (changed since it certified)"
