"""What the accountability reports contribute: the CAIO office's pages (/reports), `raigov report` and the
navigation entry for who may read the reports (disclosure.report.read). Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, Link

CONTRIBUTES = Contribution(
    pages=("raigov.web.pages.reports:router",),
    cli=(CliGroup("report", "raigov.cli.report",
                  "Accountability reports: face recognition, compliance plan, inventory summary"),),
    nav=(Link("/reports", "Reports", "disclosure.report.read", order=68, more=True),),
)
