"""The permission matrix, role by action, against an independent table written here: a change to
permissions.yaml must be made on purpose in both places."""

import json
from pathlib import Path

import pytest

from raigov.identity.permissions import Actor, Grant, can, components_visible, markdown, matrix
from raigov.identity.roles import DECIDING_ROLES, ROLES

ALL_PEOPLE = {"submitter", "component_ai_lead", "privacy_reviewer", "crcl_reviewer", "legal_reviewer", "ocio_reviewer",
              "rug_member",
              "caio", "caio_delegate", "te_engineer", "auditor", "admin", "employee", "training_coordinator"}
REVIEWERS = {"privacy_reviewer", "crcl_reviewer", "legal_reviewer", "ocio_reviewer", "rug_member"}
GOVERNANCE_READERS = {"submitter", "component_ai_lead", *REVIEWERS, "caio", "caio_delegate", "auditor"}

EXPECTED: dict[str, set[str]] = {
    "identity.user.read": {"admin", "auditor", "caio", "system"},
    "identity.user.manage": {"admin", "system"},
    "identity.role.manage": {"admin", "system"},
    "identity.role.confirm": {"caio", "caio_delegate"},
    "governance.dashboard.read": {"caio", "caio_delegate", "auditor", "component_ai_lead", *REVIEWERS},
    "identity.token.manage": {"admin", "system"},
    "identity.token.create_own": ALL_PEOPLE | {"appeals_officer"},  # an appeals officer alone uses the API
    "identity.account.read_own": ALL_PEOPLE | {"service"},
    "audit.event.read": {"auditor", "caio", "system"},
    "audit.trail.verify": {"auditor", "caio", "admin", "system"},
    "audit.head.sign": {"caio", "system"},
    "inventory.use_case.create": {"submitter", "component_ai_lead"},
    "inventory.use_case.revise": {"submitter", "component_ai_lead"},
    "inventory.use_case.read": GOVERNANCE_READERS | {"te_engineer", "system"},  # not `service`: the gate only
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
    "oversight.decision.read": {"component_ai_lead", "appeals_officer", "caio", "caio_delegate", "privacy_reviewer",
                                "crcl_reviewer", "auditor", "system"},
    "oversight.operator.manage": {"component_ai_lead", "caio", "caio_delegate"},
    "oversight.opt_out.record": {"component_ai_lead", "privacy_reviewer", "caio", "caio_delegate"},
    "oversight.opt_out.check": {"service", "component_ai_lead", "privacy_reviewer", "caio", "caio_delegate"},
    "oversight.scale.set": {"component_ai_lead", "privacy_reviewer", "crcl_reviewer", "caio", "caio_delegate"},
    "oversight.protected.declare": {"submitter", "component_ai_lead", "caio", "caio_delegate"},
    "oversight.protected.justify": {"crcl_reviewer"},
    "oversight.appeal.file": {"service", "appeals_officer", "component_ai_lead", "caio", "caio_delegate"},
    "oversight.appeal.read": {"appeals_officer", "component_ai_lead", "caio", "caio_delegate", "privacy_reviewer",
                              "crcl_reviewer", "auditor", "system"},
    "oversight.appeal.decide": {"appeals_officer"},
    "oversight.notice.manage": {"submitter", "component_ai_lead"},
    "oversight.notice.read": {"service", "submitter", "component_ai_lead", "appeals_officer", "caio", "caio_delegate",
                              "privacy_reviewer", "crcl_reviewer", "auditor", "system"},
    "oversight.summary.store": {"component_ai_lead", "caio", "caio_delegate", "system"},
    "monitoring.monitor.read": {"submitter", "component_ai_lead", *REVIEWERS, "caio", "caio_delegate", "te_engineer",
                                "auditor", "system"},
    "monitoring.monitor.manage": {"submitter", "component_ai_lead", "te_engineer", "caio", "caio_delegate", "system"},
    "monitoring.window.record": {"service", "submitter", "component_ai_lead", "te_engineer", "system"},
    "monitoring.alert.close": {*REVIEWERS, "component_ai_lead", "caio", "caio_delegate"},
    "monitoring.incident.open": {"submitter", "component_ai_lead", "te_engineer", *REVIEWERS, "caio", "caio_delegate",
                                 "system"},
    "monitoring.incident.suspend": {"component_ai_lead", "caio"},
    "monitoring.incident.close": {*REVIEWERS, "component_ai_lead", "caio", "caio_delegate"},
    "monitoring.report.store": {"submitter", "component_ai_lead", "te_engineer", "caio", "caio_delegate", "system"},
    "genai.access.request": ALL_PEOPLE - {"auditor", "admin"},
    "genai.access.approve": ALL_PEOPLE - {"auditor", "admin"},  # the service checks: the requester's supervisor
    "genai.rules.acknowledge": ALL_PEOPLE - {"auditor", "admin"},
    "genai.tool.manage": {"caio", "caio_delegate", "system"},
    "genai.rules.publish": {"caio", "system"},
    "genai.grant.read": {"caio", "caio_delegate", "auditor", "component_ai_lead", "system"},
    "genai.grant.suspend": {"caio", "caio_delegate", "system"},
    "training.completion.record": {"training_coordinator", "system"},
    "training.file.import": {"training_coordinator", "system"},
    "training.ledger.read": {"training_coordinator", "caio", "caio_delegate", "auditor", "component_ai_lead", "system"},
    "identity.supervisor.set": {"admin", "system"},
    "genai.prompt.screen": (ALL_PEOPLE - {"auditor", "admin"}) | {"service", "system"},
    "jobs.checks.run": {"system"},
    "jobs.notice.read": {"caio", "caio_delegate", "auditor", "admin", "component_ai_lead", "system"},
    "jobs.notice.retry": {"caio", "caio_delegate", "admin", "system"},
    "datacall.snapshot.finish": {"caio", "caio_delegate", "admin"},
    "disclosure.withholding.read": {"caio", "caio_delegate", "auditor", "system"},
    "disclosure.withholding.manage": {"caio", "caio_delegate", "system"},
    "disclosure.site.publish": {"caio", "system"},
    "disclosure.report.read": {"caio", "caio_delegate", "auditor", "system"},
    "disclosure.report.generate": {"caio", "caio_delegate", "system"},
    "disclosure.plan.edit": {"caio", "caio_delegate"},
    "disclosure.plan.finalise": {"caio"},
    "disclosure.feedback.manage": {"component_ai_lead", "caio", "caio_delegate"},
    "bodies.body.read": {"caio", "caio_delegate", "rug_member", "privacy_reviewer", "crcl_reviewer", "legal_reviewer",
                         "ocio_reviewer", "auditor", "system"},
    "bodies.member.manage": {"caio", "caio_delegate", "system"},
    "bodies.meeting.manage": {"caio", "caio_delegate", "rug_member", "system"},
    "bodies.decision.record": {"caio", "caio_delegate", "rug_member", "system"},
    "bodies.publication.manage": {"caio", "caio_delegate", "system"},
    "acquisition.contract.read": {"component_ai_lead", "submitter", *REVIEWERS, "caio", "caio_delegate", "auditor",
                                  "system"},
    "acquisition.contract.manage": {"component_ai_lead", "caio", "caio_delegate", "system"},
    "acquisition.requirement.waive": {"caio", "caio_delegate"},
    "datasets.dataset.read": GOVERNANCE_READERS | {"te_engineer", "system"},
    "datasets.dataset.manage": {"submitter", "component_ai_lead", "te_engineer", "caio", "caio_delegate", "system"},
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
                       "governance.gate.query", "jobs.notice.read", "governance.dashboard.read", "oversight.decision.read",
                       "monitoring.monitor.read", "genai.grant.read", "training.ledger.read",
                       "disclosure.withholding.read", "disclosure.report.read", "bodies.body.read",
                       "acquisition.contract.read", "datasets.dataset.read",
                           "oversight.appeal.read", "oversight.notice.read"}


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
    from raigov.errors import PermissionDenied
    from raigov.identity.permissions import canonical, require

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


