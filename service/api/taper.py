"""Taper plans over HTTP: `POST /taper` for the plan (JSON, Markdown, FHIR) and `GET /taper/handout`
for the printable patient handout the cards and the planner link to.

Both read the same input model (`PlanInput`: a JSON body, or query parameters for the handout, where
`hold` may repeat) and fill in the same defaults from the settings (`PlanDefaults`): protocol, pace,
market, language and equivalence table. A plan that cannot be made is a 422 naming the field, in the
request's language.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from service.api.body import openapi_body, parse_body
from service.api.deps import PipelineDep, SettingsDep
from service.pipeline import Pipeline
from service.settings import Settings
from service.taper.errors import TaperError
from service.taper.handout import handout_error_html
from service.taper.inputs import PlanDefaults, PlanInput, to_request
from service.taper.plan import TaperPlan, make_plan
from service.taper.protocol import load_protocols
from service.taper.render import plan_handout_html, plan_json, plan_markdown, plan_medication_requests
from service.taper.wording import LANGUAGES

router = APIRouter()


def _language(plan_input: PlanInput, settings: Settings) -> str:
    language = plan_input.language or settings.language
    return language if language in LANGUAGES else "en"


def _plan(plan_input: PlanInput, settings: Settings, pipeline: Pipeline) -> TaperPlan:
    """The plan for the input with the deployment's defaults; a `TaperError` goes up to the one error
    handler, which answers a 422 in the language the route chose (`request.state.language`)."""
    knowledge = pipeline.knowledge
    taper_request = to_request(
        plan_input, PlanDefaults.from_settings(settings), knowledge, load_protocols(), pipeline.today()
    )
    return make_plan(taper_request, knowledge)


@router.post("/taper", openapi_extra=openapi_body(PlanInput))
async def taper(request: Request, settings: SettingsDep, pipeline: PipelineDep) -> dict[str, object]:
    plan_input = await parse_body(request, PlanInput)
    language = request.state.language = _language(plan_input, settings)  # also the language of a 422
    plan = _plan(plan_input, settings, pipeline)
    patient = f"Patient/{plan_input.patient}" if plan_input.patient else None
    resources = plan_medication_requests(plan, patient, language)
    return {
        "plan": plan_json(plan, language),
        "markdown": plan_markdown(plan, language),
        "medicationRequest": resources[-1],
        "medicationRequests": resources,
        "handout": f"taper/handout?{_query(plan_input)}",
    }


def _query(plan_input: PlanInput) -> str:
    from urllib.parse import urlencode

    return urlencode(plan_input.query())


@router.get("/taper/handout", response_class=HTMLResponse)
async def handout(request: Request, settings: SettingsDep, pipeline: PipelineDep) -> HTMLResponse:
    """The patient handout for the plan the query asks for (the same fields as `POST /taper`)."""
    language = request.query_params.get("language") or settings.language
    language = language if language in LANGUAGES else "en"
    try:
        plan_input = PlanInput.from_query(request.query_params.multi_items())
        plan = _plan(plan_input, settings, pipeline)
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in item["loc"]) for item in error.errors())
        return HTMLResponse(handout_error_html(fields, language), status_code=422)
    except TaperError as error:
        return HTMLResponse(handout_error_html(error.text(language), language), status_code=422)
    contacts = [(link.label, link.url) for link in settings.help_links]
    return HTMLResponse(plan_handout_html(plan, language, contacts, made_on=pipeline.today()))
