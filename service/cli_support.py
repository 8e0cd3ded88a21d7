"""Shared plumbing for CLI commands that take a hook request file: read it, gather its record.

Commands exit with status 2 and a one-line message naming the problem for every user error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from cds_hooks import HookError, HookRequest
from service.catalog import SERVICES_BY_HOOK
from service.fhir.cache import ResponseCache
from service.fhir.client import make_http_client
from service.errors import BzraError, RequestError
from service.fhir.record import PatientRecord
from service.knowledge.configured import ConfigurationError, load_configured_knowledge
from service.pipeline import Pipeline
from service.settings import Settings

USAGE_ERROR = 2


class UsageError(RequestError):
    """A user error in a CLI command: printed as one line, exit status 2."""


def fail(message: str) -> int:
    print(f"bzra-cds: {message}", file=sys.stderr)
    return USAGE_ERROR


def read_hook_request(path: str) -> HookRequest:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path} is not valid JSON: {error}") from None
    try:
        return HookRequest.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in error.errors())
        raise UsageError(f"{path} is not a CDS Hooks request: {problems}") from None


def parse_today(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today must be a date like 2026-11-23, not '{value}'") from None


async def _collect(pipeline: Pipeline, request: HookRequest) -> PatientRecord:
    service = SERVICES_BY_HOOK.get(request.hook)
    if service is None:
        raise UsageError(f"unsupported hook '{request.hook}'; supported: {', '.join(SERVICES_BY_HOOK)}")
    return await pipeline.collect(service, request)


def pipeline_for(settings: Settings, today: date) -> Pipeline:
    try:
        knowledge = load_configured_knowledge(settings)
    except ConfigurationError as error:
        raise UsageError(str(error)) from None
    http = make_http_client(settings.fhir_connect_timeout, settings.fhir_read_timeout)
    return Pipeline(settings, http, ResponseCache(0, 0), knowledge, today=lambda: today)


def collect_record(pipeline: Pipeline, request: HookRequest) -> PatientRecord:
    async def run() -> PatientRecord:
        try:
            return await _collect(pipeline, request)
        finally:
            await pipeline.http.aclose()

    try:
        return asyncio.run(run())
    except (BzraError, HookError) as error:  # MissingData, ContextError, WrongHook, prefetch templates
        raise UsageError(str(error)) from None


def read_record(path: str, settings: Settings, today: str | None) -> tuple[HookRequest, Pipeline, PatientRecord]:
    """A request file, a pipeline for it and the patient record it yields (prefetch, else FHIR)."""
    request = read_hook_request(path)
    pipeline = pipeline_for(settings, parse_today(today))
    return request, pipeline, collect_record(pipeline, request)