def test_no_call_site_uses_a_former_name():
    """The code names permissions by their current names; the aliases are for configuration and stored references.
    Every quoted `<word>.<word>` in src/raigov (migrations aside: they keep what was stored) that is a former
    name fails, with its file and line."""
    import re

    src = Path(__file__).resolve().parents[2] / "src" / "raigov"
    pat = re.compile(r"""(["'])([a-z_]+\.[a-z_]+)\1""")
    found = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".py", ".html") or "migrations" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(src)}:{n}: {m.group(2)} (now {matrix().aliases[m.group(2)]})"
                      for m in pat.finditer(line) if m.group(2) in matrix().aliases]
    assert not found, "\n".join(found)


def test_every_role_that_decides_is_a_deciding_role():
    """A role holding an approval action of the matrix must be in roles.DECIDING_ROLES, so that a new
    decision role cannot be granted by an administrator alone by forgetting one line."""
    deciders = {r for rule in matrix().values() if rule.approval for r in rule.roles} - {"system"}
    assert deciders <= DECIDING_ROLES, f"add to DECIDING_ROLES: {sorted(deciders - DECIDING_ROLES)}"
    assert {"caio", "caio_delegate", "privacy_reviewer", "crcl_reviewer", "legal_reviewer",
                              "ocio_reviewer", "rug_member", "component_ai_lead"} == DECIDING_ROLES


