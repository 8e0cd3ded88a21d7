"""What `facts` and `evaluate` share: read a hook request file, build a pipeline, gather the record.

Every user error is a `UsageError` naming the problem (or a `BzraError`/`HookError` the pipeline
raises); `service.cli.main` reports it as one line with exit status 2.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_HOOK
from service.cli.usage import UsageError
from service.fhir.cache import ResponseCache
from service.fhir.client import make_http_client
from service.fhir.record import PatientRecord
from service.knowledge.models import Knowledge
from service.pipeline import Pipeline
from service.rules.holder import RuleHolder
from service.settings import Settings
from service.suggestions import Suggestions


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
    except ValueError:  # date.fromisoformat's one way to say "not a date"
        raise UsageError(f"--today must be a date like 2026-11-23, not '{value}'") from None


def pipeline_for(
    settings: Settings, knowledge: Knowledge, today: date, rules: RuleHolder | None = None
) -> Pipeline:
    """A pipeline complete for what the command does: facts only, or with `rules` the cards too."""
    limits = settings.fhir_limits
    http = make_http_client(limits.connect_timeout, limits.read_timeout)
    suggestions = Suggestions(knowledge, settings) if rules is not None else None
    return Pipeline(
        settings, http, ResponseCache(0, 0), knowledge, rules=rules, suggestions=suggestions, today=lambda: today
    )


def collect_record(pipeline: Pipeline, request: HookRequest) -> PatientRecord:
    """The patient record of the request (prefetch, else FHIR); `MissingData`, `WrongHook` and
    `ContextError` go up to `main` as they are."""
    service = SERVICES_BY_HOOK.get(request.hook)
    if service is None:
        raise UsageError(f"unsupported hook '{request.hook}'; supported: {', '.join(SERVICES_BY_HOOK)}")

    async def run() -> PatientRecord:
        try:
            return await pipeline.collect(service, request)
        finally:
            if pipeline.http is not None:
                await pipeline.http.aclose()

    return asyncio.run(run())
