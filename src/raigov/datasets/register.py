"""What the dataset registry contributes: its API, pages, `raigov datasets` and the navigation entry for who
reads datasets. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, Link

CONTRIBUTES = Contribution(
    api=("raigov.web.api.datasets:router",),
    pages=("raigov.web.pages.datasets:router",),
    cli=(CliGroup("datasets", "raigov.cli.datasets", "The dataset registry: data cards, versions and their use"),),
    nav=(Link("/datasets", "Datasets", ("datasets.dataset.read", "datasets.dataset.manage"), order=68, more=True),),
)
