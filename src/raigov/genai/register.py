"""What the GenAI domain contributes: the prompt guard's API, page and `raigov genai`, and its navigation
entry. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution, Link

CONTRIBUTES = Contribution(
    api=("raigov.web.api.genai:router",),
    pages=("raigov.web.pages.genai:router",),
    cli=(CliGroup("genai", "raigov.cli.genai", "GenAI: screen prompts with the data guard"),),
    nav=(Link("/genai/screen", "Prompt guard", "genai.prompt.screen", key="genai", order=66),),
)
