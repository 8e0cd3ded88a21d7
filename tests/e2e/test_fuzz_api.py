"""Fuzzing: schemathesis drives every operation of the service's OpenAPI description against the
running server process; no answer may be a 5xx.

The description is complete (every schema it refers to is in `components`; one path per service,
each with its own hook's context), and each hook and feedback operation carries an example, so the
generated requests reach the whole hook path and the store, not only the body checks. Bounded in
examples so the suite stays fast; run with more (`SCHEMATHESIS_EXAMPLES=500`) to dig deeper.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from service.app import create_app
from service.settings import Settings
from tests.support.service_process import running_service

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
ADMIN_TOKEN = "fuzz-admin-token"
# Generated requests name random fhirServers: only an address nobody listens on is allowed, so the
# service refuses them all before any network traffic (and says so in its data card).
ALLOWED_FHIR = json.dumps(["http://127.0.0.1:9/fhir"])

schema = schemathesis.openapi.from_dict(create_app(Settings(insecure_dev=True)).openapi())
ANSWERS: Counter[tuple[str, int]] = Counter()  # (operation, status) of every call made


@pytest.fixture(scope="module")
def base_url():
    env = {"BZRA_RULES_RELOAD": "false", "BZRA_ADMIN_TOKEN": ADMIN_TOKEN, "BZRA_FHIR_SERVER_ALLOWLIST": ALLOWED_FHIR}
    with running_service("--insecure-dev", env=env) as (base, _):
        yield base


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case, base_url: str) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if case.path.startswith("/admin") else None
    response = case.call(base_url=base_url, timeout=15, headers=headers)
    ANSWERS[(f"{case.method} {case.path}", response.status_code)] += 1
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"


def test_the_fuzzing_reached_every_hook_and_feedback_body() -> None:
    """Each hook call and feedback operation was answered 200 at least once: the generated requests
    got past the body checks into the pipeline and the store (runs after the fuzzing above)."""
    if not ANSWERS:
        pytest.skip("run together with the fuzzing test")
    hooks = {key: count for key, count in sorted(ANSWERS.items()) if "/cds-services/" in key[0]}
    print(f"schemathesis: {sum(ANSWERS.values())} calls; hook and feedback operations: {hooks}")
    for service in ("bzra-order-select", "bzra-order-sign", "bzra-medication-prescribe"):
        for path in (f"/cds-services/{service}", f"/cds-services/{service}/feedback"):
            assert ANSWERS[(f"POST {path}", 200)] > 0, (path, sorted(ANSWERS.items()))
