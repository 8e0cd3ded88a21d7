"""Build facts for a hook request the way the service does (prefetch only), for facts and rule tests."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_HOOK
from service.facts.model import Facts
from service.fhir.cache import ResponseCache
from service.fhir.client import make_http_client
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.settings import Settings

TODAY = date(2026, 11, 23)


def facts_for(request: dict[str, Any], today: date = TODAY, **settings: Any) -> Facts:
    config = Settings(insecure_dev=True, **settings)

    async def run() -> Facts:
        async with make_http_client(1, 1) as http:
            pipeline = Pipeline(config, http, ResponseCache(0, 0), load_configured_knowledge(config), today=lambda: today)
            service = SERVICES_BY_HOOK[request["hook"]]
            hook_request = HookRequest.model_validate(request)
            record = await pipeline.collect(service, hook_request)
            return pipeline.facts(record, hook_request.hook)

    return asyncio.run(run())
