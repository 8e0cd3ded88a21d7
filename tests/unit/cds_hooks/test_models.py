"""The wire models' JSON: what a CDS client reads."""

from __future__ import annotations

import json

from cds_hooks import CDSResponse
from cds_hooks.models import Action, Card, Source, Suggestion


def answer() -> CDSResponse:
    card = Card(
        summary="Résumé", indicator="warning", source=Source(label="guideline"), detail=None,
        suggestions=[Suggestion(label="taper", actions=[Action(type="create", description="plan", resource={"resourceType": "CarePlan", "note": None})])],
        selectionBehavior="at-most-one",
    )
    return CDSResponse(cards=[card], extension={"bzra-cds.data-issues": [{"where": "prefetch", "code": None}]})


def test_wire_json_is_the_wire_object_as_json() -> None:
    """`wire_json` (the hook route's answer) holds what `wire()` holds: optional fields left out, extensions kept."""
    response = answer()
    sent = json.loads(response.wire_json())
    assert sent == response.wire()
    assert "detail" not in sent["cards"][0] and "systemActions" not in sent  # None: left out
    assert sent["cards"][0]["suggestions"][0]["actions"][0]["resource"]["note"] is None  # a FHIR resource as given
    assert "Résumé".encode() in response.wire_json()  # UTF-8, not escaped


def test_wire_json_is_the_json_fastapi_made_of_the_response_model() -> None:
    """The bytes FastAPI sent with `response_model=CDSResponse, response_model_exclude_none=True`."""
    from pydantic import TypeAdapter

    response = answer()
    adapter = TypeAdapter(CDSResponse)
    assert response.wire_json() == adapter.dump_json(adapter.validate_python(response), exclude_none=True, by_alias=True)
