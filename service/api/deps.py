"""What the routes need from the running application, declared once as `Annotated[..., Depends(...)]`
aliases: a route asks for `PipelineDep` or `SettingsDep` by type instead of reading `request.app.state`.

The objects are built by `service.app.create_app` (settings, rules) and its lifespan (the store, the
pipeline, the verifier, the feedback service); these functions only hand them over. They are
coroutines so that FastAPI calls them in the event loop: a plain function is run in its thread pool,
three thread hops a hook call, about 0.26 ms of CPU time each call (in process, the pipeline left out:
0.65 ms for the HTTP layer with the hops, 0.40 without).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from service.feedback import FeedbackService
from service.knowledge.models import Knowledge
from service.pipeline import Pipeline
from service.security.jwt_auth import JwtVerifier
from service.settings import Settings
from service.store import Store

ReadinessChecks = dict[str, Callable[[], dict[str, object]]]


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline


async def get_knowledge(request: Request) -> Knowledge:
    return request.app.state.pipeline.knowledge


async def get_store(request: Request) -> Store:
    return request.app.state.store


async def get_verifier(request: Request) -> JwtVerifier:
    return request.app.state.verifier


async def get_feedback(request: Request) -> FeedbackService:
    return request.app.state.feedback


async def get_readiness(request: Request) -> ReadinessChecks:
    return request.app.state.readiness


def hook_services(request: Request) -> tuple[Settings, JwtVerifier, Pipeline]:
    """What a hook call uses, read without FastAPI's dependency solving: the hook route is a direct
    route (`service.api.direct_route`), the hot path of the service."""
    state = request.app.state
    return state.settings, state.verifier, state.pipeline


SettingsDep = Annotated[Settings, Depends(get_settings)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]
StoreDep = Annotated[Store, Depends(get_store)]
VerifierDep = Annotated[JwtVerifier, Depends(get_verifier)]
FeedbackDep = Annotated[FeedbackService, Depends(get_feedback)]
ReadinessDep = Annotated[ReadinessChecks, Depends(get_readiness)]
