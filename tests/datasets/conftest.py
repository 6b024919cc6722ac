"""The dataset tests use the acquisition tests' people and use cases."""

from tests.acquisition.conftest import people, use_cases  # noqa: F401  (the fixtures)
