"""What the jobs contribute: `raigov jobs`, the Notices page and its navigation entry, and the clocks of
governance (practices, evidence, waivers, face-recognition re-tests, reviews, the annual data call), read
in one snapshot by raigov.jobs.service.governance_due. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Clock, Contribution, Link, Task

_S = "raigov.jobs.service"

CONTRIBUTES = Contribution(
    pages=("raigov.web.pages.notices:router",),
    cli=(CliGroup("jobs", "raigov.cli.jobs", "Scheduled checks and e-mail notices"),),
    nav=(Link("/notices", "Notices", None, order=90),),  # everybody sees the notices addressed to them
    clocks=(Clock("governance", f"{_S}:governance_due",
                  objects={"use_case": f"{_S}:use_case_objects", "practice": f"{_S}:practice_objects",
                           "review": f"{_S}:review_objects", "waiver": f"{_S}:waiver_objects",
                           "evidence": f"{_S}:evidence_objects"},
                  component_objects=("cycle",)),),
    tasks=(Task("notices", "Notices sent to you (last 30 days)", None, "raigov.jobs.tasks:notices_to_me", link="/notices",
                order=90),),
)