def _approvals(a: Actor) -> set[str]:
    return {name for name, rule in matrix().items() if rule.approval and can(a, name, "CBP")}


def test_admin_made_caio_approves_nothing_until_a_second_caio_confirms(db, settings, make_user, actor_of):
    """Issue #12 item 4: an administrator creates an account with the caio role, signs in as it and approves.
    The grant now waits for a second person: the admin (even one who is also a CAIO) cannot confirm it, nor
    the CAIO's delegate (the caio role is confirmed only by another CAIO), nor the grantee."""
    import sqlalchemy as sa

    from raigov.audit.models import AuditEvent
    from raigov.errors import PermissionDenied
    from raigov.identity import service
    from raigov.identity.models import RoleAssignment
    from raigov.identity.schemas import RoleGrantIn, UserCreate
    from tests.conftest import PASSWORD

    make_user("adm", "admin", password=False)
    make_user("adm.caio", "admin", "caio", password=False)  # an administrator who is also a CAIO
    make_user("boss", "caio", password=False)
    make_user("deleg", "caio_delegate", password=False)
    assert "caio" in actor_of("boss").roles  # the operator's shell (make_user: Actor.system) grants at once
    A = {u: actor_of(u) for u in ("adm", "adm.caio", "boss", "deleg")}
    with db.transaction() as s:
        service.create_user(s, A["adm"], UserCreate(username="mallory", display_name="M", password=PASSWORD,
                                                           roles=[RoleGrantIn(role="caio")]), settings)
        service.grant_role(s, A["adm.caio"], "mallory", RoleGrantIn(role="auditor"))  # decides nothing: at once
    mallory = actor_of("mallory")
    assert [g.role for g in mallory.grants] == ["auditor"]
    assert _approvals(mallory) == set()  # signed in as the new account, nothing is approved
    with db.transaction() as s:
        roles = [r.model_dump() for r in service.user_out(service.get_user(s, "mallory")).roles]
        pid = service.pending_grant_id(s, "mallory", "caio")
    assert roles == [{"role": "auditor", "component": None, "status": "active", "pending_id": None, "requested_by": None},
                     {"role": "caio", "component": None, "status": "pending", "pending_id": pid, "requested_by": "user:adm"}]

    refusals = {
        "adm": "may not identity.role.confirm",                 # the admin who asked approves nothing
        "deleg": "confirmed only by another caio",     # the CAIO's delegate does not make a CAIO
        "mallory": "may not identity.role.confirm",             # the grantee, who holds no confirming role yet
    }
    A["mallory"] = mallory
    for who, words in refusals.items():
        with db.transaction() as s:
            with pytest.raises(PermissionDenied, match=words):
                service.confirm_grant(s, A[who], "mallory", pid)
    assert _approvals(actor_of("mallory")) == set()
    with db.transaction() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(RoleAssignment)
                        .where(RoleAssignment.role == "caio")) == 2  # boss and adm.caio: nothing written

    # the same administrator-and-CAIO who asks may not confirm their own request
    make_user("trent", password=False)
    with db.transaction() as s:
        service.grant_role(s, A["adm.caio"], "trent", RoleGrantIn(role="caio_delegate"))
        tid = service.pending_grant_id(s, "trent", "caio_delegate")
    with db.transaction() as s:
        with pytest.raises(PermissionDenied, match="a second person does"):
            service.confirm_grant(s, A["adm.caio"], "trent", tid)
    # nobody confirms a grant to themselves: a deciding role asked for the CAIO's delegate
    with db.transaction() as s:
        service.grant_role(s, A["adm"], "deleg", RoleGrantIn(role="privacy_reviewer"))
        did = service.pending_grant_id(s, "deleg", "privacy_reviewer")
    with db.transaction() as s:
        with pytest.raises(PermissionDenied, match="to themselves"):
            service.confirm_grant(s, A["deleg"], "deleg", did)

    # the second person: another CAIO for the caio role, the delegate for the other deciding roles
    with db.transaction() as s:
        service.confirm_grant(s, A["boss"], "mallory", pid)
        service.confirm_grant(s, A["deleg"], "trent", tid)
        service.confirm_grant(s, A["boss"], "deleg", did)
    assert "policy.determination.decide" in _approvals(actor_of("mallory"))
    assert actor_of("trent").roles == {"caio_delegate"} and "privacy_reviewer" in actor_of("deleg").roles
    with db.transaction() as s:
        ra = s.scalar(sa.select(RoleAssignment).join(RoleAssignment.user).where(RoleAssignment.role == "caio",
                                                                                 RoleAssignment.confirmed_by.is_not(None)))
        assert (ra.user.username, ra.granted_by, ra.confirmed_by) == ("mallory", "user:adm", "user:boss")
        assert service.user_out(service.get_user(s, "mallory")).roles[-1].status == "active"
        with pytest.raises(Exception, match="no grant"):  # confirmed once: nothing left to confirm
            service.confirm_grant(s, A["boss"], "mallory", pid)
    with db.transaction() as s:
        ev = [(e.action, e.actor, json.loads(e.details)) for e in s.scalars(
            sa.select(AuditEvent).where(AuditEvent.object_id == "mallory").order_by(AuditEvent.seq))]
    assert ev[0][:2] == ("identity.user.create", "user:adm")
    assert ev[0][2]["roles"] == [] and ev[0][2]["pending_roles"] == ["caio@department"]
    assert ev[1][0] == "identity.role.grant" and ev[1][2]["status"] == "active"
    assert ev[2] == ("identity.role.confirm", "user:boss",
                     {"role": "caio", "component": "department", "pending_id": pid, "requested_by": "user:adm"})


