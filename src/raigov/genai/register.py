"""What the GenAI domain contributes: the prompt guard, the tool catalog, the rules of behavior, access requests
and grants (API, pages, `raigov genai`), the navigation entry, the supervisor's task and the clock.
Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Clock, Contribution, Link, Task

CONTRIBUTES = Contribution(
    api=("raigov.web.api.genai:router", "raigov.web.api.genai_access:router",
         "raigov.web.api.genai_gateway:router"),
    pages=("raigov.web.pages.genai:router", "raigov.web.pages.genai_access:router"),
    cli=(CliGroup("genai", "raigov.cli.genai", "GenAI: screen prompts with the data guard; tools, rules and access"),),
    nav=(Link("/genai/tools", "GenAI", ("genai.access.request", "genai.grant.read"), key="genai", order=66),),
    clocks=(Clock("genai", "raigov.genai.clock:genai_due"),),
    tasks=(Task("genai_requests", "GenAI access requests waiting for your decision", "genai.access.approve",
                "raigov.genai.access:requests_task", link="/genai/requests", order=60),),
)
