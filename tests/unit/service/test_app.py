"""How create_app stacks its middleware: CORS for the configured sandbox origin, and outermost, so a
browser-based EHR can read the limits' refusals (413, 503 with Retry-After) instead of failing on a
missing CORS header."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.support.builders import SIGN

ORIGIN = "https://ehr.example.org"


def test_a_refused_body_still_carries_the_cors_header() -> None:
    settings = Settings(insecure_dev=True, rules_reload=False, cors_origins=[ORIGIN], max_body_bytes=1024)
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/cds-services/bzra-order-sign", content=b"{" + b" " * 2048 + b"}",
            headers={"Origin": ORIGIN, "Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.headers.get("access-control-allow-origin") == ORIGIN


def test_a_preflight_is_answered_before_the_limits() -> None:
    settings = Settings(insecure_dev=True, rules_reload=False, cors_origins=[ORIGIN], max_body_bytes=1024)
    with TestClient(create_app(settings)) as client:
        response = client.options(
            "/cds-services/bzra-order-sign",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Content-Length": "999999"},
        )
    assert response.status_code == 200
    assert response.headers.get("access-control-allow-origin") == ORIGIN


def test_cors_allows_the_configured_sandbox_origin(client: TestClient) -> None:
    preflight = client.options(
        SIGN,
        headers={"Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,authorization"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    other = client.options(SIGN, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in other.headers


def test_every_hook_service_path_takes_the_direct_lane() -> None:
    """The lane is built from the hook routes themselves: each service's POST path, nothing else."""
    from service.api import cds
    from service.api.direct_route import direct_endpoints
    from service.catalog import SERVICES

    lane = direct_endpoints(cds.router)
    assert set(lane) == {f"/cds-services/{spec.id}" for spec in SERVICES}
    assert all(methods == {"POST"} for methods, _ in lane.values())
