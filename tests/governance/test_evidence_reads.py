"""Issue #12 item 3, on both databases: evidence is read through the use cases it is linked to, each by
its own read rule (a draft's by ``usecase.read_draft``), never by the component it was uploaded for; an
evaluation run's report also by the run's ``eval.read`` rule. A link cannot be used to borrow evidence the
linker may not read."""

from __future__ import annotations

import pytest

from raigov.errors import PermissionDenied
from raigov.governance import service as gov
from raigov.inventory import service as inventory
from tests.governance.test_governance_service import LOW, PDF


@pytest.fixture
def tsa(db, settings, make_user, actor_of):
    """A TSA draft with a file attached, an active TSA use case, and the people around them."""
    for name, roles in {"tsa.owner": ["submitter@TSA"], "tsa.lead": ["component_ai_lead@TSA"],
                        "te.engineer": ["te_engineer@TSA"], "cbp.engineer": ["te_engineer@CBP"],
                        "tsa.dev": [], "privacy": ["privacy_reviewer"]}.items():
        make_user(name, *roles, password=False)
    a = {n: actor_of(n) for n in ("tsa.owner", "tsa.lead", "te.engineer", "cbp.engineer", "tsa.dev", "privacy")}
    with db.transaction() as s:
        draft = inventory.create_use_case(s, a["tsa.owner"], component="TSA", values={**LOW, "use_case_name": "Draft"},
                                          reason="new", settings=settings).business_id
        active = inventory.create_use_case(s, a["tsa.owner"], component="TSA", values=LOW, reason="new",
                                           settings=settings).business_id
        inventory.submit_use_case(s, a["tsa.owner"], active)
        ev = gov.add_file(s, a["tsa.owner"], settings, draft, PDF, filename="draft-pia.pdf", title="Draft PIA",
                          category="pia")
        eid = ev.id
    return {"actors": a, "draft": draft, "active": active, "evidence": eid}


def _reads(db, actor, eid) -> bool:
    with db.transaction() as s:
        try:
            gov.get_evidence(s, actor, eid)
            return True
        except PermissionDenied:
            return False


def test_a_drafts_evidence_follows_the_drafts_read_rule(db, tsa):
    a, eid = tsa["actors"], tsa["evidence"]
    with db.transaction() as s, pytest.raises(PermissionDenied):
        inventory.get_use_case(s, a["te.engineer"], tsa["draft"])  # the use case itself is refused ...
    assert not _reads(db, a["te.engineer"], eid)  # ... and so is its file (was readable: usecase.read@TSA)
    assert not _reads(db, a["cbp.engineer"], eid)
    assert not _reads(db, a["tsa.dev"], eid)
    assert _reads(db, a["tsa.owner"], eid) and _reads(db, a["tsa.lead"], eid) and _reads(db, a["privacy"], eid)
    with db.transaction() as s:  # one of the draft's people reads it without any role
        inventory.assign_person(s, a["tsa.lead"], tsa["draft"], "tsa.dev", "developer")
    assert _reads(db, a["tsa.dev"], eid)


def test_a_link_cannot_borrow_evidence_the_linker_may_not_read(db, tsa):
    a, eid = tsa["actors"], tsa["evidence"]
    # the engineer may attach evidence to the active TSA use case, but not the draft's file
    with db.transaction() as s, pytest.raises(PermissionDenied):
        gov.link_evidence(s, a["te.engineer"], eid, tsa["active"], None)
    with db.transaction() as s:
        assert [ev.id for _, ev in gov.evidence_of(s, a["tsa.owner"], tsa["active"])] == []
    assert not _reads(db, a["te.engineer"], eid)
    # the owner, who reads both, shares it on purpose: now it is evidence of a use case the engineer reads
    with db.transaction() as s:
        gov.link_evidence(s, a["tsa.owner"], eid, tsa["active"], None)
    assert _reads(db, a["te.engineer"], eid)
    assert not _reads(db, a["cbp.engineer"], eid)


def test_an_evaluation_reports_evidence_follows_the_runs_read_rule(db, settings, tsa, tmp_path):
    from raigov.evaluation import service as evaluation

    a = tsa["actors"]
    data = tmp_path / "scores.csv"
    data.write_text("y_true,y_pred\n1,1\n0,0\n")
    with db.transaction() as s:  # the lead runs an evaluation for the draft; its report is attached to it
        run = evaluation.record_run(s, a["tsa.lead"], settings, data, "classifier", {}, {"data": {"rows": 2}}, PDF,
                                    business_id=tsa["draft"])
        eid = run.report_pdf_evidence_id
    assert eid is not None
    assert _reads(db, a["te.engineer"], eid)  # the run's report: eval.read@TSA, like /evaluation/runs/N/report.pdf
    assert not _reads(db, a["cbp.engineer"], eid)
    assert not _reads(db, a["te.engineer"], tsa["evidence"])  # the draft's other evidence stays the draft's
