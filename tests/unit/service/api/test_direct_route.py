"""The direct route of hook calls: the endpoint answers with a ready Response, documented as usual."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient

from cds_hooks import CDSResponse
from service.api.direct_route import DirectLane, DirectRoute, direct_endpoints
from service.errors import RequestError


class Refused(RequestError):
    status = 418
    code = "refused"


def app_with(endpoint) -> FastAPI:  # type: ignore[no-untyped-def]
    app = FastAPI()

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        return Response(error.code, status_code=error.status)

    app.router.add_api_route("/call", endpoint, methods=["POST"], response_model=CDSResponse, route_class_override=DirectRoute)
    return app


def test_the_endpoint_answers_with_its_own_response_and_is_documented_with_the_response_model() -> None:
    async def call(request: Request) -> Response:
        return Response(await request.body(), media_type="application/json")

    with TestClient(app_with(call)) as client:
        assert client.post("/call", content=b'{"cards": [], "x": null}').content == b'{"cards": [], "x": null}'
        documented = client.get("/openapi.json").json()["paths"]["/call"]["post"]["responses"]["200"]
    assert documented["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CDSResponse"}


def test_an_error_the_endpoint_raises_reaches_the_applications_handlers() -> None:
    async def call(request: Request) -> Response:
        raise Refused("no")

    with TestClient(app_with(call)) as client:
        response = client.post("/call", content=b"{}")
    assert (response.status_code, response.text) == (418, "refused")


def test_an_endpoint_with_parameters_is_refused_when_declared() -> None:
    """Its parameters would never be filled: the route does no dependency solving."""

    async def call(request: Request, language: str) -> Response:
        return Response(language)

    with pytest.raises(TypeError, match="request only"):
        app_with(call)


# --- the lane: a direct route's calls skip the router -------------------------------------------------


def laned_app(endpoint) -> tuple[FastAPI, list[str]]:  # type: ignore[no-untyped-def]
    """An app with one direct route behind `DirectLane`; the list names the paths the router handled."""
    app = app_with(endpoint)
    routed: list[str] = []

    @app.middleware("http")
    async def note_routed(request: Request, call_next):  # type: ignore[no-untyped-def]
        routed.append(request.url.path)
        return await call_next(request)

    app.add_middleware(DirectLane, endpoints=direct_endpoints(app.router))
    return app, routed


def test_direct_endpoints_lists_the_direct_routes_only() -> None:
    async def call(request: Request) -> Response:
        return Response()

    app = app_with(call)
    app.router.add_api_route("/other", call, methods=["POST"])
    assert direct_endpoints(app.router) == {"/call": (frozenset({"POST"}), call)}


def test_a_call_to_a_direct_route_takes_the_lane_and_gets_the_endpoints_answer() -> None:
    async def call(request: Request) -> Response:
        return Response(await request.body(), media_type="application/json", headers={"x-path": request.url.path})

    app, routed = laned_app(call)
    with TestClient(app) as client:
        response = client.post("/call", content=b'{"cards": []}')
    assert (response.status_code, response.content, response.headers["x-path"]) == (200, b'{"cards": []}', "/call")
    assert routed == []


def test_an_error_in_the_lane_is_answered_by_the_applications_handlers() -> None:
    async def call(request: Request) -> Response:
        raise Refused("no")

    app, routed = laned_app(call)
    with TestClient(app) as client:
        response = client.post("/call", content=b"{}")
    assert (response.status_code, response.text, routed) == (418, "refused", [])


def test_an_unexpected_error_in_the_lane_is_a_500_as_on_the_routed_path() -> None:
    async def call(request: Request) -> Response:
        raise KeyError("bug")

    app, _ = laned_app(call)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/call", content=b"{}")
    assert (response.status_code, response.text) == (500, "Internal Server Error")


def test_other_methods_and_paths_take_the_routed_path() -> None:
    async def call(request: Request) -> Response:
        return Response("direct")

    app, routed = laned_app(call)
    with TestClient(app) as client:
        wrong_method = client.get("/call")
        unknown = client.post("/call/more", content=b"{}")
    assert (wrong_method.status_code, unknown.status_code) == (405, 404)
    assert routed == ["/call", "/call/more"]


def test_the_lane_finds_the_route_under_a_root_path() -> None:
    async def call(request: Request) -> Response:
        return Response("direct")

    app, routed = laned_app(call)
    with TestClient(app, root_path="/cds") as client:
        response = client.post("/call", content=b"{}")
    assert (response.status_code, response.text, routed) == (200, "direct", [])
