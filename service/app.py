"""The FastAPI application: wiring of settings, shared clients, routes and middleware."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from service.api import cds, ops
from service.api.errors import install_error_handlers
from service.fhir.cache import ResponseCache
from service.fhir.client import make_http_client
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.rules.holder import RuleHolder
from service.suggestions import suggestion_factory
from service.settings import Settings

log = logging.getLogger(__name__)

INSECURE_BANNER = (
    "INSECURE DEVELOPMENT MODE: hook calls are accepted WITHOUT authentication. "
    "Never expose this service to a network with real patient data in this mode."
)


def create_app(settings: Settings | None = None, today: Callable[[], date] = date.today) -> FastAPI:
    settings = settings or Settings()
    knowledge = load_configured_knowledge(settings)

    rules = RuleHolder(settings.rules_dir, knowledge, settings.rules_overrides_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.insecure_dev:
            log.warning(INSECURE_BANNER)
        rules.reload()
        stop = asyncio.Event()
        watcher = asyncio.create_task(rules.watch(stop)) if settings.rules_reload else None
        http = make_http_client(settings.fhir_connect_timeout, settings.fhir_read_timeout)
        app.state.pipeline = Pipeline(
            settings=settings,
            http=http,
            cache=ResponseCache(settings.cache_max_entries, settings.cache_ttl_seconds),
            knowledge=knowledge,
            rules=rules,
            suggest=suggestion_factory(knowledge, settings),
            today=today,
        )
        try:
            yield
        finally:
            stop.set()
            if watcher is not None:
                await asyncio.gather(watcher, return_exceptions=True)
            await http.aclose()

    app = FastAPI(
        title="bzra-cds",
        summary="CDS Hooks service for safer benzodiazepine and Z-drug prescribing",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.rules = rules
    app.state.readiness = {
        "settings": lambda: {"ok": True, "insecureDev": settings.insecure_dev},
        "rules": rules.readiness,
    }
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )
    install_error_handlers(app)
    app.include_router(cds.router)
    app.include_router(ops.router)
    return app
