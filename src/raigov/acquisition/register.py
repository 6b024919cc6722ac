"""What acquisition contributes: its API, pages, `raigov acquisition`, the navigation entry for who reads
contracts, and the clock of contract ends and option dates. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Clock, Contribution, Link

_R = ("acquisition.contract.read", "acquisition.contract.manage")

CONTRIBUTES = Contribution(
    api=("raigov.web.api.acquisition:router",),
    pages=("raigov.web.pages.acquisition:router",),
    cli=(CliGroup("acquisition", "raigov.cli.acquisition", "AI acquisition: contracts, vendors and AI contract requirements"),),
    nav=(Link("/acquisition", "Acquisition", _R, order=67, more=True),),
    clocks=(Clock("acquisition", "raigov.acquisition.clock:due", objects={"contract": "raigov.acquisition.clock:objects"}),),
)
