"""The FastAPI application: wiring of settings, shared clients, routes and middleware."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from service import metrics
from service.addons import install_addons
from service.api import admin, cds, ops, taper
from service.api.direct_route import DirectLane, direct_endpoints
from service.api.errors import install_error_handlers
from service.api.limits import RequestLimits
from service.api.openapi import install_complete_openapi
from service.api.telemetry import native_telemetry
from service.audit_secret import audit_secret
from service.feedback import FeedbackService
from service.fhir.cache import ResponseCache
from service.fhir.client import make_http_client
from service.knowledge.configured import load_configured_knowledge
from service.knowledge.models import Knowledge
from service.pipeline import Pipeline
from service.planner.routes import planner_router
from service.rules.holder import RuleHolder
from service.security.fhir_servers import FhirServerPolicy
from service.security.jwt_auth import JwtVerifier
from service.security.replay import ReplayProtection, replay_protection
from service.suggestions import Suggestions
from service.settings import Settings
from service.store import Store
from service.store.hashing import secret_fingerprint
from service.store.spool_dirs import claim_spool_dir
from service.version import VERSION

log = logging.getLogger(__name__)

# A hook call allocates a few thousand short-lived containers (the request's JSON, models, facts).
# With CPython's default first-generation threshold (700) the cyclic collector runs several times a
# call and scans them while they are still in use; at 10,000 most are freed by reference counting
# before it runs (`python -m bench.profile`: about 10 % less time per call; 5,000-20,000 measured alike).
GC_YOUNG_THRESHOLD = 10_000

INSECURE_BANNER = (
    "INSECURE DEVELOPMENT MODE: hook calls are accepted WITHOUT authentication. "
    "Never expose this service to a network with real patient data in this mode."
)


def store_readiness(app: FastAPI) -> dict[str, object]:
    """The database is reported, not required: while it is down, audit records wait in the spool. A
    schema this code does not know, or an audit secret that differs from the other replicas', makes
    the replica not ready (`problems` says which, naming what to fix)."""
    store = getattr(app.state, "store", None)
    if store is None:
        return {"ok": False, "state": "not started"}
    problems = store.problems()
    cache_seconds = app.state.settings.suppression_cache_seconds
    return {
        "ok": not problems,
        "state": "up" if store.healthy() else "down (records are spooled)",
        "pending": store.pending(),
        "rejected": store.rejected(),  # refused for their content: in rejected.jsonl of the spool, to look at
        "suppressionUpdates": "at once (PostgreSQL notifications)" if store.listening() else f"within {cache_seconds:g} s",
        **({"waitingFor": store.waiting_for()} if store.waiting_for() else {}),
        **({"problems": problems} if problems else {}),
    }


def replay_readiness(app: FastAPI) -> dict[str, object]:
    verifier = getattr(app.state, "verifier", None)
    return verifier.replays.readiness() if verifier is not None else {"ok": False, "state": "not started"}


@dataclass(frozen=True)
class StartUp:
    """What `create_app` reads and checks before serving; the lifespan starts the service from it."""

    settings: Settings
    knowledge: Knowledge
    rules: RuleHolder
    audit_secret: str
    today: Callable[[], date]


def create_app(settings: Settings | None = None, today: Callable[[], date] = date.today) -> FastAPI:
    """The application, its configuration checked now (knowledge, audit secret); the clients, the store
    and the pipeline start in its lifespan."""
    settings = settings or Settings()
    knowledge = load_configured_knowledge(settings)
    secret = audit_secret(settings)  # outside development mode: BZRA_AUDIT_SECRET, or a start-up error
    rules = RuleHolder(settings.rules_dir, knowledge, settings.rules_overrides_file)
    app = FastAPI(
        title="bzra-cds",
        summary="CDS Hooks service for safer benzodiazepine and Z-drug prescribing",
        version=VERSION,
        lifespan=_lifespan(StartUp(settings, knowledge, rules, secret, today)),
        telemetry=native_telemetry(),
    )
    app.state.settings = settings
    app.state.rules = rules
    app.state.readiness = {
        "settings": lambda: {"ok": True, "insecureDev": settings.insecure_dev},
        "rules": rules.readiness,
        "database": lambda: store_readiness(app),
        "replayProtection": lambda: replay_readiness(app),
    }
    _add_middleware(app, settings)
    install_error_handlers(app)
    install_complete_openapi(app)
    _add_routes(app, settings)
    return app


def _lifespan(start: StartUp) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Starts the clients, the store and the pipeline, and stops them in order: nothing queued is lost."""
    settings, rules = start.settings, start.rules

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.insecure_dev:
            log.warning(INSECURE_BANNER)
        rules.reload()
        _freeze_start_up_objects()
        stop = asyncio.Event()
        watcher = asyncio.create_task(rules.watch(stop)) if settings.rules_reload else None
        http = make_http_client(settings.fhir_connect_timeout, settings.fhir_read_timeout, aiohttp_pool=True)
        spool = claim_spool_dir(Path(settings.data_dir) / "spool")  # this process's own, locked
        store = await _open_store(settings, spool.path, start.audit_secret)
        replays = replay_protection(settings, store)
        replay_watcher = asyncio.create_task(replays.watch(stop))
        _serve_with(app, start, http, store, replays)
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(replay_watcher, *([watcher] if watcher else []), return_exceptions=True)
            await store.close()  # drains the audit queue: nothing is lost on a clean shutdown
            spool.release()
            await replays.close()
            await http.aclose()
            metrics.process_ended()

    return lifespan


