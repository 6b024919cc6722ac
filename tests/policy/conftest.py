import pytest

from raigov.policy.packs import load_registry


@pytest.fixture(scope="session")
def registry():
    return load_registry([])


@pytest.fixture(scope="session")
def m2521(registry):
    return registry.get("omb-m-25-21")


@pytest.fixture(scope="session")
def m2410(registry):
    return registry.get("omb-m-24-10")
