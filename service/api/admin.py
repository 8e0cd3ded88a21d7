"""Endpoints for quality teams: the per-rule report and the list of suppressions.

Protected by a bearer admin token (`BZRA_ADMIN_TOKEN`); without one configured they do not exist.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import date, datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, Response

from service.api.deps import SettingsDep, StoreDep
from service.api.errors import ApiError
from service.settings import Settings
from service.store import report_csv, report_json, report_text, since_datetime

router = APIRouter(prefix="/admin")

# Suppression ids are database integers (64-bit signed): a larger id names nothing, and is refused
# as invalid (422) before it reaches the database, whose driver would overflow on it.
MAX_ROW_ID = 2**63 - 1
SuppressionId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The id listed by GET /admin/suppressions.")]


def _require_admin(request: Request, settings: Settings) -> None:
    expected = settings.admin_token
    if not expected:
        raise ApiError(404, "not_found", "admin endpoints are disabled (set BZRA_ADMIN_TOKEN to enable them)")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "a valid admin bearer token is required")


@router.get("/report")
async def report(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    since: date | None = None,
    format: Literal["json", "csv", "text"] = "json",
) -> Response:
    _require_admin(request, settings)
    rows = await store.report(since_datetime(since))
    if format == "csv":
        return PlainTextResponse(report_csv(rows), media_type="text/csv")
    if format == "text":
        return PlainTextResponse(report_text(rows))
    return Response(report_json(rows), media_type="application/json")


@router.get("/suppressions")
async def suppressions(request: Request, settings: SettingsDep, store: StoreDep, all: bool = False) -> list[dict[str, object]]:
    _require_admin(request, settings)
    found = await store.list_suppressions(active_only=not all, now=datetime.now(timezone.utc))
    return [{**asdict(s), "created_at": s.created_at.isoformat(), "until": s.until.isoformat()} for s in found]


@router.delete("/suppressions/{suppression_id}")
async def lift(request: Request, settings: SettingsDep, store: StoreDep, suppression_id: SuppressionId) -> dict[str, object]:
    _require_admin(request, settings)
    if not await store.lift_suppression(suppression_id):
        raise ApiError(404, "not_found", f"no suppression {suppression_id}")
    return {"lifted": suppression_id}
