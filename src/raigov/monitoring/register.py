"""What monitoring contributes: `raigov monitor` (monitors, windows, alerts; drift between two files), the
windows API, the monitoring pages of a use case, the monitoring clock of `raigov jobs run`, the dashboard's AI
incidents panel and the incidents' lines in a use case's History. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Clock, Contribution, DashboardPanel

_C = "raigov.monitoring.clock"

CONTRIBUTES = Contribution(
    api=("raigov.web.api.monitoring:router",),
    pages=("raigov.web.pages.monitoring:router",),
    cli=(CliGroup("monitor", "raigov.cli.monitor",
                  "Monitoring: monitors, windows, alerts and incidents; data drift between two files"),),
    clocks=(Clock("monitoring", f"{_C}:monitoring_due",
                  objects={"monitor_alert": f"{_C}:alert_objects", "monitor": f"{_C}:monitor_objects",
                           "incident": f"{_C}:incident_objects", "incident_action": f"{_C}:action_objects"}),),
    chores=("raigov.monitoring.evidence:monthly_reports",),
    dashboard=(DashboardPanel("AI incidents", "monitoring.monitor.read", "raigov.monitoring.overview:panel",
                              "monitoring/_incidents_panel.html"),),
    history=("raigov.monitoring.overview:history",),
)
