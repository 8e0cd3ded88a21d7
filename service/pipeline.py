"""One hook call, end to end: context → draft orders → patient record → facts → advice → response.

HTTP concerns stay in `service.api`; this module is plain async Python that the CLI and tests call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import httpx

from cds_hooks import CDSResponse, HookRequest, parse_context
from cds_hooks.prefetch import null_keys, with_no_data_as_empty
from service import metrics
from service.audit import call_audit
from service.catalog import DATA_QUERIES, ServiceSpec
from service.data_card import data_issues_card, internal_error_card, issues_extension
from service.errors import RequestError
from service.fhir.gather import history_since
from service.facts.build import FactOptions, build_facts
from service.facts.model import Facts
from service.facts.unknown import Unknown
from service.fhir.cache import ResponseCache
from service.fhir.client import FhirSession
from service.fhir.drafts import parse_draft_orders, selected_orders
from service.fhir.gather import check_required_data, gather_record
from service.fhir.record import DataIssue, PatientRecord, draft_reference
from service.knowledge.models import Knowledge
from service.rules.cards import no_suggestions
from service.rules.engine import Evaluation, evaluate
from service.rules.holder import RuleHolder
from service.security.fhir_servers import FhirServerPolicy
from service.settings import Settings
from service.store import Store, patient_hash
from service.store.remembered import RememberedSuppressions
from service.suggestions import Suggestions

log = logging.getLogger(__name__)

class WrongHook(RequestError):
    """A call for another hook than the service answers; the message repeats the hook sent, so it is cut."""

    code, field, message_limit = "wrong_hook", "hook", 300


def _could_advise(record: PatientRecord, facts: Facts | None) -> bool:
    """Whether a rule could have fired on what was ordered: only then can missing data matter.

    True when a draft order could not be read (it may be a BZRA), or when an order is a BZRA or
    belongs to a co-medication class the rules look at (an opioid, another sedative…). An order
    for nothing of the kind (a CommunicationRequest, an antibiotic) gets no data card.
    """
    if any(issue.where.startswith("context.") for issue in record.issues):
        return True
    if facts is None:  # the facts failed: say what was missing if anything was ordered
        return bool(record.draft_orders)
    return any(order.is_bzra or order.classes for order in facts.drafts)


@dataclass
class Pipeline:
    settings: Settings
    http: httpx.AsyncClient | None  # None: prefetch only (rule tests, offline tools)
    cache: ResponseCache
    knowledge: Knowledge
    rules: RuleHolder | None = None
    suggestions: Suggestions | None = None
    fhir_policy: FhirServerPolicy | None = None
    store: Store | None = None
    audit_secret: str = ""
    today: Callable[[], date] = field(default=date.today)
    _suppressions: RememberedSuppressions = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._suppressions = RememberedSuppressions(self.settings.suppression_cache_seconds)

    def _session(self, request: HookRequest, patient_id: str) -> FhirSession | None:
        if request.fhir_base_url is None or self.http is None:
            return None
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        return FhirSession(
            self.http,
            request.fhir_base_url,
            patient_id,
            token,
            self.cache,
            limits=self.settings.fhir_limits,
            since=history_since(self.today(), self.settings.fhir_history_months),
        )

    async def collect(self, service: ServiceSpec, request: HookRequest) -> PatientRecord:
        """The patient record for a call; raises ContextError/WrongHook/MissingData."""
        if request.hook != service.hook:
            raise WrongHook(f"service '{service.id}' answers the '{service.hook}' hook, not '{request.hook}'")
        context = parse_context(request.hook, request.context)
        drafts = parse_draft_orders(context)
        orders = [order for order, _ in drafts.orders]
        draft_json = {draft_reference(order): resource for order, resource in drafts.orders}
        record = PatientRecord(patient_id=context.patientId, draft_orders=orders, draft_json=draft_json)
        record.focus_orders = selected_orders(orders, getattr(context, "selections", None))
        record.issues.extend(drafts.issues)
        if not drafts.orders and not drafts.issues:
            return record  # no medication ordered: nothing to advise on, nothing to read
        request = self._no_data_read_as_empty(request, record)
        refusal = await self._refuse_server(request)
        if refusal:
            record.issues.append(DataIssue("fhirServer", refusal, reason="server_not_allowed"))
        check_required_data(request, server_usable=request.fhirServer is not None and not refusal, why=refusal)
        session = None if refusal else self._session(request, context.patientId)
        return await gather_record(request, context, record, session, self.settings.max_resources)

    @staticmethod
    def _no_data_read_as_empty(request: HookRequest, record: PatientRecord) -> HookRequest:
        """Prefetch keys sent as null (the EHR has no data) are empty results, never read again; a
        single resource the EHR has no data for (the Patient) leaves its checks undone."""
        empty = null_keys(request.prefetch)
        for query in DATA_QUERIES:
            if query.key in empty and "?" not in query.template:
                record.issues.append(
                    DataIssue(f"prefetch.{query.key}", "the EHR has no data for it (null)", not_checked=query.purpose, data_key=query.key)
                )
        return request.model_copy(update={"prefetch": with_no_data_as_empty(request.prefetch)}) if empty else request

    async def _refuse_server(self, request: HookRequest) -> str | None:
        """Why the request's fhirServer must not be called (allow-list, private address), if so."""
        if request.fhir_base_url is None or self.fhir_policy is None:
            return None
        return await self.fhir_policy.refusal(request.fhir_base_url)

    def facts(self, record: PatientRecord, hook: str) -> Facts:
        options = FactOptions(
            today=self.today(),
            equivalence_table=self.settings.equivalence_table,
            gap_days=self.settings.exposure_gap_days,
        )
        return build_facts(record, hook, self.knowledge, options)

    def advise(
        self,
        facts: Facts,
        hook: str,
        language: str,
        record: PatientRecord | None = None,
        base_url: str | None = None,
        skip: set[str] | None = None,
    ) -> tuple[Evaluation | None, list[Unknown]]:
        """Evaluate the rules in service; also what could not be worked out, for the data card."""
        if self.rules is None:  # a pipeline built without rules: facts and data checks only
            return None, list(facts.unknown)
        rule_set = self.rules.current
        if rule_set is None:
            return None, [*facts.unknown, Unknown(what="rules")]
        suggest = (
            self.suggestions.for_call(record, base_url)
            if self.suggestions is not None and record is not None
            else no_suggestions
        )
        evaluation = evaluate(rule_set, facts, hook, language, suggest, skip)
        notes = [Unknown(what="rule", subject={"en": o.rule.rule.title}, detail=o.reason) for o in evaluation.not_evaluated()]
        return evaluation, [*facts.unknown, *notes]

    async def answer(
        self, service: ServiceSpec, request: HookRequest, language: str | None = None, base_url: str | None = None
    ) -> CDSResponse:
        started, received_at = time.monotonic(), datetime.now(timezone.utc)
        record = await self.collect(service, request)
        language = language or self.settings.language
        notes: list[Unknown] = []
        errors: list[str] = []
        facts = None
        try:
            facts = self.facts(record, request.hook)
            skip = await self._suppressed(request, record, received_at)
            evaluation, notes = self.advise(facts, request.hook, language, record, base_url, skip)
            cards = list(evaluation.cards) if evaluation else []
        except Exception as error:  # the service must never block prescribing
            log.exception("advice failed; answering with the data check only")
            errors.append(f"internal error: {type(error).__name__}")
            evaluation, cards = None, [internal_error_card(language)]
        issue_card = data_issues_card(record.issues, notes, language) if _could_advise(record, facts) else None
        if issue_card is not None:
            cards.append(issue_card)
        metrics.DATA_ISSUES.inc(len(record.issues))
        for card in cards:
            metrics.CARDS.labels(indicator=card.indicator).inc()
        extension = {"bzra-cds.data-issues": issues_extension(record.issues)} if record.issues else None
        log.info(
            "hook answered",
            extra={
                "service": service.id,
                "cards": len(cards),
                "fired": evaluation.fired if evaluation else [],
                "dataIssues": len(record.issues),
                "sources": record.sources,
            },
        )
        response = CDSResponse(cards=cards, extension=extension)
        if self.store is not None:
            errors += [f"{issue.where}: {issue.problem}" for issue in record.issues]
            latency_ms = (time.monotonic() - started) * 1000
            self.store.record_call(
                call_audit(request, service.id, record, evaluation, response, self.audit_secret, received_at, latency_ms, errors)
            )
        return response

    async def _suppressed(self, request: HookRequest, record: PatientRecord, now: datetime) -> set[str]:
        """Rules this patient's prescriber already answered with a suppressing override reason.

        Remembered per patient (`BZRA_SUPPRESSION_CACHE_SECONDS`, see `RememberedSuppressions`).
        A suppression made or lifted anywhere clears the memory at once (`Store.on_suppressions_changed`:
        here, or on another replica through PostgreSQL notifications); on SQLite other processes see it
        within that time.
        """
        if self.store is None:
            return set()
        key = patient_hash(self.audit_secret, request.fhir_base_url, record.patient_id)
        return await self._suppressions.rules(self.store, key, now)

    def forget_suppressions(self) -> None:
        self._suppressions.forget()
