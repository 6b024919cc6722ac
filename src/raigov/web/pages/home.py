"""The home dashboard: one panel per role the person holds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.identity.permissions import can
from raigov.identity.roles import ROLES
from raigov.web.app import render
from raigov.web.deps import page_user, require_page_actor, uow

router = APIRouter(include_in_schema=False)

# What each role does here, and where (links appear only for pages that exist).
ROLE_PANELS = {
    "caio": ("Chief AI Officer", "Run the annual data call, see every use case, its determination, review, overdue practices and waivers; certify and publish.",
             [("/dashboard", "Dashboard"), ("/datacall", "Data call"), ("/reviews", "Reviews"), ("/inventory", "Inventory"),
              ("/audit", "Audit trail"), ("/admin/pending-grants", "Role grants to confirm")]),
    "caio_delegate": ("CAIO delegate", "Act for the Chief AI Officer where the rules allow it (never on waivers).",
                      [("/dashboard", "Dashboard"), ("/reviews", "Reviews"), ("/inventory", "Inventory"),
                       ("/admin/pending-grants", "Role grants to confirm")]),
    "submitter": ("Use case owner", "Register your component's AI use cases, answer the screening, attach impact assessments and test evidence, keep monitoring alive.",
                  [("/inventory", "Your use cases"), ("/inventory/new/use-case", "Register a use case")]),
    "component_ai_lead": ("Component AI lead", "Review and certify your component's use cases in the data call; follow their practices and reviews.",
                          [("/dashboard", "Dashboard"), ("/datacall", "Data call"), ("/reviews", "Component reviews"),
                           ("/inventory", "Inventory"), ("/inventory/import/file", "Import a file")]),
    "privacy_reviewer": ("Privacy reviewer", "Your Privacy review queue.", [("/reviews", "Review queue"), ("/dashboard", "Dashboard")]),
    "crcl_reviewer": ("CRCL reviewer", "Your Civil Rights and Civil Liberties review queue.",
                      [("/reviews", "Review queue"), ("/dashboard", "Dashboard")]),
    "legal_reviewer": ("Legal reviewer", "Your legal review queue.", [("/reviews", "Review queue"), ("/dashboard", "Dashboard")]),
    "ocio_reviewer": ("OCIO reviewer", "Your OCIO/CISO review queue (security, system authorization, face recognition).",
                      [("/reviews", "Review queue"), ("/dashboard", "Dashboard")]),
    "rug_member": ("Responsible Use Group", "Use cases before the Responsible Use Group: the independent reviews.",
                   [("/reviews", "Review queue"), ("/dashboard", "Dashboard")]),
    "te_engineer": ("Test and evaluation", "Measure accuracy and bias, including face-recognition demographic differentials, and attach reports as evidence.", []),
    "auditor": ("Auditor", "Read everything, including the tamper-evident audit trail; verify it.", [("/inventory", "Inventory"), ("/audit", "Audit trail")]),
    "admin": ("Administrator", "Manage accounts and roles. Administrators approve nothing.", [("/admin/users", "User administration")]),
    "employee": ("Employee", "Request access to a generative-AI tool and screen prompts before they leave the agency.", []),
}


@router.get("/")
def root(request: Request):
    return RedirectResponse("/home" if page_user(request) else "/sign-in", status_code=303)


@router.get("/home")
def home(request: Request):
    actor = require_page_actor(request)
    panels = []
    seen = set()
    for g in actor.grants:
        if g.role in seen or g.role not in ROLE_PANELS:
            continue
        seen.add(g.role)
        title, text, links = ROLE_PANELS[g.role]
        scopes = [x.org_unit or "department-wide" for x in actor.grants if x.role == g.role]
        panels.append({"role": g.role, "title": title, "text": text, "links": links, "scopes": scopes})
    stats = {}
    if can(actor, "audit.read"):
        from raigov.audit.service import latest_head, tree_size

        with uow(request) as s:
            stats["audit_events"] = tree_size(s)
            stats["audit_head"] = latest_head(s)
    return render(request, "home.html", {"panels": panels, "stats": stats, "role_names": ROLES})
