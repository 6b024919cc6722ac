"""What governance contributes: reviews, practices, evidence, waivers, the gate and the dashboard (API, pages,
`raigov review`, navigation, the home panels of the CAIO's office, the leads and the reviewers, whose cards link
to the data call, a domain of its own: raigov/datacall/register.py). Its clocks are read by the jobs in one
snapshot (raigov/jobs/register.py). Light: see raigov/domains.py (the data call's register module is as light)."""

from raigov.datacall.register import DATA_CALL
from raigov.domains import CliGroup, Contribution, HomePanel, Link, Task

DASHBOARD = Link("/dashboard", "Dashboard", "governance.dashboard.read")
REVIEW_QUEUE = Link("/reviews", "Review queue", "governance.review.comment")
_T = "raigov.governance.tasks"


def _reviewer(role: str, title: str, text: str) -> HomePanel:
    return HomePanel(role, title, text, (REVIEW_QUEUE, DASHBOARD))


CONTRIBUTES = Contribution(
    api=("raigov.web.api.governance:router",),
    hot=("raigov.web.api.governance:router",),
    pages=("raigov.web.pages.governance:router", "raigov.web.pages.dashboard:router"),
    cli=(CliGroup("review", "raigov.cli.review", "Reviews, practices, waivers and the authorization gate"),),
    nav=(Link("/dashboard", "Dashboard", "governance.dashboard.read", order=30),
         Link("/reviews", "Reviews", "governance.review.comment", order=40)),
    home=(
        HomePanel("caio", "Chief AI Officer",
                  "Run the annual data call, see every use case, its determination, review, overdue practices and "
                  "waivers; certify and publish.",
                  (DASHBOARD, DATA_CALL, Link("/reviews", "Reviews", "governance.review.comment"),
                   Link("/inventory", "Inventory", "inventory.use_case.read"), Link("/audit", "Audit trail", "audit.event.read"),
                   Link("/admin/pending-grants", "Role grants to confirm", "identity.role.confirm"))),
        HomePanel("caio_delegate", "CAIO delegate",
                  "Act for the Chief AI Officer where the rules allow it (never on waivers).",
                  (DASHBOARD, Link("/reviews", "Reviews", "governance.review.comment"),
                   Link("/inventory", "Inventory", "inventory.use_case.read"),
                   Link("/admin/pending-grants", "Role grants to confirm", "identity.role.confirm"))),
        HomePanel("component_ai_lead", "Component AI lead",
                  "Review and certify your component's use cases in the data call; follow their practices and "
                  "reviews.",
                  (DASHBOARD, DATA_CALL,
                   Link("/reviews", "Component reviews", "governance.review.comment"),
                   Link("/inventory", "Inventory", "inventory.use_case.read"),
                   Link("/inventory/import/file", "Import a file", "inventory.file.import"))),
        _reviewer("privacy_reviewer", "Privacy reviewer", "Your Privacy review queue."),
        _reviewer("crcl_reviewer", "CRCL reviewer", "Your Civil Rights and Civil Liberties review queue."),
        _reviewer("legal_reviewer", "Legal reviewer", "Your legal review queue."),
        _reviewer("ocio_reviewer", "OCIO reviewer",
                  "Your OCIO/CISO review queue (security, system authorization, face recognition)."),
        _reviewer("rug_member", "Responsible Use Group",
                  "Use cases before the Responsible Use Group: the independent reviews."),
    ),
    # the home page's "Your tasks" (identity adds the role grants to confirm, the jobs the notices)
    tasks=(Task("reviews", "Reviews waiting for you", "governance.review.decide", f"{_T}:reviews_waiting",
                link="/reviews", order=10),
           Task("changes", "Changes requested of you", "inventory.use_case.revise", f"{_T}:changes_requested",
                link="/inventory", order=20),
           Task("practices", "Practices due", "governance.practice.update", f"{_T}:practices_due", order=30),
           Task("certifications", "Data call certifications due", ("datacall.component.certify", "datacall.cycle.certify"),
                f"{_T}:certifications_due", link="/datacall", order=40)),
)
