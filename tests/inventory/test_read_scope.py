"""The one read scope (``inventory.readable``): the four readers (the inventory's list, the dashboard's scope,
the Notices page and the evaluation runs) answer alike for each person, and each agrees with ``can()`` asked
of every object one at a time (the oracle), on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from raigov.errors import PermissionDenied
from raigov.evaluation import service as evaluation
from raigov.evaluation.models import EvaluationRun
from raigov.governance import dashboard
from raigov.identity.permissions import can
from raigov.inventory import service as inventory
from raigov.inventory.access import READ, READ_DRAFT, readable
from raigov.inventory.models import UseCase
from raigov.jobs import notices
from raigov.jobs.models import Notice

VALUES = {"use_case_name": "{n}", "development_stage": "Deployed",
          "problem_solved": "Summarises public comments for staff.", "system_outputs": "A summary for staff."}
PEOPLE = {"caio": "caio", "cbp.lead": "component_ai_lead@CBP", "cbp.owner": "submitter@CBP",
          "tsa.reviewer": "privacy_reviewer@TSA", "auditor": "auditor", "hq.submitter": "submitter@DHS",
          "tsa.tester": "te_engineer@TSA"}


@pytest.fixture
def world(db, settings, make_user, actor_of):
    others = {"tsa.owner": "submitter@TSA", "ice.owner": "submitter@ICE"}
    for name, role in {**PEOPLE, **others}.items():
        make_user(name, role, password=False)
    a = {u: actor_of(u) for u in {**PEOPLE, **others}}
    made = {}  # name -> use case id
    for name, who, comp, submit in (("dhs", "hq.submitter", "DHS", True), ("cbp", "cbp.owner", "CBP", True),
                                    ("cbp.draft", "cbp.owner", "CBP", False), ("tsa", "tsa.owner", "TSA", True),
                                    ("ice", "ice.owner", "ICE", True), ("tsa.draft", "tsa.owner", "TSA", False)):
        with db.transaction() as s:
            uc = inventory.create_use_case(s, a[who], component=comp, values={**VALUES, "use_case_name": f"{name} summary"},
                                           reason="new", settings=settings)
            if submit:
                inventory.submit_use_case(s, a[who], uc.business_id)
            made[name] = uc.id
    with db.transaction() as s:  # one notice and one run about each use case, addressed to / run by nobody here
        for name, uc_id in made.items():
            uc = s.get(UseCase, uc_id)
            s.add(Notice(key=f"hand:{name}", kind="test", level="reminder", recipient="x@example.gov",
                         recipient_user="somebody.else", subject=name, body="x", object_type="use_case",
                         object_id=str(uc_id)))
            s.add(EvaluationRun(use_case_id=uc_id, kind="classifier", status="done", input_filename=f"{name}.csv",
                                input_sha256="0" * 64, created_by="somebody.else",
                                component=inventory.component_of(uc)))
    return a, made


def _oracle(s, actor, actions, made, *, drafts=False, own=False):
    """The use cases `actor` reaches asking can() of each one (any of `actions`; drafts need read_draft)."""
    out = set()
    for name, uc_id in made.items():
        uc = s.get(UseCase, uc_id)
        comp = inventory.component_of(uc)
        mine = own and any(p.user_id == actor.user_id for p in uc.people)
        ok = any(can(actor, a, comp) for a in actions)
        if drafts and uc.status == "draft":
            ok = can(actor, READ_DRAFT, comp)
        if ok or mine:
            out.add(name)
    return out


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_the_four_readers_agree(db, world, who):
    a, made = world
    actor = a[who]
    name_of = {v: k for k, v in made.items()}
    with db.transaction() as s:
        listed = {name_of[u.id] for u in inventory.list_use_cases(s, actor, inventory.UseCaseQuery(per_page=500))[0]}
        assert listed == _oracle(s, actor, (READ,), made, drafts=True, own=True), "inventory list"
        for name, uc_id in made.items():  # one at a time, the same answer
            assert readable(s, actor).allows(s.get(UseCase, uc_id)) == (name in listed), name

        try:
            scope = dashboard.scope_of(s, actor)
            on_dashboard = {name_of[i] for i in s.scalars(scope.where(select(UseCase.id)))}
        except PermissionDenied:
            on_dashboard = set()
        assert on_dashboard == _oracle(s, actor, (READ,), made), "dashboard"

        page = notices.list_notices(s, actor, notices.NoticeFilter(per_page=500))
        seen = {r.subject for r in page.rows}
        expected = _oracle(s, actor, ("jobs.notice.read",), made)
        assert seen == expected, "notices"
        assert page.scope == ("all" if who in ("caio", "auditor") else
                              "component" if can(actor, "jobs.notice.read") else "own")

        try:
            runs = evaluation.runs(s, actor)
        except PermissionDenied:
            runs = []
        ran = {r.input_filename.removesuffix(".csv") for r in runs}
        assert ran == _oracle(s, actor, ("evaluation.run.read", "evaluation.run.execute"), made), "runs"
        for run in s.scalars(select(EvaluationRun)):  # the run page reads by the same rule as the list
            name = run.input_filename.removesuffix(".csv")
            if name in ran:
                evaluation.get_run(s, actor, run.id)
            else:
                with pytest.raises(PermissionDenied):
                    evaluation.get_run(s, actor, run.id)

        # where the actions share their roles, the readers see the very same use cases
        if who in ("caio", "auditor", "cbp.lead"):
            assert on_dashboard == seen == ran == listed


def test_what_each_person_reaches(db, world):
    """The oracle itself, spelled out for a few people (so that a wrong can() would not pass unseen)."""
    a, made = world
    with db.transaction() as s:
        def names(who):
            return {k for k, v in made.items()
                    if v in {u.id for u in inventory.list_use_cases(s, a[who], inventory.UseCaseQuery())[0]}}

        assert names("caio") == set(made)
        assert names("cbp.lead") == {"cbp", "cbp.draft"}
        assert names("cbp.owner") == {"cbp", "cbp.draft"}
        assert names("tsa.reviewer") == {"tsa", "tsa.draft"}
        assert names("tsa.tester") == {"tsa"}, "a T&E engineer reads no drafts"
        assert names("hq.submitter") == {"dhs"}
        assert names("auditor") == set(made)
        assert {r.input_filename for r in evaluation.runs(s, a["tsa.tester"])} == {"tsa.csv", "tsa.draft.csv"}
        assert {r.subject for r in notices.list_notices(s, a["cbp.lead"]).rows} == {"cbp", "cbp.draft"}
