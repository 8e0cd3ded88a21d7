"""`bench.read_cost` compares one patient's call read from FHIR with the same call in prefetch: the two
must be the same patient, the same history and the same advice, or the difference means nothing."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench import patients
from bench.read_cost import COLUMNS, bodies, summary
from bench.scenarios import HOOK_PATH
from service.app import create_app
from service.settings import Settings
from tests.support.fhir_server import FhirStub


def _without_call_ids(value: Any) -> Any:
    """`value` without what is new on every call: the cards' and suggestions' uuids, the suggested resources' ids."""
    if isinstance(value, dict):
        return {key: _without_call_ids(item) for key, item in value.items()
                if key != "uuid" and not (key == "id" and str(item).startswith("bzra-"))}
    if isinstance(value, list):
        return [_without_call_ids(item) for item in value]
    return value


def _cards(service: TestClient, body: bytes) -> list[dict[str, object]]:
    """The cards of one call (a new hookInstance and token, as `bench.read_cost` sends), without their per-call ids."""
    answered = service.post(HOOK_PATH, content=patients.fill(body, str(uuid.uuid4())), headers={"content-type": "application/json"})
    assert answered.status_code == 200, answered.text[:300]
    return _without_call_ids(answered.json()["cards"])  # type: ignore[no-any-return]


def test_the_call_from_fhir_and_the_call_in_prefetch_give_the_same_advice() -> None:
    today = date.today()
    with FhirStub(patients.fhir_server_resources(today)) as stub:
        without_prefetch, with_prefetch = bodies(today, stub.base_url)
        with TestClient(create_app(Settings(insecure_dev=True, rules_reload=False))) as service:
            from_fhir = _cards(service, without_prefetch)
            read = len(stub.requests)
            in_prefetch = _cards(service, with_prefetch)
        assert read >= 5 and len(stub.requests) == read  # the first read everything, the second nothing
    assert "prefetch" not in json.loads(without_prefetch) and json.loads(with_prefetch)["prefetch"]
    summaries = [card["summary"] for card in from_fhir]
    assert any("25 mg" in summary for summary in summaries)  # the patient's high dose, found either way
    assert from_fhir == in_prefetch


def test_summary_takes_the_medians_and_the_differences_that_matter() -> None:
    runs = {column: [1.0, 1.0, 1.0] for column in COLUMNS}
    runs |= {"bare reads": [2.0, 9.0, 2.5], "no prefetch": [5.0, 6.0, 4.0], "reading": [3.0, 2.6, 2.9],
             "prefetch": [2.0, 2.2, 1.8], "prefetch after reads": [3.5, 3.0, 3.2]}
    result = summary(runs)
    assert result["median_ms"]["bare reads"] == 2.5
    assert result["reading_over_bare_ms"] == pytest.approx(0.4)
    assert result["call_over_bare"] == pytest.approx(2.0)
    assert result["reads_cost_the_work_after_ms"] == pytest.approx(1.2)
