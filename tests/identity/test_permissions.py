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
    "identity.user.read": {"admin", "auditor", "caio", "system"},
    "identity.user.manage": {"admin", "system"},
    "identity.role.manage": {"admin", "system"},
    "identity.token.manage": {"admin", "system"},
    "identity.token.create_own": ALL_PEOPLE,
    "identity.account.read_own": ALL_PEOPLE | {"service"},
    "audit.event.read": {"auditor", "caio", "system"},
    "audit.trail.verify": {"auditor", "caio", "admin", "system"},
    "audit.head.sign": {"caio", "system"},
    "inventory.use_case.create": {"submitter", "component_ai_lead"},
    "inventory.use_case.revise": {"submitter", "component_ai_lead"},
    "inventory.use_case.read": GOVERNANCE_READERS | {"te_engineer", "service", "system"},
    "inventory.use_case.read_draft": GOVERNANCE_READERS | {"system"},
    "inventory.use_case.retire": {"component_ai_lead", "caio"},
    "inventory.use_case.assign": {"component_ai_lead", "caio", "caio_delegate", "system"},
    "inventory.file.import": {"component_ai_lead", "caio", "caio_delegate", "system"},
    "inventory.file.export": {"component_ai_lead", "caio", "caio_delegate", "auditor", "system"},
    "policy.pack.manage": {"caio", "system"},
    "policy.use_case.screen": {"submitter", "component_ai_lead", "caio", "caio_delegate", "system"},
    "policy.determination.decide": {"caio", "caio_delegate"},
    "governance.review.comment": REVIEWERS | {"component_ai_lead", "caio", "caio_delegate"},
    "governance.review.decide": REVIEWERS | {"component_ai_lead", "caio", "caio_delegate"},
    "governance.review.assign": {"caio", "caio_delegate", "component_ai_lead"},
    "governance.requirements.sync": {"submitter", "component_ai_lead", "caio", "caio_delegate", "system"},
    "governance.practice.update": {"submitter", "component_ai_lead", "te_engineer"},
    "governance.evidence.attach": {"submitter", "component_ai_lead", "te_engineer"},
    "governance.risk.accept": {"caio", "caio_delegate", "component_ai_lead"},
    "governance.waiver.grant": {"caio"},
    "governance.waiver.revoke": {"caio"},
    "governance.waiver.report": {"caio", "caio_delegate"},
    "governance.pilot.certify": {"caio"},
    "datacall.cycle.open": {"caio", "caio_delegate"},
    "datacall.component.certify": {"component_ai_lead"},
    "datacall.cycle.certify": {"caio"},
    "disclosure.inventory.publish": {"caio"},
    "evaluation.run.execute": {"te_engineer", "component_ai_lead"},
    "evaluation.run.read": GOVERNANCE_READERS | {"te_engineer"},
    "governance.gate.query": {"service", "submitter", "component_ai_lead", "caio", "caio_delegate", "auditor", "system"},
    "oversight.decision.record": {"service"},
    "genai.access.request": ALL_PEOPLE - {"auditor", "admin"},
    "genai.access.approve": {"component_ai_lead", "caio", "caio_delegate"},
    "genai.prompt.screen": (ALL_PEOPLE - {"auditor", "admin"}) | {"service"},
    "jobs.checks.run": {"system"},
    "jobs.notice.read": {"caio", "caio_delegate", "auditor", "admin", "component_ai_lead", "system"},
    "jobs.notice.retry": {"caio", "caio_delegate", "admin", "system"},
    "datacall.snapshot.finish": {"caio", "caio_delegate", "admin"},
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
    assert allowed == {"identity.user.read", "identity.account.read_own", "identity.token.create_own",
                       "audit.event.read", "audit.trail.verify", "inventory.use_case.read",
                       "inventory.use_case.read_draft", "inventory.file.export", "evaluation.run.read",
                       "governance.gate.query", "jobs.notice.read"}


def test_submitter_cannot_read_another_components_drafts():
    sub = actor("submitter", "CBP")
    assert can(sub, "inventory.use_case.read_draft", "CBP")
    assert not can(sub, "inventory.use_case.read_draft", "TSA")
    assert components_visible(sub, "inventory.use_case.read_draft") == {"CBP"}
    assert components_visible(actor("caio"), "inventory.use_case.read_draft") is None


def test_anonymous_can_do_nothing():
    assert not any(can(Actor.anonymous(), a) for a in matrix())


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        can(actor("caio"), "inventory.use_case.teleport")


def test_docs_match_the_matrix():
    doc = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
    assert doc.read_text() == markdown(), "regenerate: python -m raigov.identity.permissions > docs/permissions.md"


def test_names_follow_the_audit_grammar():
    from raigov.identity.permissions import GRAMMAR

    assert [a for a in matrix() if not GRAMMAR.match(a)] == []


def test_a_permission_for_one_recorded_act_has_the_audit_actions_name():
    from raigov.audit.actions import ACTIONS

    aligned = {"inventory.use_case.create", "inventory.use_case.revise", "inventory.use_case.retire",
               "inventory.use_case.assign", "inventory.file.import", "inventory.file.export", "policy.use_case.screen",
               "policy.determination.decide", "governance.review.comment", "governance.review.decide",
               "governance.review.assign", "governance.requirements.sync", "governance.practice.update",
               "governance.evidence.attach", "governance.risk.accept", "governance.waiver.grant",
               "governance.waiver.revoke", "governance.waiver.report", "governance.pilot.certify", "datacall.cycle.open",
               "datacall.component.certify", "datacall.cycle.certify", "datacall.snapshot.finish",
               "evaluation.run.execute", "jobs.checks.run", "jobs.notice.retry"}
    assert aligned <= set(matrix()) & set(ACTIONS)


FORMER_NAMES = {"user.read": "identity.user.read", "usecase.retire": "inventory.use_case.retire",
                "usecase.edit": "inventory.use_case.revise", "eval.run": "evaluation.run.execute",
                "datacall.certify": "datacall.cycle.certify", "notice.retry": "jobs.notice.retry",
                "audit.read": "audit.event.read", "determination.propose": "policy.use_case.screen"}


@pytest.mark.parametrize("old,new", sorted(FORMER_NAMES.items()))
def test_former_names_stay_aliases(old, new):
    from raigov.identity.permissions import canonical, require
    from raigov.errors import PermissionDenied

    assert canonical(old) == new and canonical(new) == new
    assert old in matrix() and matrix()[old] is matrix()[new] and old not in set(matrix())
    for role in sorted(ROLES) + ["system"]:
        for unit in (None, "CBP"):
            a = actor(role, unit)
            assert can(a, old, "CBP") is can(a, new, "CBP") is (role in EXPECTED[new] and (
                unit is None or role == "system" or matrix()[new].scope != "department"))
            assert can(a, old, "TSA") is can(a, new, "TSA")
            assert components_visible(a, old) == components_visible(a, new)
    with pytest.raises(PermissionDenied):
        require(Actor.anonymous(), old)


def test_every_former_name_is_listed_in_the_docs():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    assert len(matrix().aliases) >= 46  # the names before the grammar
    for old, new in matrix().aliases.items():
        assert f"| `{old}` | `{new}` |" in doc
