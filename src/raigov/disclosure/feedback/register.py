"""What public feedback contributes: the public form under /public/use-cases/{id}/feedback and the staff's queue
(/feedback), its navigation entry and dashboard panel for who manages feedback (disclosure.feedback.manage), and
the response-time clock of `raigov jobs run`. Light: see raigov/domains.py."""

from raigov.domains import Clock, Contribution, DashboardPanel, Link

CONTRIBUTES = Contribution(
    pages=("raigov.web.pages.feedback:router", "raigov.web.pages.feedback:public_router"),
    nav=(Link("/feedback", "Feedback", "disclosure.feedback.manage", order=67),),
    dashboard=(DashboardPanel("Public feedback by use case", "disclosure.feedback.manage",
                              "raigov.disclosure.feedback.clock:panel", "feedback/_panel.html"),),
    clocks=(Clock("feedback", "raigov.disclosure.feedback.clock:due",
                  objects={"public_feedback": "raigov.disclosure.feedback.clock:objects"}),),
)
