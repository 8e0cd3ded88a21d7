"""The OpenAPI description: the hook request body documented, every schema it refers to in its components."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tests.support.builders import SIGN


def test_openapi_documents_the_hook_request_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/cds-services/bzra-order-sign"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["hook"]["const"] == "order-sign"
    assert body["schema"]["properties"]["hookInstance"]["format"] == "uuid"
    assert body["schema"]["properties"]["context"] == {"$ref": "#/components/schemas/OrderSignContext"}
    assert client.post(SIGN, json=body["examples"]["example"]["value"]).status_code == 200  # the documented example works


def test_every_schema_the_openapi_description_refers_to_is_in_its_components(client: TestClient) -> None:
    """Four were missing (FhirAuthorization, AcceptedSuggestion, Feedback, OverrideReason)."""
    spec = client.get("/openapi.json").json()
    referred = set(re.findall(r"#/components/schemas/([^\"]+)", json.dumps(spec)))
    assert {"FhirAuthorization", "AcceptedSuggestion", "Feedback", "OverrideReason", "OrderSignContext"} <= referred
    assert referred <= set(spec["components"]["schemas"])
    assert "$defs" not in json.dumps(spec)
