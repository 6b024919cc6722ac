"""The OpenAPI document says what this server does: limits that come from the settings and lists that come
from the configuration are filled in when the document is built (once per app), not fixed in the code.

A field or parameter marks what it needs in its JSON schema:
- `x-raigov-maximum: <setting>`: the maximum is that setting's value (e.g. `token_max_days`);
- `x-raigov-enum: lanes`: the values are the review lanes of the governance configuration in force
  (lanes.yaml or RAIGOV_GOVERNANCE_FILE).
The markers are replaced, so clients and schemathesis see plain `maximum` and `enum`."""

from __future__ import annotations

from fastapi import FastAPI

from raigov.config import Settings
from raigov.governance.lanes import config


def _enum(name: str) -> list[str]:
    if name == "lanes":
        return list(config().lanes)
    raise ValueError(f"unknown x-raigov-enum {name!r}")


def _targets(node: dict) -> list[dict]:
    """The schema itself, or its non-null branches (`anyOf: [{type: integer}, {type: null}]`)."""
    branches = [b for b in node.get("anyOf", []) if isinstance(b, dict) and b.get("type") != "null"]
    return branches or [node]


def resolve(node, settings: Settings) -> None:
    if isinstance(node, dict):
        setting = node.pop("x-raigov-maximum", None)
        if setting is not None:
            for t in _targets(node):
                t["maximum"] = getattr(settings, setting)
        name = node.pop("x-raigov-enum", None)
        if name is not None:
            for t in _targets(node):
                t["enum"] = _enum(name)
        for v in node.values():
            resolve(v, settings)
    elif isinstance(node, list):
        for v in node:
            resolve(v, settings)


def install(app: FastAPI, settings: Settings) -> None:
    generate = app.openapi  # FastAPI's own (it caches the document in app.openapi_schema)

    def openapi() -> dict:
        if app.openapi_schema is None:
            resolve(generate(), settings)
        return app.openapi_schema

    app.openapi = openapi
