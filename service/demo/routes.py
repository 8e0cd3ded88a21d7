"""HTTP routes of the demo: an EHR-like order screen with synthetic patients.

`demo_router()` exists only when the service runs with `--demo` (`BZRA_DEMO`): the page at `/`, its
files under `/demo/static/` (its own, and the look and texts it shares with the taper planner), and
the patients under `/demo/patients`. `install` is how the application finds it (the `bzra_cds.addons`
entry point): production code never imports the demo.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, JSONResponse

from service.api.deps import PipelineDep
from service.api.errors import ApiError
from service.demo.catalog import FORMULARY, PATIENTS, PATIENTS_BY_ID, load_bundle, patient_resource
from service.demo.dates import age_on, shift_to
from service.planner.pages import BASE_POLICY, SHARED, Shelf, page, static_file
from service.settings import Settings

log = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parent / "static"
DEMO = Shelf(DEMO_DIR, frozenset({"markdown.js", "ehr.js", "demo.js"}))
DEMO_FILES = SHARED.names | DEMO.names  # what the demo page may load

# The demo page talks to this service only; it is never framed by others.
DEMO_CSP = f"{BASE_POLICY}; connect-src 'self'; frame-ancestors 'self'"

DEMO_BANNER = (
    "DEMO MODE: the demo page is served at / with synthetic patients; this implies development mode. "
    "Never use it with real patient data."
)


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
        return page(DEMO_DIR / "demo.html", DEMO_CSP)

    @router.get("/demo/static/{name}")
    async def demo_static(name: str) -> FileResponse:
        return static_file(name, SHARED, DEMO)

    @router.get("/demo/patients")
    async def demo_patients(pipeline: PipelineDep) -> dict[str, Any]:
        today = pipeline.today()
        return {
            "today": today.isoformat(),
            "patients": [_summary(patient.id, today) for patient in PATIENTS],
            "formulary": [product.wire() for product in FORMULARY],
        }

    @router.get("/demo/patients/{patient_id}")
    async def demo_patient(patient_id: str, pipeline: PipelineDep) -> JSONResponse:
        if patient_id not in PATIENTS_BY_ID:
            known = ", ".join(p.id for p in PATIENTS)
            raise ApiError(404, "not_found", f"no demo patient '{patient_id}'; known: {known}")
        bundle = shift_to(load_bundle(patient_id), pipeline.today())
        return JSONResponse(bundle, media_type="application/fhir+json")

    return router


def install(app: FastAPI, settings: Settings) -> None:
    """Adds the demo to the application when the settings ask for it (`--demo`, `BZRA_DEMO`)."""
    if settings.demo:
        log.warning(DEMO_BANNER)
        app.include_router(demo_router())
