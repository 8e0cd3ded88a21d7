"""Request bodies read as strict JSON objects: anything else is a 400 that says why."""

from __future__ import annotations

import json

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.support import builders as b
from tests.support.builders import SIGN


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(SIGN, content=b'{"hook": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"
    assert "line 1" in response.json()["message"]


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_json_constants_outside_the_standard_are_400(client: TestClient, constant: bytes) -> None:
    body = b'{"hook": "order-sign", "hookInstance": "x", "context": {"weight": ' + constant + b"}}"
    response = client.post(SIGN, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["fields"] == [{"field": "body", "problem": response.json()["message"]}]


def test_json_the_fast_parser_refuses_is_read_as_the_standard_library_reads_it(client: TestClient) -> None:
    """orjson refuses a lone surrogate escape; the standard library reads it, so the call still works."""
    request = b.hook_request("order-sign", prefetch=b.full_prefetch())
    request["extension"] = {"note": "\ud800"}  # json.dumps writes the escape \ud800
    body = json.dumps(request).encode()
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    response = client.post(SIGN, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


def test_json_that_is_not_an_object_is_400(client: TestClient) -> None:
    response = client.post(SIGN, json=[1, 2])
    assert response.status_code == 400
    assert "JSON object" in response.json()["message"]
