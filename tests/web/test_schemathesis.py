"""Property-based run of the whole OpenAPI (schemathesis), in-process, on SQLite and on PostgreSQL: every
operation with a few generated examples, once with random path parameters and once aimed at real objects,
authenticated as the CAIO (API token of a `caio` user) and as an operational system (a service token of CBP).
It asserts zero 5xx and zero responses that differ from the documented schema. Bounded: a few examples per
operation, no shrinking, derandomized (reproducible). RAIGOV_FUZZ_EXAMPLES=N and RAIGOV_FUZZ_NEGATIVE=1
(invalid data too, checking "no 5xx") make a deeper run by hand; schemathesis 4.32.5 was used."""

from __future__ import annotations

import contextlib
import os
import re

import pytest

from tests.conftest import IN_CI

try:
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance
except ImportError:  # pragma: no cover - the dev extra brings it
    if IN_CI:
        raise
    pytest.skip("schemathesis is not installed (pip install schemathesis): the API fuzz run is skipped",
                allow_module_level=True)

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis.errors import Unsatisfiable

from tests.governance.test_governance_service import FR, LOW, PDF  # the governance tests' use cases

pytestmark = pytest.mark.slow

# a few examples per operation keep `make test` quick; RAIGOV_FUZZ_EXAMPLES=50 for a deeper run by hand
EXAMPLES = int(os.environ.get("RAIGOV_FUZZ_EXAMPLES", "4"))
NEGATIVE = os.environ.get("RAIGOV_FUZZ_NEGATIVE", "") == "1"


def _seed(db, settings, make_user, actor_of) -> dict:
    """A few use cases (one through screening, determination and review), evidence (a file and a link), a
    signed tree head; returns the real ids the aimed run uses for path parameters."""
    from raigov.audit import service as audit
    from raigov.governance import service as gov
    from raigov.inventory import service as inventory
    from raigov.policy import service as policy

    make_user("owner", "submitter@CBP", password=False)
    make_user("lead", "component_ai_lead@CBP", password=False)
    make_user("caio", "caio", password=False)
    make_user("victim", "submitter@CBP", password=False)
    make_user("gate", "service@CBP", kind="service")
    owner, caio = actor_of("owner"), actor_of("caio")
    with db.transaction() as s:
        fr = inventory.create_use_case(s, owner, component="CBP", values=FR, reason="new", settings=settings).business_id
        inventory.create_use_case(s, owner, component="CBP", values=LOW, reason="new", settings=settings)
        inventory.create_use_case(s, owner, component="CBP", values={**LOW, "use_case_name": "A draft"}, reason="new",
                                  settings=settings)
    with db.transaction() as s:
        inventory.submit_use_case(s, owner, fr)
    with db.transaction() as s:
        policy.screen_use_case(s, owner, fr)
        policy.decide(s, caio, fr, "high-impact", "matches the face recognition presumption")
        gov.sync(s, owner, fr)
    with db.transaction() as s:
        ev = gov.add_file(s, owner, settings, fr, PDF, filename="test-plan.pdf", title="Test plan",
                          category="test_report")
        evidence_id = ev.id
        reviews = gov.reviews_of(s, caio, fr)
        review_id = reviews[0].id if reviews else 1
        practices = gov.practices_of(s, caio, fr)
        item = practices[0].item if practices else "x"
    with db.transaction() as s:
        audit.sign_head(s, caio, settings.data_dir)
    from raigov.policy.packs import current_registry

    pack = current_registry().packs()[0]
    return {"business_id": fr, "review_id": review_id, "evidence_id": evidence_id, "item": item,
            "seq": 1, "username": "victim", "pack_id": pack.id, "version": pack.version, "role": "submitter"}


def _fuzz(label: str, strategy, headers: dict, failures: list, calls: list, checks: list):
    """One operation, a few examples: every response checked, every finding collected (no shrinking)."""

    @hsettings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
               phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case):
        calls.append(label)
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # noqa: BLE001 - the in-process client re-raises what became a 500
            failures.append(f"{label} raised {type(exc).__name__}: {str(exc)[:300]}\n  {case.as_curl_command()}")
            return
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every finding, report them together
            failures.append(f"{label} -> {response.status_code}: {str(exc)[:600]}\n  {case.as_curl_command()}")

    with contextlib.suppress(Unsatisfiable):  # invalid data asked of an operation that takes nothing
        check()


def _run(schema, headers: dict, aimed: dict, failures: list, calls: list) -> None:
    """Every operation: once with generated path parameters, once aimed at the seeded objects; with
    RAIGOV_FUZZ_NEGATIVE=1 also with invalid data (numbers out of range, wrong types...), where only
    "no 5xx" is checked."""
    positive = [not_a_server_error, response_schema_conformance]
    for result in schema.get_all_operations():
        op = result.ok()
        label = f"{op.method.upper()} {op.path}"
        names = re.findall(r"{(\w+)}", op.path)
        _fuzz(label, op.as_strategy(), headers, failures, calls, positive)
        if names and all(n in aimed for n in names):
            fixed = {n: aimed[n] for n in names}
            _fuzz(f"{label} {fixed}", op.as_strategy(path_parameters=fixed), headers, failures, calls, positive)
        if NEGATIVE:
            _fuzz(f"{label} (invalid data)", op.as_strategy(generation_mode=GenerationMode.NEGATIVE), headers,
                  failures, calls, [not_a_server_error])


def test_openapi_fuzz_no_5xx_and_schema_conformance(backend, app, db, settings, make_user, actor_of, token_for):
    aimed = _seed(db, settings, make_user, actor_of)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    calls: list[str] = []
    for who in ("caio", "gate"):  # the CAIO's API token, an operational system's service token (CBP)
        _run(schema, token_for(who), aimed, failures, calls)
    assert len(set(calls)) > 50  # every operation ran (the aimed ones twice)
    assert not failures, f"{len(failures)} finding(s):\n" + "\n".join(failures[:40])
