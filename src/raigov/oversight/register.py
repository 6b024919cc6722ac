"""What oversight contributes: the decision ledger's API, its pages, `raigov oversight` and the navigation entry
for those who read decisions (oversight.decision.read). Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Clock, Contribution, Link

CONTRIBUTES = Contribution(
    api=("raigov.web.api.oversight:router", "raigov.web.api.oversight_signals:router"),
    pages=("raigov.web.pages.oversight:router",),
    cli=(CliGroup("oversight", "raigov.cli.oversight", "Human oversight: the decision ledger's statistics and proofs"),),
    nav=(Link("/oversight", "Oversight", "oversight.decision.read", order=66),),
    clocks=(Clock("oversight", "raigov.oversight.signals:due",
                  objects={"oversight_alert": "raigov.oversight.signals:alert_objects"}),),
)
