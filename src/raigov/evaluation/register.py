"""What test and evaluation contributes: the T&E pages, `raigov eval`, the navigation entry (for everyone who
may read runs: eval.read) and the T&E engineer's home panel. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, HomePanel, Link

CONTRIBUTES = Contribution(
    pages=("raigov.web.pages.evaluation:router",),
    cli=(CliGroup("eval", "raigov.cli.eval", "Test and evaluation: classifier fairness and biometric differentials"),),
    nav=(Link("/evaluation", "T&E", "evaluation.run.read", order=60),),
    home=(HomePanel("te_engineer", "Test and evaluation",
                    "Measure accuracy and bias, including face-recognition demographic differentials, and attach "
                    "reports as evidence.",
                    (Link("/evaluation", "Test and evaluation", "evaluation.run.read"),)),),
)
