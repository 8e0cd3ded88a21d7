"""The CDS Hooks endpoints: discovery, hook calls and feedback."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import NoReturn

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cds_hooks import CDSResponse, DiscoveryResponse, FeedbackRequest, HookError, HookRequest
from cds_hooks.hooks import request_schema
from service import metrics
from service.api.body import REF_TEMPLATE, openapi_body, parse_body
from service.api.deps import FeedbackDep, SettingsDep, VerifierDep, hook_services
from service.api.direct_route import DirectRoute
from service.api.examples import FEEDBACK_EXAMPLE, hook_example
from service.api.errors import ApiError, shown
from service.catalog import SERVICES, SERVICES_BY_ID, ServiceSpec, discovery_services
from service.errors import BzraError
from service.feedback import FeedbackService
from service.logs import hook_instance
from service.pipeline import Pipeline
from service.security.jwt_auth import AuthError, JwtVerifier
from service.settings import Settings
from service.rules.texts import pick_language

LANGUAGE_EXTENSION = "bzra-cds.language"

log = logging.getLogger(__name__)
router = APIRouter()


def _refuse_unknown(service_id: str) -> NoReturn:
    known = ", ".join(sorted(SERVICES_BY_ID))
    raise ApiError(404, "unknown_service", f"no CDS service '{shown(service_id)}' here; known services: {known}")


async def _require_caller(request: Request, settings: Settings, verifier: JwtVerifier, endpoint: str) -> None:
    """Verify the CDS client's JWT; only explicit development mode lets calls in without one."""
    if settings.insecure_dev:
        return
    base = (settings.public_base_url or str(request.base_url)).rstrip("/")
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("a bearer JWT is required in the Authorization header")
        if not settings.trusted_issuers:
            raise AuthError("no trusted CDS clients are configured (BZRA_TRUSTED_ISSUERS)")
        await verifier.verify(token.strip(), {f"{base}{endpoint}"})
    except AuthError as error:
        log.warning("call refused", extra={"reason": error.reason})
        raise


def _metric_status(http_status: int) -> str:
    """The `status` label of a hook call the service refused."""
    if http_status == 412:
        return "precondition_failed"
    return "client_error" if http_status < 500 else "server_error"


def _language(request: Request, body: HookRequest, settings: Settings) -> str:
    """`?language=nl`, or the request's `extension["bzra-cds.language"]`, else the deployment's."""
    extension = (body.model_extra or {}).get("extension")
    queried = request.query_params.get("language") if request.scope.get("query_string") else None  # parsed only when sent
    asked = queried or (
        extension.get(LANGUAGE_EXTENSION) if isinstance(extension, dict) else None
    )
    return pick_language(asked if isinstance(asked, str) else None, settings.language)


@router.get("/cds-services", response_model=DiscoveryResponse, response_model_exclude_none=True)
async def discovery() -> DiscoveryResponse:
    return DiscoveryResponse(services=discovery_services())


async def call_hook(
    spec: ServiceSpec, request: Request, settings: Settings, verifier: JwtVerifier, pipeline: Pipeline
) -> CDSResponse:
    await _require_caller(request, settings, verifier, f"/cds-services/{spec.id}")
    body = await parse_body(request, HookRequest, keep_raw="prefetch")  # read when the history is needed
    request.state.language = _language(request, body, settings)  # also the language of an error's message
    token = hook_instance.set(body.hookInstance)
    started = time.monotonic()
    status = "ok"
    try:
        return await pipeline.answer(spec, body, request.state.language, str(request.base_url))
    except (BzraError, HookError) as error:  # answered by the one handler (service/api/errors.py)
        status = _metric_status(error.status)
        raise
    finally:
        metrics.hook_calls(spec.id, status).inc()
        metrics.hook_latency(spec.id).observe(time.monotonic() - started)
        hook_instance.reset(token)


async def answer_hook(spec: ServiceSpec, request: Request) -> Response:
    """The hook call's answer as ready JSON: the pipeline's `CDSResponse` is already validated, and
    serialised here as FastAPI's response model would (optional fields left out)."""
    answer = await call_hook(spec, request, *hook_services(request))
    return Response(answer.wire_json(), media_type="application/json")


async def record_feedback(
    spec: ServiceSpec, request: Request, settings: Settings, verifier: JwtVerifier, feedback: FeedbackService
) -> dict[str, object]:
    """Receives feedback on cards; what it does (storing, suppressing) is `service.feedback`'s."""
    await _require_caller(request, settings, verifier, f"/cds-services/{spec.id}/feedback")
    body = await parse_body(request, FeedbackRequest)
    outcome = await feedback.record(spec.id, body.feedback, datetime.now(timezone.utc))
    log.info("feedback received", extra={"service": spec.id, "stored": outcome.stored, "duplicates": outcome.duplicates})
    return {
        "received": len(body.feedback),
        "stored": outcome.stored,
        "duplicates": outcome.duplicates,
        "unknownCards": outcome.unknown_cards,
        "suppressionsCreated": outcome.suppressions_created,
    }


def _add_service_routes(spec: ServiceSpec) -> None:
    """One path per service, as discovery lists them, each documented with its own hook's request.
    A hook call takes the direct route (`service.api.direct_route`): its answer is ready JSON."""

    async def hook_call(request: Request) -> Response:
        return await answer_hook(spec, request)

    async def feedback(
        request: Request, settings: SettingsDep, verifier: VerifierDep, service: FeedbackDep
    ) -> dict[str, object]:
        return await record_feedback(spec, request, settings, verifier, service)

    request_body = openapi_body(request_schema(spec.hook, REF_TEMPLATE), {"example": hook_example(spec.hook)})
    router.add_api_route(
        f"/cds-services/{spec.id}", hook_call, methods=["POST"], response_model=CDSResponse,
        response_model_exclude_none=True, openapi_extra=request_body, summary=spec.title,
        operation_id=f"call_{spec.id}", name=f"call_{spec.id}", route_class_override=DirectRoute,
    )
    feedback_body = openapi_body(FeedbackRequest.model_json_schema(ref_template=REF_TEMPLATE), {"example": FEEDBACK_EXAMPLE})
    router.add_api_route(
        f"/cds-services/{spec.id}/feedback", feedback, methods=["POST"], openapi_extra=feedback_body,
        summary=f"Feedback on the cards of {spec.id}", operation_id=f"feedback_{spec.id}", name=f"feedback_{spec.id}",
    )


for _spec in SERVICES:
    _add_service_routes(_spec)


@router.post("/cds-services/{service_id}", include_in_schema=False)
async def unknown_service(service_id: str) -> None:
    _refuse_unknown(service_id)


@router.post("/cds-services/{service_id}/feedback", include_in_schema=False)
async def unknown_service_feedback(service_id: str) -> None:
    _refuse_unknown(service_id)
