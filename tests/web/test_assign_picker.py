"""Issue #14 item 7 on both databases: assigning a review picks from the people who may review it in its lane
(governance.eligible_reviewers: the lane's roles, in scope for a component lane, no owner or developer of
the use case, no developer as the independent reviewer), not a typed user name; the form is a select of
exactly them, and `assign` accepts each of them."""

import pytest

from raigov.db.base import utcnow
from raigov.errors import PermissionDenied
from raigov.governance import service as gov
from raigov.governance.models import Review
from raigov.inventory import service as inventory


@pytest.fixture
def world(db, settings, make_user, actor_of):
    for name, roles in {"cbp.owner": ["submitter@CBP"], "cbp.lead": ["component_ai_lead@CBP"],
                        "tsa.lead": ["component_ai_lead@TSA"], "rug.one": ["rug_member"], "rug.dev": ["rug_member"],
                        "the.caio": ["caio"], "priv": ["privacy_reviewer"]}.items():
        make_user(name, *roles)
    owner, lead = actor_of("cbp.owner"), actor_of("cbp.lead")
    with db.transaction() as s:
        uc = inventory.create_use_case(s, owner, component="CBP", reason="new", settings=settings,
                                       values={"use_case_name": "Cargo triage", "development_stage": "Pilot"})
        inventory.assign_person(s, lead, uc.business_id, "rug.dev", "developer")
        ids = {}
        for lane in ("independent", "component_ai_lead"):
            r = Review(use_case_id=uc.id, lane=lane, cycle=1, status="open", required_by=[], revision_number=1,
                       opened_at=utcnow())
            s.add(r)
            s.flush()
            ids[lane] = r.id
    return uc.business_id, ids


def test_the_eligible_reviewers_of_each_lane(db, world, actor_of):
    _, ids = world
    caio, lead, priv, tsa = (actor_of(u) for u in ("the.caio", "cbp.lead", "priv", "tsa.lead"))
    with db.transaction() as s:
        assert [u for u, _ in gov.eligible_reviewers(s, caio, ids["independent"])] == ["rug.one", "the.caio"]
        assert [u for u, _ in gov.eligible_reviewers(s, caio, ids["component_ai_lead"])] == ["cbp.lead"]
        assert [u for u, _ in gov.eligible_reviewers(s, lead, ids["independent"])] == \
            ["rug.one", "the.caio"]
        with pytest.raises(PermissionDenied):
            gov.eligible_reviewers(s, priv, ids["independent"])
        with pytest.raises(PermissionDenied):
            gov.eligible_reviewers(s, tsa, ids["independent"])
    for username in ("rug.one", "the.caio"):  # every choice is one `assign` accepts
        with db.transaction() as s:
            assert gov.assign(s, caio, ids["independent"], username).assignee.username == username


def test_the_form_is_a_select_of_them(client, db, world, sign_in):
    bid, ids = world
    assert sign_in("the.caio").status_code == 303
    html = client.get(f"/inventory/{bid}/governance").text
    rid = ids["independent"]
    start = html.index(f'<select class="usa-select" id="assign-{rid}-username" name="username">')
    options = html[start:html.index("</select>", start)]
    assert '<option value="" selected>Nobody (unassigned)</option>' in options  # nobody yet
    assert 'value="rug.one"' in options and 'value="the.caio"' in options and "rug.dev" not in options
    assert f'<input class="usa-input" id="assign-{rid}-username"' not in html
