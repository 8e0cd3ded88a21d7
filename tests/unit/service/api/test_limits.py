"""Request bodies over the configured size get a 413 before they are read into memory."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.support import builders as b
from tests.support.facts_support import TODAY


def test_bodies_over_the_limit_get_413_before_they_are_read() -> None:
    with TestClient(create_app(Settings(insecure_dev=True, rules_reload=False, max_body_bytes=2048), today=lambda: TODAY)) as client:
        big = b.hook_request(prefetch=b.full_prefetch())
        big["context"]["padding"] = "x" * 5000
        response = client.post("/cds-services/bzra-order-sign", json=big)
        assert response.status_code == 413 and "BZRA_MAX_BODY_BYTES" in response.json()["message"]

        def chunks():
            yield b'{"hook": "order-sign", "padding": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'"}'

        streamed = client.post("/cds-services/bzra-order-sign", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413
