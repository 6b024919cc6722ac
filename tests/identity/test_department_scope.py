"""Objects of the department (no component, or the department's own unit) are out of reach of every
component-scoped grant, and a grant "for DHS" is scoped to the department's own objects, as given
(issue #12, items 1 and 5). The matrix as pure logic: the service-level checks are in
tests/governance/test_department_objects.py."""

import pytest

from raigov.errors import PermissionDenied
from raigov.identity.permissions import ANYWHERE, DEPARTMENT, Actor, Grant, can, covers, is_department, matrix, require

UNITS = {"CBP": ("CBP", "DHS"), "TSA": ("TSA", "DHS"), "DHS": ("DHS",), "CBP-OFO": ("CBP-OFO", "CBP", "DHS")}


def who(role: str, unit: str | None) -> Actor:
    return Actor(kind="user", username=f"{role}-{unit}", grants=(Grant(role, unit),), unit_ancestors=UNITS)


def test_department_is_the_root_unit():
    assert DEPARTMENT == "DHS"
    assert is_department(None) and is_department("DHS") and is_department("dhs")
    assert not is_department("CBP")


@pytest.mark.parametrize("action", sorted(a for a, r in matrix().items() if r.scope == "component"))
def test_component_grants_never_reach_the_department(action):
    for role in matrix()[action].roles - {"system"}:
        scoped = who(role, "CBP")
        assert can(scoped, action, "CBP")
        assert can(scoped, action, "CBP-OFO"), "a component's grant reaches its sub-units"
        assert not can(scoped, action, None), f"{role}@CBP must not {action} on an object of no component"
        assert not can(scoped, action, "DHS"), f"{role}@CBP must not {action} on the department's own object"
        assert can(scoped, action), "asked of no object, any grant of the role answers"
        assert can(scoped, action, ANYWHERE)
        # department-wide grants reach everything
        assert can(who(role, None), action, None) and can(who(role, None), action, "TSA")


@pytest.mark.parametrize("action", sorted(a for a, r in matrix().items() if r.scope == "component"))
def test_a_grant_for_the_department_unit_reaches_its_own_objects_only(action):
    for role in matrix()[action].roles - {"system"}:
        hq = who(role, "DHS")
        assert can(hq, action, None) and can(hq, action, "DHS")
        assert not can(hq, action, "CBP"), f"{role}@DHS must not {action} on CBP's objects"
        assert not can(hq, action, "CBP-OFO")


def test_covers_is_the_one_rule():
    a = who("submitter", "CBP")
    assert covers(a, "CBP", "CBP") and covers(a, "CBP", "CBP-OFO")
    assert not covers(a, "CBP", None) and not covers(a, "CBP", "TSA") and not covers(a, "CBP-OFO", "CBP")
    assert covers(a, "DHS", None) and covers(a, "DHS", "DHS") and not covers(a, "DHS", "TSA")


def test_refusal_names_the_department():
    with pytest.raises(PermissionDenied) as e:
        require(who("submitter", "CBP"), "usecase.edit", None)
    assert "for DHS" in str(e.value)