def test_a_pending_grant_is_declined_or_withdrawn(db, make_user, actor_of):
    import sqlalchemy as sa

    from raigov.audit.models import AuditEvent
    from raigov.errors import Conflict, PermissionDenied
    from raigov.identity import service
    from raigov.identity.models import PendingRoleGrant
    from raigov.identity.schemas import RoleGrantIn

    make_user("adm", "admin", password=False)
    make_user("deleg", "caio_delegate", password=False)
    make_user("lead", password=False)
    A = {u: actor_of(u) for u in ("adm", "deleg")}
    with db.transaction() as s:
        service.grant_role(s, A["adm"], "lead", RoleGrantIn(role="component_ai_lead", component="CBP"))
    with db.transaction() as s:
        with pytest.raises(Conflict, match="waits for a second person"):
            service.grant_role(s, A["adm"], "lead", RoleGrantIn(role="component_ai_lead", component="CBP"))
        pid = service.pending_grant_id(s, "lead", "component_ai_lead", "CBP")
    with db.transaction() as s:
        with pytest.raises(PermissionDenied):  # declining is the CAIO's office's too, not the admin's
            service.decline_grant(s, A["adm"], "lead", pid)
    with db.transaction() as s:
        service.decline_grant(s, A["deleg"], "lead", pid, reason="not the CBP lead")
    assert actor_of("lead").grants == ()
    with db.transaction() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PendingRoleGrant)) == 0
        e = s.scalar(sa.select(AuditEvent).where(AuditEvent.action == "identity.role.decline"))
        assert (e.actor, json.loads(e.details)["reason"]) == ("user:deleg", "not the CBP lead")
    # the administrator may withdraw a grant still waiting (revoke), never make it active
    with db.transaction() as s:
        service.grant_role(s, A["adm"], "lead", RoleGrantIn(role="rug_member"))
    with db.transaction() as s:
        service.revoke_role(s, A["adm"], "lead", "rug_member")
    with db.transaction() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PendingRoleGrant)) == 0
        e = s.scalar(sa.select(AuditEvent).where(AuditEvent.action == "identity.role.revoke"))
        assert json.loads(e.details) == {"role": "rug_member", "component": "department", "status": "pending"}
