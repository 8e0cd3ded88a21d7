"""HTTP routes of the demo (an EHR-like order screen with synthetic patients) and of the taper planner.

`demo_router()` exists only when the service runs with `--demo` (`BZRA_DEMO`): the page at `/`, its
files under `/demo/static/`, and the patients under `/demo/patients`. `planner_router()` is the taper
planner, the SMART app the cards can link to: `/planner`, `/planner/config` and `/planner/static/`.
It only calls the public `POST /taper` of this service and, after a SMART launch, the EHR's own FHIR
server with the token the EHR gave it; it holds no data of its own.

Pages are static files served from the package (no build step, nothing from a CDN) with a strict
Content-Security-Policy: scripts and styles from this service only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from service.api.errors import ApiError
from service.demo.catalog import FORMULARY, PATIENTS, PATIENTS_BY_ID, load_bundle, patient_resource
from service.demo.dates import age_on, shift_to
from service.taper.choices import taper_choices

STATIC_DIR = Path(__file__).resolve().parent / "static"
SMART_SCOPE = "launch patient/MedicationRequest.write openid fhirUser"

# Files each page may load; anything else under the static prefixes is a 404.
PLANNER_FILES = frozenset({"style.css", "i18n.js", "http.js", "chart.js", "smart.js", "planner.js", "dom.js"})
DEMO_FILES = frozenset({"style.css", "i18n.js", "http.js", "markdown.js", "ehr.js", "demo.js", "dom.js"})
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8"}

_BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
# The demo page talks to this service only; it is never framed by others.
DEMO_CSP = f"{_BASE_POLICY}; connect-src 'self'; frame-ancestors 'self'"
# The planner may be framed by an EHR and talks to the EHR's authorization and FHIR servers.
PLANNER_CSP = f"{_BASE_POLICY}; connect-src 'self' https: http:"


def _page(name: str, policy: str) -> FileResponse:
    return FileResponse(
        STATIC_DIR / name,
        media_type=MEDIA_TYPES[".html"],
        headers={
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",  # launch and code parameters never leave in a Referer
            "Cache-Control": "no-cache",
        },
    )


def _static(name: str, allowed: frozenset[str]) -> FileResponse:
    if name not in allowed:
        raise ApiError(404, "not_found", f"no file '{name}' here")
    path = STATIC_DIR / name
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )


def _today(request: Request):
    return request.app.state.pipeline.today()


def planner_router() -> APIRouter:
    """The taper planner (SMART app launch target); safe to include in every mode."""
    router = APIRouter(include_in_schema=False)

    @router.get("/planner")
    async def planner_page() -> FileResponse:
        return _page("planner.html", PLANNER_CSP)

    @router.get("/planner/config")
    async def planner_config(request: Request) -> dict[str, Any]:
        settings = request.app.state.settings
        knowledge = request.app.state.pipeline.knowledge
        drugs = [
            {"id": drug_id, "name": {"en": drug.display.en, "nl": drug.display.nl or drug.display.en, "fr": drug.display.fr or drug.display.en}}
            for drug_id, drug in sorted(knowledge.drugs.items())
        ]
        return {
            "smartClientId": settings.smart_client_id,
            "scope": SMART_SCOPE,
            "demo": settings.demo,
            "defaultPace": settings.taper_pace,
            "defaultProtocol": settings.taper_protocol,
            "defaultMarket": settings.market,
            "language": settings.language,
            "today": _today(request).isoformat(),
            "drugs": drugs,
            **taper_choices(knowledge),
        }

    @router.get("/planner/static/{name}")
    async def planner_static(name: str) -> FileResponse:
        return _static(name, PLANNER_FILES)

    return router


def _summary(patient_id: str, today) -> dict[str, Any]:
    demo = PATIENTS_BY_ID[patient_id]
    bundle = shift_to(load_bundle(patient_id), today)
    patient = patient_resource(bundle)
    name = (patient.get("name") or [{}])[0]
    return {
        "id": patient_id,
        "name": name.get("text") or " ".join([*name.get("given", []), name.get("family", "")]).strip(),
        "gender": patient.get("gender"),
        "birthDate": patient.get("birthDate"),
        "age": age_on(patient.get("birthDate"), today),
        "story": demo.story,
        "try": demo.try_this,
        "draft": demo.draft.wire(),
    }


def demo_router() -> APIRouter:
    """The demo page and its synthetic patients; include only when `settings.demo` is true."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def demo_page() -> FileResponse:
        return _page("demo.html", DEMO_CSP)

    @router.get("/demo/static/{name}")
    async def demo_static(name: str) -> FileResponse:
        return _static(name, DEMO_FILES)

    @router.get("/demo/patients")
    async def demo_patients(request: Request) -> dict[str, Any]:
        today = _today(request)
        return {
            "today": today.isoformat(),
            "patients": [_summary(patient.id, today) for patient in PATIENTS],
            "formulary": [product.wire() for product in FORMULARY],
        }

    @router.get("/demo/patients/{patient_id}")
    async def demo_patient(patient_id: str, request: Request) -> JSONResponse:
        if patient_id not in PATIENTS_BY_ID:
            known = ", ".join(p.id for p in PATIENTS)
            raise ApiError(404, "not_found", f"no demo patient '{patient_id}'; known: {known}")
        bundle = shift_to(load_bundle(patient_id), _today(request))
        return JSONResponse(bundle, media_type="application/fhir+json")

    return router
