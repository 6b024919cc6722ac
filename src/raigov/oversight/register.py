"""What oversight contributes: the decision ledger's API, its pages, `raigov oversight` and the navigation entry
for those who read decisions (oversight.decision.read). Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, Link

CONTRIBUTES = Contribution(
    api=("raigov.web.api.oversight:router",),
    pages=("raigov.web.pages.oversight:router",),
    cli=(CliGroup("oversight", "raigov.cli.oversight", "Human oversight: the decision ledger's statistics and proofs"),),
    nav=(Link("/oversight", "Oversight", "oversight.decision.read", order=66),),
)
