"""The GenAI prompt guard: pure detectors (RE2 patterns and format rules), a policy as data, and
``screen_text`` (docs/genai.md)."""
