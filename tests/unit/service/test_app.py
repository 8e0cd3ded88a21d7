"""The application's wiring: CORS for the configured sandbox origin."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.builders import SIGN


def test_cors_allows_the_configured_sandbox_origin(client: TestClient) -> None:
    preflight = client.options(
        SIGN,
        headers={"Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,authorization"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    other = client.options(SIGN, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in other.headers
