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

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi.routing import APIRoute, APIRouter
from starlette.applications import Starlette
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

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


def direct_endpoints(router: APIRouter) -> dict[str, tuple[frozenset[str], DirectEndpoint]]:
    """The router's direct routes: path → (methods, endpoint), for `DirectLane`."""
    return {
        route.path: (frozenset(route.methods or ()), route.endpoint)
        for route in router.routes
        if isinstance(route, DirectRoute)
    }


class DirectLane:
    """Pure ASGI middleware, the innermost layer: a call to a direct route goes straight to its endpoint.

    Behind the user middleware FastAPI's exception layer, its exit stack and its router find the route
    anew on every call (FastAPI 0.165's included routers match each route twice): about 0.07 ms of CPU
    time a hook call, in process. The lane answers a call whose path and method are a direct route's
    with that route's endpoint, inside the application's own exception handlers (built as FastAPI builds
    them for its exception layer), so an error is answered exactly as on the routed path; anything else
    (another path or method, a trailing slash) takes the routed path. The layers outside the lane (CORS,
    the request limits, the server-error layer) see every call as before.
    """

    def __init__(self, app: ASGIApp, endpoints: Mapping[str, tuple[frozenset[str], DirectEndpoint]]) -> None:
        self.app = app
        self.endpoints = dict(endpoints)
        self._lanes: dict[str, ASGIApp] = {}  # path → its endpoint inside the exception handlers, built on first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = get_route_path(scope)
            found = self.endpoints.get(path)
            if found is not None and scope["method"] in found[0]:
                lane = self._lanes.get(path) or self._lane(path, found[1], scope["app"])
                await lane(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _lane(self, path: str, endpoint: DirectEndpoint, app: Starlette) -> ASGIApp:
        handlers = {key: handler for key, handler in app.exception_handlers.items() if key not in (500, Exception)}
        lane = self._lanes[path] = ExceptionMiddleware(_answering(endpoint), handlers=handlers, debug=app.debug)
        return lane


def _answering(endpoint: DirectEndpoint) -> ASGIApp:
    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    return answer
