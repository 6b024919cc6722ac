"""What the web shell contributes: the home page (its navigation entry first), the public pages and
`raigov serve`. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, Link

CONTRIBUTES = Contribution(
    pages=("raigov.web.pages.home:router", "raigov.web.pages.public:router"),
    cli=(CliGroup("serve", "raigov.cli.serve", "Serve the web app"),),
    nav=(Link("/home", "Home", None, order=0),),
)
