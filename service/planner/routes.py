"""HTTP routes of the taper planner, the SMART app the cards can link to: `/planner`, `/planner/config`
and `/planner/static/`.

The planner only calls the public `POST /taper` of this service and, after a SMART launch, the EHR's
own FHIR server with the token the EHR gave it; it holds no data of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from service.api.deps import KnowledgeDep, PipelineDep, SettingsDep
from service.planner.pages import BASE_POLICY, SHARED, Shelf, page, static_file
from service.taper.choices import taper_choices

PLANNER_DIR = Path(__file__).resolve().parent / "static"
PLANNER = Shelf(PLANNER_DIR, frozenset({"chart.js", "smart.js", "planner.js"}))
PLANNER_FILES = SHARED.names | PLANNER.names  # what the planner page may load
SMART_SCOPE = "launch patient/MedicationRequest.write openid fhirUser"

# The planner may be framed by an EHR and talks to the EHR's authorization and FHIR servers.
PLANNER_CSP = f"{BASE_POLICY}; connect-src 'self' https: http:"


def planner_router() -> APIRouter:
    """The taper planner (SMART app launch target); safe to include in every mode."""
    router = APIRouter(include_in_schema=False)

    @router.get("/planner")
    async def planner_page() -> FileResponse:
        return page(PLANNER_DIR / "planner.html", PLANNER_CSP)

    @router.get("/planner/config")
    async def planner_config(settings: SettingsDep, knowledge: KnowledgeDep, pipeline: PipelineDep) -> dict[str, Any]:
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
            "today": pipeline.today().isoformat(),
            "drugs": drugs,
            **taper_choices(knowledge),
        }

    @router.get("/planner/static/{name}")
    async def planner_static(name: str) -> FileResponse:
        return static_file(name, SHARED, PLANNER)

    return router
