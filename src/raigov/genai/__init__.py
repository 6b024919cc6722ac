"""The GenAI domain: the prompt guard (genai/guard/) and its service, API, CLI and page (docs/genai.md)."""
