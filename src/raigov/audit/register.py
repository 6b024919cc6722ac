"""What the audit trail contributes: its pages, `raigov audit`, the navigation entry and the auditor's home
panel. (Its JSON routes are in the core API module, registered by identity.) Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, HomePanel, Link

CONTRIBUTES = Contribution(
    pages=("raigov.web.pages.audit:router",),
    cli=(CliGroup("audit", "raigov.cli.audit", "The tamper-evident audit trail"),),
    nav=(Link("/audit", "Audit trail", "audit.event.read", order=80),),
    home=(HomePanel("auditor", "Auditor", "Read everything, including the tamper-evident audit trail; verify it.",
                    (Link("/inventory", "Inventory", "inventory.use_case.read"),
                     Link("/audit", "Audit trail", "audit.event.read"))),),
)
