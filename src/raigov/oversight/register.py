"""What oversight contributes: the decision ledger's API, its pages, `raigov oversight` and the navigation entry
for those who read decisions (oversight.decision.read); appeals and notices (their API and pages, the home task
of appeals waiting for an officer, and the appeals clock). Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Clock, Contribution, HomePanel, Link, Task

CONTRIBUTES = Contribution(
    api=("raigov.web.api.oversight:router", "raigov.web.api.oversight_signals:router",
         "raigov.web.api.oversight_appeals:router"),
    hot=("raigov.web.api.oversight:router",),
    pages=("raigov.web.pages.oversight:router", "raigov.web.pages.oversight_appeals:router"),
    cli=(CliGroup("oversight", "raigov.cli.oversight", "Human oversight: the decision ledger's statistics and proofs"),),
    nav=(Link("/oversight", "Oversight", "oversight.decision.read", order=66),),
    home=(HomePanel("appeals_officer", "Appeals officer",
                    "Decide appeals against AI-assisted decisions of your component's use cases: upheld, modified or "
                    "reversed, with a rationale, within the clock.",
                    (Link("/oversight/appeals", "Appeals", "oversight.appeal.read"),)),),
    tasks=(Task("appeals", "Appeals waiting for your decision", "oversight.appeal.decide",
                "raigov.oversight.appeals:waiting", link="/oversight/appeals", order=70),),
    clocks=(Clock("oversight", "raigov.oversight.signals:due",
                  objects={"oversight_alert": "raigov.oversight.signals:alert_objects"}),
            Clock("oversight_appeals", "raigov.oversight.appeals_clock:due",
                  objects={"appeal": "raigov.oversight.appeals_clock:objects"}),),
    chores=("raigov.oversight.summary:monthly_summaries",),
)
