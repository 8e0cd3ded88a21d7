"""The direct route of hook calls: the endpoint answers with a ready Response, documented as usual."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient

from cds_hooks import CDSResponse
from service.api.direct_route import DirectRoute
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
