"""What policy contributes: the packs' API and pages, `raigov policy`, the navigation entry. Light: see
raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, Link

CONTRIBUTES = Contribution(
    api=("raigov.web.api.policy:router",),
    pages=("raigov.web.pages.policy:router",),
    cli=(CliGroup("policy", "raigov.cli.policy", "Policy packs: validate, screen, diff"),),
    nav=(Link("/policy", "Policy", "inventory.use_case.read", order=20),),
)
