"""The audit-action catalogue (src/raigov/audit/actions.yaml): one grammar, docs generated from it, `record`
refuses what it lacks, every `record(...)` in src/ names a catalogued action, and reading by action finds the
events stored under an act's former names (the trail is append-only: old events keep their names)."""

import ast
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from raigov.audit import actions
from raigov.audit import service as audit
from raigov.audit.actions import ACTIONS, FORMER, GRAMMAR, UnknownAuditAction, canonical, filter_names, stored_names

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "raigov"


def parse_source(source: str, filename: str = "<unknown>") -> ast.Module:
    """ast.parse, tried again once on CPython 3.11's spurious "AST constructor recursion depth mismatch"
    SystemError (gh-106905: a counter shared between threads; a background thread of another test in this
    worker can trip it). A real syntax error is a SyntaxError and is not retried."""
    try:
        return ast.parse(source, filename=filename)
    except SystemError:
        return ast.parse(source, filename=filename)


def test_docs_match_the_catalogue():
    doc = ROOT / "docs" / "audit-actions.md"
    assert doc.read_text() == actions.markdown(), "regenerate: python -m raigov.audit.actions > docs/audit-actions.md"


def test_every_name_has_three_parts():
    assert len(ACTIONS) >= 45
    bad = [n for n in ACTIONS if not GRAMMAR.match(n)]
    assert bad == [], f"not <domain>.<object>.<verb>: {bad}"
    for a in ACTIONS.values():
        assert a.description and a.name == f"{a.domain}.{a.object}.{a.verb}"


def test_former_names_map_to_current_ones():
    assert canonical("datacall.certify") == "datacall.cycle.certify"
    assert canonical("identity.sign_in") == "identity.session.create"
    assert canonical("governance.review.condition.close") == "governance.condition.close"
    assert canonical("identity.role.grant") == "identity.role.grant"
    assert canonical("no.such.thing") == "no.such.thing"
    assert stored_names("datacall.cycle.certify") == ["datacall.cycle.certify", "datacall.certify"]
    assert stored_names("datacall.certify") == ["datacall.cycle.certify", "datacall.certify"]
    for old, new in FORMER.items():
        assert new in ACTIONS and old not in ACTIONS
    # a filter by a current name finds the former names; a prefix of former names, the current ones
    assert filter_names("jobs.") == ["notice.retry"]  # jobs.run starts with the prefix already
    assert filter_names("identity.sign_in") == ["identity.session.create"]


# Functions that append audit events with the action their caller gives (their callers are scanned like
# record's): name -> the 0-based position of the action argument.
RECORDERS = {"record": 2, "record_batches": 2}
MARKER = re.compile(r"#\s*audit-actions:\s*(.+)$")


def _module_constants(tree: ast.Module) -> dict[str, str]:
    return {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
            and isinstance(n.value.value, str) for t in n.targets if isinstance(t, ast.Name)}


def _record_calls() -> list[tuple[Path, int, ast.expr]]:
    """Every call of `record(...)` / `x.record(...)` (and of the RECORDERS) in src/raigov with its action
    argument. A name bound to a module constant stands for the constant; a call whose action is worked out
    elsewhere says which names it can take in a comment on its line, `# audit-actions: a.b.c d.e.f`; the
    function that only passes its caller's action on says `# audit-actions: (the caller's)`."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        tree = parse_source(text, str(path))
        consts = _module_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name not in RECORDERS:
                continue
            marked = MARKER.search(lines[node.lineno - 1])
            if marked:
                if marked.group(1).strip() == "(the caller's)":
                    continue
                for n in marked.group(1).split():
                    out.append((path, node.lineno, ast.Constant(n)))
                continue
            arg = next((k.value for k in node.keywords if k.arg == "action"), None)
            if arg is None and len(node.args) > RECORDERS[name]:
                arg = node.args[RECORDERS[name]]
            if isinstance(arg, ast.Name) and arg.id in consts:
                arg = ast.Constant(consts[arg.id])
            out.append((path, node.lineno, arg))
    return out


def _literals(arg: ast.expr | None) -> list[str] | None:
    """The action names an argument can take: a string literal, or a conditional between literals; None for
    anything else (an f-string or a variable: write the names out so this scan can see them)."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        a, b = _literals(arg.body), _literals(arg.orelse)
        return None if a is None or b is None else a + b
    return None


