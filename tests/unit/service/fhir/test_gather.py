"""Reading from FHIR: the record is the same whatever order the concurrent answers arrive in."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_ID
from service.fhir.client import FhirError, SearchResult
from service.fhir.gather import gather_record
from service.pipeline import Pipeline
from service.strict_json import RawJson
from tests.support import builders as b

ANSWERS: dict[str, Any] = {
    "Patient": b.patient(),
    "MedicationStatement": b.searchset(b.medication_statement()),
    "MedicationRequest": b.searchset(b.medication_request(medication_reference="Medication/m1"), b.medication_request("mr-2", medication_reference="Medication/m2")),
    "MedicationDispense": FhirError("the FHIR server answered 500: no details", 500),
    "Condition": b.searchset(b.condition()),
}


class OrderedSession:
    """Answers each read after a delay given by its position in `order` (earlier: sooner)."""

    def __init__(self, order: list[str]):
        self.order = order

    async def _answer(self, url: str) -> Any:
        kind = url.split("?")[0].split("/")[0]
        key = url if kind == "Medication" else kind
        await asyncio.sleep(0.002 * (self.order.index(key) if key in self.order else 0))
        answer = ANSWERS.get(kind) if kind != "Medication" else b.medication(url.split("/")[1])
        if isinstance(answer, FhirError):
            raise answer
        return answer

    async def get_page(self, url: str) -> RawJson:
        return RawJson(orjson.dumps(await self._answer(url)))

    async def search_recent(self, url: str, date_param: str | None) -> SearchResult:
        return SearchResult([await self.get_page(url)])


async def _record(order: list[str]) -> Any:
    request = HookRequest.model_validate(b.hook_request(fhir_server="http://ehr.test/fhir"))
    context, record = Pipeline.read_drafts(SERVICES_BY_ID["bzra-order-sign"], request)
    return await gather_record(request, context, record, OrderedSession(order), limit=1000)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_the_record_does_not_depend_on_the_order_answers_arrive_in() -> None:
    order = [*ANSWERS, "Medication/m1", "Medication/m2"]
    first, second = await _record(order), await _record(order[::-1])
    assert first.history_key is not None and first.history_key == second.history_key
    assert first.issues == second.issues and [i.data_key for i in first.issues if i.data_key] == ["medicationDispenses"]
    assert list(first.medications) == list(second.medications) == ["Medication/m1", "Medication/m2"]
    assert first.sources == second.sources and first.sources["medicationDispenses"] == "unavailable"
