"""Governance fixtures: one person per role the rules distinguish (an owner, a developer of the use case,
leads of two components, a reviewer per lane, a Responsible Use Group member on the development team and one
not, the CAIO and a delegate, an admin, a T&E engineer) and a CBP operational system."""

import pytest


@pytest.fixture
def people(db, make_user, actor_of):
    names = {
        "owner": ["submitter@CBP"], "dev": ["submitter@CBP"], "lead": ["component_ai_lead@CBP"],
        "tsa.lead": ["component_ai_lead@TSA"], "privacy": ["privacy_reviewer"], "crcl": ["crcl_reviewer"],
        "legal": ["legal_reviewer"], "ocio": ["ocio_reviewer"], "rug.dev": ["rug_member"], "rug": ["rug_member"],
        "caio": ["caio"], "delegate": ["caio_delegate"], "admin": ["admin"], "tester": ["te_engineer@CBP"],
    }
    for u, roles in names.items():
        make_user(u, *roles, password=False)  # these tests never sign in
    make_user("gate", "service@CBP", kind="service")
    return {u: actor_of(u) for u in [*names, "gate"]}