def test_every_recorded_action_in_src_is_catalogued():
    calls = _record_calls()
    assert len(calls) >= 45  # the scan sees the services' calls
    problems = []
    seen = set()
    for path, line, arg in calls:
        names = _literals(arg)
        where = f"{path.relative_to(ROOT)}:{line}"
        if names is None:
            problems.append(f"{where}: the action is not a string literal")
            continue
        seen.update(names)
        problems += [f"{where}: {n!r} is not in actions.yaml" for n in names if n not in ACTIONS]
    assert problems == []
    # and nothing in the catalogue is dead: every action is recorded somewhere in src/
    assert set(ACTIONS) - seen == set()


def test_the_scan_catches_a_name_built_at_run_time():
    tree = ast.parse('record(s, a, f"inventory.{what}.create", "x", 1)\nrecord(s, a, "x.y.z" if c else "a.b.c", "x", 1)')
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert _literals(calls[0].args[2]) is None
    assert _literals(calls[1].args[2]) == ["x.y.z", "a.b.c"]


@pytest.mark.parametrize("action", ["inventory.use_case.teleport", "datacall.certify", "inventory.export", ""])
def test_record_refuses_an_action_the_catalogue_lacks(db, system, action):
    with db.transaction() as s:
        audit.record(s, system, "inventory.use_case.create", "use_case", "X-1")
    with pytest.raises(UnknownAuditAction) as exc:
        with db.transaction() as s:
            audit.record(s, system, action, "use_case", "X-1")
    assert repr(action) in str(exc.value)
    if action in FORMER:
        assert FORMER[action] in str(exc.value)  # names the current one
    with db.transaction() as s:
        assert audit.tree_size(s) == 1  # nothing written
        assert audit.verify(s, system).ok


def test_filter_by_action_finds_events_stored_under_former_names(db, system, make_user, actor_of, monkeypatch):
    make_user("olga", "auditor")
    olga = actor_of("olga")
    with monkeypatch.context() as m:  # events written by an older raigov, before the renames
        m.setattr(actions, "check", lambda name: name)
        with db.transaction() as s:
            audit.record(s, system, "datacall.certify", "reporting_cycle", 2025)
            audit.record(s, system, "datacall.certify_component", "reporting_cycle", "2025/CBP")
            audit.record(s, system, "jobs.run", "jobs", "2025-01-01")
    with db.transaction() as s:
        audit.record(s, system, "datacall.cycle.certify", "reporting_cycle", 2026)
        audit.record(s, system, "jobs.checks.run", "jobs", "2026-01-01")

    def found(prefix):
        rows, total = audit.list_events(s, olga, audit.EventFilter(action=prefix))
        assert total == len(rows)
        return sorted((r.action, r.object_id) for r in rows)

    with db.transaction() as s:
        assert found("datacall.cycle.certify") == [("datacall.certify", "2025"), ("datacall.cycle.certify", "2026")]
        assert found("datacall.certify") == [("datacall.certify", "2025"), ("datacall.certify_component", "2025/CBP"),
                                             ("datacall.cycle.certify", "2026")]
        assert found("jobs.") == [("jobs.checks.run", "2026-01-01"), ("jobs.run", "2025-01-01")]
        assert found("jobs.run") == [("jobs.checks.run", "2026-01-01"), ("jobs.run", "2025-01-01")]
        assert found("datacall.component") == [("datacall.certify_component", "2025/CBP")]
        assert found("identity.user.create") == [("identity.user.create", "olga")]
        assert found("inventory.") == []
        # stored names are untouched and the chain still verifies
        stored = s.scalars(sa.select(audit.AuditEvent.action).order_by(audit.AuditEvent.seq)).all()
        assert stored[-5:] == ["datacall.certify", "datacall.certify_component", "jobs.run", "datacall.cycle.certify",
                               "jobs.checks.run"]
        assert audit.verify(s, system).ok