def _freeze_start_up_objects() -> None:
    """Start-up objects (models, knowledge, rules) live as long as the process: keep them out of the
    cyclic collector's full passes, which otherwise pause every call for ~100 ms."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


async def _open_store(settings: Settings, spool_path: Path, secret: str) -> Store:
    return await Store.open(
        settings.database_url_in_use,
        spool_path,
        journal=settings.audit_journal,
        migrate_schema=settings.migrate_on_start,
        secret_fingerprint=secret_fingerprint(secret),
        listen=True,
        suppression_check_seconds=settings.suppression_cache_seconds,
    )


def _serve_with(app: FastAPI, start: StartUp, http: httpx.AsyncClient, store: Store, replays: ReplayProtection) -> None:
    """Builds what the routes use (`service.api.deps` hands it over) from the started clients and store."""
    settings = start.settings
    app.state.store = store
    app.state.verifier = JwtVerifier(settings.trusted_issuers, http, settings.jwt_leeway_seconds, replays=replays)
    pipeline = Pipeline(
        settings=settings,
        http=http,
        cache=ResponseCache(int(settings.cache_max_megabytes * 1_000_000), settings.cache_ttl_seconds),
        knowledge=start.knowledge,
        rules=start.rules,
        suggestions=Suggestions(start.knowledge, settings),
        fhir_policy=FhirServerPolicy(settings.fhir_server_allowlist, settings.fhir_allow_private, settings.insecure_dev),
        store=store,
        audit_secret=start.audit_secret,
        today=start.today,
    )
    store.on_suppressions_changed(pipeline.forget_suppressions)  # here or on any replica
    app.state.pipeline = pipeline
    app.state.feedback = FeedbackService(start.rules, store, settings.suppression_days, pipeline.forget_suppressions)


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """The last added is the outermost: CORS wraps the limits, so a browser-based EHR can read their
    413 and 503 (with Retry-After) instead of a CORS failure; preflights are answered before any limit.
    Innermost, a hook call goes from the limits straight to its endpoint (`DirectLane`)."""
    app.add_middleware(DirectLane, endpoints=direct_endpoints(cds.router))
    app.add_middleware(  # before any work; the body size bounds what admission reads
        RequestLimits, max_bytes=settings.max_body_bytes, limit=settings.max_concurrent_requests
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )


def _add_routes(app: FastAPI, settings: Settings) -> None:
    app.include_router(cds.router)
    app.include_router(ops.router)
    app.include_router(taper.router)
    app.include_router(admin.router)
    app.include_router(planner_router())  # the taper planner (SMART app target): every mode
    install_addons(app, settings)  # the demo page and synthetic patients: --demo only
