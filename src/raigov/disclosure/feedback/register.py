"""What public feedback contributes: the public form under /public/use-cases/{id}/feedback, the staff's queue
(/feedback), the home page's task and the dashboard's panel for who manages feedback (disclosure.feedback.manage;
no navigation entry: the CAIO's bar is full at 1366 px), and the response-time clock of `raigov jobs run`.
Light: see raigov/domains.py."""

from raigov.domains import Clock, Contribution, DashboardPanel, Task

CONTRIBUTES = Contribution(
    pages=("raigov.web.pages.feedback:router", "raigov.web.pages.feedback:public_router"),
    tasks=(Task("feedback", "Public feedback to answer", "disclosure.feedback.manage",
                "raigov.disclosure.feedback.clock:tasks", link="/feedback", order=45),),
    dashboard=(DashboardPanel("Public feedback by use case", "disclosure.feedback.manage",
                              "raigov.disclosure.feedback.clock:panel", "feedback/_panel.html"),),
    clocks=(Clock("feedback", "raigov.disclosure.feedback.clock:due",
                  objects={"public_feedback": "raigov.disclosure.feedback.clock:objects"}),),
)
