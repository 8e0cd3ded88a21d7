"""Fuzzing: schemathesis drives every operation of the service's OpenAPI against the running
server process; no answer may be a 500.

Bounded in examples so the suite stays fast; run with more (`SCHEMATHESIS_EXAMPLES=500`) to dig deeper.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from service.app import create_app
from service.settings import Settings
from tests.service_process import running_service

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
schema = schemathesis.openapi.from_dict(create_app(Settings(insecure_dev=True)).openapi())


@pytest.fixture(scope="module")
def base_url():
    with running_service("--insecure-dev", env={"BZRA_RULES_RELOAD": "false"}) as (base, _):
        yield base


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case, base_url: str) -> None:
    response = case.call(base_url=base_url, timeout=15)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
