"""The agency's review lanes and routes (lanes.yaml, or RAIGOV_GOVERNANCE_FILE), and what a use case
requires: which lanes review it and which minimum practices apply. Pure: no session, no I/O beyond
reading the configuration file once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from raigov.errors import ValidationFailed
from raigov.identity.roles import ROLES

DECISION_IMPACTS = {
    "high-impact": {"high-impact"},
    "rights-impacting": {"rights"},
    "safety-impacting": {"safety"},
    "both": {"rights", "safety"},
}


@dataclass(frozen=True)
class Lane:
    code: str
    title: str
    roles: tuple[str, ...]
    scope: str = "department"  # department | component
    independent: bool = False
    citation: str | None = None


@dataclass(frozen=True)
class Route:
    when: str | dict
    lanes: tuple[str, ...]
    because: dict | None = None


@dataclass(frozen=True)
class GovernanceConfig:
    version: str
    lanes: dict[str, Lane]
    routes: tuple[Route, ...]
    review_due_days: int = 30
    practice_due_days: int = 90
    evidence_warning_days: int = 30
    bias_test_max_age_days: int = 1095
    pilot_max_days: int = 365
    agency_packs: tuple[str, ...] = ()
    face_recognition_items: tuple[str, ...] = ()
    source: str = ""


_TOP = {"version", "agency", "review_due_days", "practice_due_days", "evidence_warning_days", "bias_test_max_age_days",
        "pilot_max_days", "agency_packs", "face_recognition_items", "lanes", "routes"}


def parse_config(raw: dict, where: str = "lanes.yaml") -> GovernanceConfig:
    """Validate and build the configuration; errors name the file and the key."""
    if not isinstance(raw, dict):
        raise ValidationFailed.one(where, "the file must hold a mapping")
    unknown = set(raw) - _TOP
    if unknown:
        raise ValidationFailed.one(f"{where}: {min(unknown)}", "unknown key")
    lanes: dict[str, Lane] = {}
    for code, spec in (raw.get("lanes") or {}).items():
        key = f"{where}: lanes.{code}"
        if not isinstance(spec, dict) or not spec.get("title") or not spec.get("roles"):
            raise ValidationFailed.one(key, "a lane needs a title and roles")
        extra = set(spec) - {"title", "roles", "scope", "independent", "citation"}
        if extra:
            raise ValidationFailed.one(f"{key}.{min(extra)}", "unknown key")
        bad_roles = [r for r in spec["roles"] if r not in ROLES]
        if bad_roles:
            raise ValidationFailed.one(f"{key}.roles", f"unknown role {bad_roles[0]!r}")
        scope = spec.get("scope", "department")
        if scope not in ("department", "component"):
            raise ValidationFailed.one(f"{key}.scope", "department or component")
        lanes[code] = Lane(code, spec["title"], tuple(spec["roles"]), scope, bool(spec.get("independent")),
                           spec.get("citation"))
    if not lanes:
        raise ValidationFailed.one(f"{where}: lanes", "at least one lane")
    routes = []
    for i, r in enumerate(raw.get("routes") or []):
        key = f"{where}: routes[{i}]"
        when = r.get("when")
        if not (when == "affirmative" or (isinstance(when, dict) and set(when) == {"review_item"})):
            raise ValidationFailed.one(f"{key}.when", "`affirmative` or {review_item: ITEM-ID}")
        for code in r.get("lanes") or []:
            if code not in lanes:
                raise ValidationFailed.one(f"{key}.lanes", f"unknown lane {code!r}")
        routes.append(Route(when, tuple(r.get("lanes") or ()), r.get("because")))
    ints = {k: raw.get(k, GovernanceConfig.__dataclass_fields__[k].default) for k in
            ("review_due_days", "practice_due_days", "evidence_warning_days", "bias_test_max_age_days",
             "pilot_max_days")}
    for k, v in ints.items():
        if not isinstance(v, int) or v < 0:
            raise ValidationFailed.one(f"{where}: {k}", "a whole number of days")
    lists = {}
    for k in ("agency_packs", "face_recognition_items"):
        v = raw.get(k) or []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ValidationFailed.one(f"{where}: {k}", "a list of ids")
        lists[k] = tuple(v)
    return GovernanceConfig(str(raw.get("version", "")), lanes, tuple(routes), source=where, **ints, **lists)


@lru_cache(maxsize=4)
def _load(path: str | None) -> GovernanceConfig:
    if path:
        text, where = Path(path).read_text(encoding="utf-8"), path
    else:
        text, where = resources.files("raigov.governance").joinpath("lanes.yaml").read_text(encoding="utf-8"), "lanes.yaml"
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ValidationFailed.one(f"{where}{line}", f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_config(raw, where)


def config() -> GovernanceConfig:
    return _load(os.environ.get("RAIGOV_GOVERNANCE_FILE") or None)


# ---------------------------------------------------------------- what a use case requires


@dataclass
class Requirements:
    affirmative: bool | None  # None: neither determined nor screened
    basis: str  # what decided `affirmative`: "determination", "awaiting CAIO", "screen", "insufficient information", "none"
    framework: str | None
    impacts: set[str] = field(default_factory=set)
    lanes: dict[str, list[dict]] = field(default_factory=dict)  # lane -> [{item, citation}] requiring it
    practices: list[dict] = field(default_factory=list)  # {item, pack, title, citation, timing}
    face_recognition: bool = False


def requirements(cfg: GovernanceConfig, *, affirmative: bool | None, basis: str, framework: str | None,
                 decision: str | None, framework_pack, review_items: list[dict], dhs_practices: list[dict],
                 face_recognition: bool) -> Requirements:
    """Lanes and practices from the determination (or the screen's presumption when no official has
    decided yet) and the review/practice items the packs' screens matched.

    ``review_items``: [{item, citation}] of every pack review finding; ``dhs_practices``: practice findings
    of agency packs (e.g. DHS 026-11 testing) as {item, pack, title, citation, timing}."""
    req = Requirements(affirmative, basis, framework, face_recognition=face_recognition)
    if decision in DECISION_IMPACTS:
        req.impacts = set(DECISION_IMPACTS[decision])
    elif affirmative and framework_pack is not None:
        req.impacts = {"high-impact"} if framework == "M-25-21" else {"rights", "safety"}

    def need(lane: str, because: dict) -> None:
        lst = req.lanes.setdefault(lane, [])
        if because and because not in lst:
            lst.append(because)

    matched = {r["item"]: r for r in review_items}
    for route in cfg.routes:
        if route.when == "affirmative":
            if affirmative:
                for lane in route.lanes:
                    need(lane, route.because or {})
        elif route.when["review_item"] in matched:
            r = matched[route.when["review_item"]]
            for lane in route.lanes:
                need(lane, {"item": r["item"], "citation": r.get("citation", "")})
    if affirmative and framework_pack is not None:
        for it in framework_pack.items_of("practice"):
            if set(it.impact) & req.impacts:
                req.practices.append({"item": it.id, "pack": framework_pack.key, "title": it.title,
                                      "citation": it.citation, "timing": it.timing})
    seen = {p["item"] for p in req.practices}
    for p in dhs_practices:
        if p["item"] not in seen:
            req.practices.append(p)
            seen.add(p["item"])
    return req
