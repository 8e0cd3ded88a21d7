"""A route for the hot path: its endpoint takes the `Request` and returns a ready `Response`.

FastAPI's own handler solves the route's dependencies, reads the body and validates and serialises the
returned model on every call; a hook call does all three itself (`service.api.body` parses the body so
that an unknown service gets its 404 first and every complaint names the field; the pipeline's answer
is already a validated `CDSResponse`). Skipping that machinery, with the request limits in one
middleware layer, took the HTTP layer of a non-BZRA call from about 0.40 to 0.33 ms of CPU time (in
process, the pipeline left out, the body's parsing kept: less than a bare FastAPI endpoint's 0.40).

The route is still declared to FastAPI as usual (`response_model`, `openapi_extra`), so the OpenAPI
description is the same as for an ordinary route; errors raised by the endpoint still reach the
application's exception handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

DirectEndpoint = Callable[[Request], Awaitable[Response]]


class DirectRoute(APIRoute):
    """An `APIRoute` whose endpoint is called with the request alone and answers with a `Response`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        solved = self.dependant
        if any((solved.dependencies, solved.path_params, solved.query_params, solved.header_params,
                solved.cookie_params, solved.body_params)):
            raise TypeError(f"a direct route's endpoint takes the request only, not parameters: {path}")

    def get_route_handler(self) -> DirectEndpoint:
        return self.endpoint
