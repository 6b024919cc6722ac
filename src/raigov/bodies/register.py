"""What the governance bodies contribute: their API, pages, `raigov bodies` and the navigation entry for who reads
the bodies' records (bodies.body.read). Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, Link

CONTRIBUTES = Contribution(
    api=("raigov.web.api.bodies:router",),
    pages=("raigov.web.pages.bodies:router",),
    cli=(CliGroup("bodies", "raigov.cli.bodies", "Governance bodies: members, meetings, agendas, votes, iCalendar"),),
    nav=(Link("/bodies", "Bodies", "bodies.body.read", order=45, more=True),),
)
