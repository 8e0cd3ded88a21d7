"""Taper plans over HTTP: `POST /taper` for the plan (JSON, Markdown, FHIR) and
`GET /taper/handout` for the printable patient handout the cards link to."""

from __future__ import annotations

import html
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, field_validator

from service.api.body import openapi_body, parse_body
from service.api.errors import ApiError
from service.rules.models import LANGUAGES
from service.taper.plan import TaperError, TaperPlan, TaperRequest, make_plan, parse_dose, resolve_drug
from service.taper.render import plan_handout_html, plan_json, plan_markdown, plan_medication_request

router = APIRouter()


class TaperQuery(BaseModel):
    """What the prescriber and patient choose; the dose as written ("3 mg/day") or in mg."""

    drug: str = Field(min_length=1)
    dose: str | float
    pace: str = "standard"
    switch_to: str | None = None
    start: date | None = None
    holds: list[int] = []
    language: str = "en"
    patient: str | None = Field(None, description="Patient id, for the MedicationRequest's subject.")

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        return value


def _plan(query: TaperQuery, request: Request) -> TaperPlan:
    settings = request.app.state.settings
    knowledge = request.app.state.pipeline.knowledge
    try:
        if query.pace not in ("standard", "slow"):
            raise TaperError("pace", f"pace must be 'standard' or 'slow', not '{query.pace}'")
        if query.switch_to not in (None, "", "diazepam"):
            raise TaperError("switch_to", f"a taper can switch to diazepam only, not '{query.switch_to}'")
        dose = query.dose if isinstance(query.dose, float | int) else parse_dose(query.dose)
        taper_request = TaperRequest(
            drug=resolve_drug(query.drug, knowledge),
            daily_dose_mg=float(dose),
            pace=query.pace,  # type: ignore[arg-type]
            switch_to_diazepam=query.switch_to == "diazepam",
            start=query.start or request.app.state.pipeline.today(),
            holds=tuple(query.holds),
            markets=(settings.market,) if settings.market else (),
        )
        return make_plan(taper_request, knowledge, settings.equivalence_table)
    except TaperError as error:
        raise ApiError(422, "invalid_taper", error.message, [{"field": error.field, "problem": error.message}]) from None


@router.post("/taper", openapi_extra=openapi_body(TaperQuery))
async def taper(request: Request) -> dict[str, object]:
    query = await parse_body(request, TaperQuery)
    plan = _plan(query, request)
    patient = f"Patient/{query.patient}" if query.patient else None
    return {
        "plan": plan_json(plan),
        "markdown": plan_markdown(plan, query.language),
        "medicationRequest": plan_medication_request(plan, patient),
    }


@router.get("/taper/handout", response_class=HTMLResponse)
async def handout(
    request: Request,
    drug: str,
    dose: str,
    pace: str = "standard",
    switch_to: str | None = None,
    start: date | None = None,
    language: str = "en",
    hold: list[int] | None = None,
) -> HTMLResponse:
    try:
        query = TaperQuery(drug=drug, dose=dose, pace=pace, switch_to=switch_to, start=start, language=language, holds=hold or [])
        plan = _plan(query, request)
    except (ApiError, ValueError) as error:
        message = error.message if isinstance(error, ApiError) else str(error)
        page = f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Taper plan</title><p>The plan could not be made: {html.escape(message)}</p></html>"
        return HTMLResponse(page, status_code=422)
    contacts = [(link.label, link.url) for link in request.app.state.settings.help_links]
    return HTMLResponse(plan_handout_html(plan, query.language, contacts))
