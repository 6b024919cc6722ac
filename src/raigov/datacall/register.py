"""What the annual data call contributes: its pages (/datacall), its API (/api/v1/datacall: a lead's checks by
kind), `raigov datacall` and its navigation entry. Its clock (the call's due date) is read by the jobs with
governance's in one snapshot (raigov/jobs/register.py); the public inventory pages built from its certified
snapshots are the web's (raigov/web/register.py). Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, Link

ACTIONS = ("datacall.cycle.open", "datacall.cycle.certify", "datacall.component.certify")
DATA_CALL = Link("/datacall", "Data call", ACTIONS, order=50)  # also on the CAIO's and the leads' home cards

CONTRIBUTES = Contribution(
    api=("raigov.web.api.datacall:router",),
    pages=("raigov.web.pages.datacall:router",),
    cli=(CliGroup("datacall", "raigov.cli.datacall",
                  "The annual data call: open, progress, component and CAIO certification, finishing a snapshot"),),
    nav=(DATA_CALL,),
)
