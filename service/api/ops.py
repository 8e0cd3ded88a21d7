"""Operational endpoints for orchestrators and monitoring: liveness, readiness, metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from service import metrics as service_metrics
from service.api.deps import ReadinessDep

from service.version import VERSION

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "alive", "version": VERSION}


@router.get("/readyz")
async def readyz(readiness: ReadinessDep) -> JSONResponse:
    checks: dict[str, dict[str, object]] = {name: check() for name, check in readiness.items()}
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics() -> Response:
    return Response(service_metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
