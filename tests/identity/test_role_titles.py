"""Every role has a title a person reads (issue #14: no role ids in messages), and lists of roles read as
words."""

from raigov.identity.roles import ROLE_TITLES, ROLES, role_title, roles_in_words


def test_every_role_has_a_title_without_its_id():
    assert set(ROLES) | {"system"} == set(ROLE_TITLES)
    for role, title in ROLE_TITLES.items():
        assert "_" not in title and (role not in title or "_" not in role), (role, title)


def test_roles_in_words():
    assert roles_in_words(["crcl_reviewer"]) == "a Civil Rights and Civil Liberties (CRCL) reviewer"
    assert roles_in_words(["rug_member", "caio", "caio_delegate"]) == (
        "a Responsible Use Group member, the Chief AI Officer or a delegate of the Chief AI Officer")
    assert roles_in_words(["auditor"]) == "an auditor"
    assert role_title("no_such_role") == "no such role"
