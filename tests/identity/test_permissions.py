"""The permission matrix, role by action, against an independent table written here: a change to
permissions.yaml must be made on purpose in both places."""

from pathlib import Path

import pytest

from raigov.identity.permissions import Actor, Grant, can, components_visible, markdown, matrix
from raigov.identity.roles import ROLES

ALL_PEOPLE = {"submitter", "component_ai_lead", "privacy_reviewer", "crcl_reviewer", "legal_reviewer", "ocio_reviewer",
              "rug_member",
              "caio", "caio_delegate", "te_engineer", "auditor", "admin", "employee"}
REVIEWERS = {"privacy_reviewer", "crcl_reviewer", "legal_reviewer", "ocio_reviewer", "rug_member"}
GOVERNANCE_READERS = {"submitter", "component_ai_lead", *REVIEWERS, "caio", "caio_delegate", "auditor"}

EXPECTED: dict[str, set[str]] = {
    "user.read": {"admin", "auditor", "caio", "system"},
    "user.manage": {"admin", "system"},
    "role.manage": {"admin", "system"},
    "token.manage": {"admin", "system"},
    "token.create_own": ALL_PEOPLE,
    "account.read_own": ALL_PEOPLE | {"service"},
    "audit.read": {"auditor", "caio", "system"},
    "audit.verify": {"auditor", "caio", "admin", "system"},
    "audit.sign_head": {"caio", "system"},
    "usecase.create": {"submitter", "component_ai_lead"},
    "usecase.edit": {"submitter", "component_ai_lead"},
    "usecase.read": GOVERNANCE_READERS | {"te_engineer", "service", "system"},
    "usecase.read_draft": GOVERNANCE_READERS | {"system"},
    "usecase.retire": {"component_ai_lead", "caio"},
    "usecase.assign": {"component_ai_lead", "caio", "caio_delegate", "system"},
    "inventory.import": {"component_ai_lead", "caio", "caio_delegate", "system"},
    "inventory.export": {"component_ai_lead", "caio", "caio_delegate", "auditor", "system"},
    "policy.manage": {"caio", "system"},
    "determination.propose": {"submitter", "component_ai_lead", "caio", "caio_delegate", "system"},
    "determination.decide": {"caio", "caio_delegate"},
    "review.comment": REVIEWERS | {"component_ai_lead", "caio", "caio_delegate"},
    "review.decide": REVIEWERS | {"component_ai_lead", "caio", "caio_delegate"},
    "review.assign": {"caio", "caio_delegate", "component_ai_lead"},
    "governance.sync": {"submitter", "component_ai_lead", "caio", "caio_delegate", "system"},
    "practice.update": {"submitter", "component_ai_lead", "te_engineer"},
    "evidence.attach": {"submitter", "component_ai_lead", "te_engineer"},
    "risk.accept": {"caio", "caio_delegate", "component_ai_lead"},
    "waiver.grant": {"caio"},
    "waiver.revoke": {"caio"},
    "waiver.report": {"caio", "caio_delegate"},
    "pilot.certify": {"caio"},
    "datacall.open": {"caio", "caio_delegate"},
    "datacall.certify_component": {"component_ai_lead"},
    "datacall.certify": {"caio"},
    "disclosure.publish": {"caio"},
    "eval.run": {"te_engineer", "component_ai_lead"},
    "eval.read": GOVERNANCE_READERS | {"te_engineer"},
    "gate.query": {"service", "submitter", "component_ai_lead", "caio", "caio_delegate", "auditor", "system"},
    "decision.record": {"service"},
    "genai.request_access": ALL_PEOPLE - {"auditor", "admin"},
    "genai.approve_access": {"component_ai_lead", "caio", "caio_delegate"},
    "genai.screen_prompt": (ALL_PEOPLE - {"auditor", "admin"}) | {"service"},
    "jobs.run": {"system"},
    "notice.read": {"caio", "caio_delegate", "auditor", "admin", "component_ai_lead", "system"},
    "notice.retry": {"caio", "caio_delegate", "admin", "system"},
    "datacall.finish": {"caio", "caio_delegate", "admin"},
}


def actor(role: str, unit: str | None = None) -> Actor:
    if role == "system":
        return Actor.system()
    return Actor(kind="service" if role == "service" else "user", username=f"{role}-x", grants=(Grant(role, unit),),
                 unit_ancestors={"CBP": ("CBP", "DHS"), "TSA": ("TSA", "DHS")})


def test_table_covers_every_action():
    assert set(EXPECTED) == set(matrix())


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", sorted(ROLES) + ["system"])
def test_role_by_action_department_wide(role, action):
    assert can(actor(role), action, "CBP") is (role in EXPECTED[action])


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_component_scoped_grants(action):
    rule = matrix()[action]
    for role in EXPECTED[action] - {"system"}:
        scoped = actor(role, "CBP")
        if rule.scope == "department":
            assert not can(scoped, action, "CBP"), f"{role}@CBP must not {action} (department-wide only)"
        elif rule.scope == "component":
            assert can(scoped, action, "CBP")
            assert not can(scoped, action, "TSA"), f"{role}@CBP must not {action} on TSA's objects"
        else:
            assert can(scoped, action)


def test_admin_approves_nothing():
    approvals = [a for a, r in matrix().items() if r.approval]
    assert len(approvals) >= 10
    for a in approvals:
        assert not can(actor("admin"), a, "CBP")
        assert not can(Actor.system(), a), f"the operator's shell must not {a}"


def test_auditor_changes_nothing():
    allowed = {a for a in matrix() if can(actor("auditor"), a, "CBP")}
    assert allowed == {"user.read", "account.read_own", "token.create_own", "audit.read", "audit.verify",
                       "usecase.read", "usecase.read_draft", "inventory.export", "eval.read", "gate.query",
                       "notice.read"}


def test_submitter_cannot_read_another_components_drafts():
    sub = actor("submitter", "CBP")
    assert can(sub, "usecase.read_draft", "CBP")
    assert not can(sub, "usecase.read_draft", "TSA")
    assert components_visible(sub, "usecase.read_draft") == {"CBP"}
    assert components_visible(actor("caio"), "usecase.read_draft") is None


def test_anonymous_can_do_nothing():
    assert not any(can(Actor.anonymous(), a) for a in matrix())


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        can(actor("caio"), "usecase.teleport")


def test_docs_match_the_matrix():
    doc = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
    assert doc.read_text() == markdown(), "regenerate: python -m raigov.identity.permissions > docs/permissions.md"
