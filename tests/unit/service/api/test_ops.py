"""Liveness, readiness and metrics for orchestrators and monitoring."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import builders as b
from tests.support.builders import SIGN


def test_health_readiness_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "alive"  # and the version: tests/content/test_intended_use.py
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    client.post(SIGN, json=b.hook_request(prefetch=b.full_prefetch()))
    text = client.get("/metrics").text
    assert 'bzra_hook_calls_total{service="bzra-order-sign",status="ok"}' in text
    assert "bzra_hook_latency_seconds_bucket" in text
