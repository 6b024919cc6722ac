"""What the inventory contributes: its pages, `raigov inventory`, the navigation entry and the use case
owner's home panel. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, HomePanel, Link

CONTRIBUTES = Contribution(
    pages=("raigov.web.pages.inventory:router",),
    cli=(CliGroup("inventory", "raigov.cli.inventory", "The AI use case inventory: import, export, checks"),),
    nav=(Link("/inventory", "Inventory", "inventory.use_case.read", order=10),),
    home=(HomePanel("submitter", "Use case owner",
                    "Register your component's AI use cases, answer the screening, attach impact assessments and "
                    "test evidence, keep monitoring alive.",
                    (Link("/inventory", "Your use cases", "inventory.use_case.read"),
                     Link("/inventory/new/use-case", "Register a use case", "inventory.use_case.create"))),),
)
