"""The roles, and the department's org units seeded on first migration."""

from __future__ import annotations

ROLES: dict[str, str] = {
    "submitter": "Component AI use case owner: registers and maintains the component's use cases",
    "component_ai_lead": "Component AI lead: reviews and certifies the component's use cases",
    "privacy_reviewer": "Privacy Office reviewer",
    "crcl_reviewer": "Office for Civil Rights and Civil Liberties reviewer",
    "legal_reviewer": "Office of the General Counsel reviewer",
    "ocio_reviewer": "Office of the Chief Information Officer reviewer (OCIO/CISO: security and system authorization)",
    "rug_member": "Responsible Use Group member",
    "caio": "Chief AI Officer",
    "caio_delegate": "Delegate of the Chief AI Officer",
    "te_engineer": "Test and evaluation engineer",
    "auditor": "Auditor: reads everything, including the audit trail; changes nothing",
    "admin": "Administrator: manages user accounts only; approves nothing",
    "employee": "Employee: generative-AI tool access only",
    "training_coordinator": "Training coordinator: records course completions and imports the learning system's exports",
    "service": "Operational system: API only; asks the authorization gate about its component's use cases, lists nothing",
    "appeals_officer": "Appeals officer: decides appeals against AI-assisted decisions of the component's use cases",
}

# What people read: the short name of each role, used in every message a person sees ("reviewed by a CRCL
# reviewer"), never the role's id. tests/identity/test_role_titles.py checks that every role has one.
ROLE_TITLES: dict[str, str] = {
    "submitter": "use case owner",
    "component_ai_lead": "component AI lead",
    "privacy_reviewer": "Privacy Office reviewer",
    "crcl_reviewer": "Civil Rights and Civil Liberties (CRCL) reviewer",
    "legal_reviewer": "General Counsel (OGC) reviewer",
    "ocio_reviewer": "Chief Information Officer's office (OCIO/CISO) reviewer",
    "rug_member": "Responsible Use Group member",
    "caio": "Chief AI Officer",
    "caio_delegate": "delegate of the Chief AI Officer",
    "te_engineer": "test and evaluation engineer",
    "auditor": "auditor",
    "admin": "user administrator",
    "employee": "employee",
    "training_coordinator": "training coordinator",
    "service": "operational system",
    "appeals_officer": "appeals officer",
    "system": "the system (operator's shell or scheduled jobs)",
}


def role_title(role: str) -> str:
    """The words for a role id (the id itself only for a role this list does not know)."""
    return ROLE_TITLES.get(role, role.replace("_", " "))


def roles_in_words(roles) -> str:
    """'a Privacy Office reviewer', 'a CRCL reviewer or the Chief AI Officer': a list of roles as a person reads it."""
    out = []
    for w in (role_title(r) for r in roles):
        if w.startswith("the "):
            out.append(w)
        elif w.startswith("Chief AI"):
            out.append("the " + w)
        else:
            out.append(("an " if w[:1].lower() in "aeio" else "a ") + w)  # "a use case owner", "a user administrator"
    if len(out) <= 1:
        return "".join(out)
    return ", ".join(out[:-1]) + " or " + out[-1]


# Roles that only make sense department-wide.
DEPARTMENT_ONLY = {"caio", "caio_delegate", "auditor", "admin"}

# Roles that decide (approve, certify, accept risk, grant): a grant of one by a person (an administrator on
# the pages, the API or with a token) stays pending until a second person confirms it. A new decision role
# is one more line here; tests/identity/test_permissions.py checks that every role holding an approval
# action of the matrix is listed.
DECIDING_ROLES = frozenset({
    "caio",
    "caio_delegate",
    "privacy_reviewer",
    "crcl_reviewer",
    "legal_reviewer",
    "ocio_reviewer",
    "rug_member",
    "component_ai_lead",
})

# Who confirms a pending grant: whoever may take `identity.role.confirm` in permissions.yaml (the CAIO's office); for
# the roles named here, only holders of the roles listed (the CAIO role by another CAIO). Never the person
# who asked for the grant, never the person who receives it.
CONFIRMERS_OF: dict[str, tuple[str, ...]] = {"caio": ("caio",)}

# code, name, kind, parent code
ORG_UNITS: list[tuple[str, str, str, str | None]] = [
    ("DHS", "Department of Homeland Security", "department", None),
    ("CBP", "U.S. Customs and Border Protection", "component", "DHS"),
    ("CISA", "Cybersecurity and Infrastructure Security Agency", "component", "DHS"),
    ("FEMA", "Federal Emergency Management Agency", "component", "DHS"),
    ("FLETC", "Federal Law Enforcement Training Centers", "component", "DHS"),
    ("ICE", "U.S. Immigration and Customs Enforcement", "component", "DHS"),
    ("TSA", "Transportation Security Administration", "component", "DHS"),
    ("USCG", "U.S. Coast Guard", "component", "DHS"),
    ("USCIS", "U.S. Citizenship and Immigration Services", "component", "DHS"),
    ("USSS", "U.S. Secret Service", "component", "DHS"),
    ("S&T", "Science and Technology Directorate", "component", "DHS"),
    ("CWMD", "Countering Weapons of Mass Destruction Office", "component", "DHS"),
    ("OHS", "Office of Health Security", "component", "DHS"),
    ("I&A", "Office of Intelligence and Analysis", "component", "DHS"),
    ("OIG", "Office of Inspector General", "component", "DHS"),
    ("CRCL", "Office for Civil Rights and Civil Liberties", "office", "DHS"),
    ("PRIV", "Privacy Office", "office", "DHS"),
    ("OCIO", "Office of the Chief Information Officer", "office", "DHS"),
    ("OGC", "Office of the General Counsel", "office", "DHS"),
    ("MGMT", "Management Directorate", "office", "DHS"),
    ("PLCY", "Office of Strategy, Policy, and Plans", "office", "DHS"),
    ("OPE", "Office of Partnership and Engagement", "office", "DHS"),
]
