"""Fixtures for the inventory format tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def parsed_cache():
    from inventory_data import real_file

    from raigov.inventory.formats import read_inventory

    cache: dict = {}

    def get(name: str):
        if name not in cache:
            cache[name] = read_inventory(real_file(name))
        return cache[name]

    return get
