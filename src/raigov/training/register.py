"""What the training ledger contributes: its API, pages, `raigov training`, its navigation entry and its clock.
Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Clock, Contribution, Link

CONTRIBUTES = Contribution(
    api=("raigov.web.api.training:router",),
    pages=("raigov.web.pages.training:router",),
    cli=(CliGroup("training", "raigov.cli.training", "Training ledger: record and import course completions"),),
    nav=(Link("/training", "Training", "training.ledger.read", order=67, more=True),),
    clocks=(Clock("training", "raigov.training.clock:training_due"),),
)
