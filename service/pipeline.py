"""One hook call, end to end: context → draft orders → patient record → advice → response.

HTTP concerns stay in `service.api`; this module is plain async Python that tests can call directly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from cds_hooks import Card, CDSResponse, HookContext, HookRequest, parse_context
from service import metrics
from service.catalog import ServiceSpec
from service.data_card import SOURCE as DATA_CHECK_SOURCE
from service.data_card import data_issues_card, issues_extension
from service.fhir.cache import ResponseCache
from service.fhir.client import FhirSession
from service.fhir.drafts import parse_draft_orders, selected_orders
from service.fhir.gather import check_required_data, gather_record
from service.fhir.record import PatientRecord
from service.settings import Settings

log = logging.getLogger(__name__)

Advisor = Callable[[PatientRecord, HookContext, ServiceSpec], list[Card]]


def no_advice(record: PatientRecord, context: HookContext, service: ServiceSpec) -> list[Card]:
    """The advisor used until clinical rules are configured: data checks only."""
    return []


class WrongHook(ValueError):
    pass


@dataclass
class Pipeline:
    settings: Settings
    http: httpx.AsyncClient
    cache: ResponseCache
    advise: Advisor = no_advice

    def _session(self, request: HookRequest, patient_id: str) -> FhirSession | None:
        if request.fhir_base_url is None:
            return None
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        return FhirSession(
            self.http,
            request.fhir_base_url,
            patient_id,
            token,
            self.cache,
            max_pages=self.settings.fhir_max_pages,
            max_concurrency=self.settings.fhir_max_concurrency,
            deadline=time.monotonic() + self.settings.fhir_total_timeout,
        )

    async def answer(self, service: ServiceSpec, request: HookRequest) -> CDSResponse:
        """Raise ContextError/DraftOrderError/WrongHook/MissingData for client errors; else answer."""
        if request.hook != service.hook:
            raise WrongHook(f"service '{service.id}' answers the '{service.hook}' hook, not '{request.hook}'")
        context = parse_context(request.hook, request.context)
        drafts = parse_draft_orders(context)
        check_required_data(request)
        record = PatientRecord(patient_id=context.patientId, draft_orders=drafts)
        record.focus_orders = selected_orders(drafts, getattr(context, "selections", None))
        await gather_record(request, context, record, self._session(request, context.patientId))
        try:
            cards = self.advise(record, context, service)
        except Exception:  # the service must never block prescribing
            log.exception("advice failed; answering with the data check only")
            cards = [
                Card(
                    summary="bzra-cds could not check this prescription",
                    indicator="info",
                    source=DATA_CHECK_SOURCE,
                    detail="An internal error stopped the check. Prescribing is not affected; "
                    "the error has been logged for the service's maintainers.",
                )
            ]
        issue_card = data_issues_card(record.issues)
        if issue_card is not None:
            cards.append(issue_card)
        metrics.DATA_ISSUES.inc(len(record.issues))
        for card in cards:
            metrics.CARDS.labels(indicator=card.indicator).inc()
        extension = {"bzra-cds.data-issues": issues_extension(record.issues)} if record.issues else None
        response = CDSResponse(cards=cards, extension=extension)
        log.info(
            "hook answered",
            extra={
                "service": service.id,
                "cards": len(cards),
                "dataIssues": len(record.issues),
                "sources": record.sources,
            },
        )
        return response
