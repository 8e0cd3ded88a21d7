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

from cds_hooks import Card, CDSResponse, HookContext, HookRequest, parse_context
from cds_hooks.prefetch import null_keys, with_no_data_as_empty
from service import metrics
from service.audit import AnsweredCall, call_audit
from service.catalog import DATA_QUERIES, ServiceSpec
from service.data_card import data_issues_card, internal_error_card, issues_extension
from service.errors import RequestError
from service.fhir.gather import history_since
from service.facts.build import FactOptions, HistorySummaries, build_facts
from service.facts.medication import draft_identity
from service.facts.model import Facts
from service.facts.unknown import Unknown
from service.fhir.cache import ResponseCache
from service.fhir.client import FhirSession
from service.fhir.drafts import parse_draft_orders, selected_orders
from service.fhir.gather import check_required_data, gather_record
from service.fhir.history_cache import ParsedHistory
from service.fhir.record import DataIssue, DraftOrder, PatientRecord, draft_reference
from service.knowledge.models import Knowledge
from service.rules.cards import no_suggestions
from service.rules.engine import Decision, Evaluation, decide, evaluate, skipped_evaluation
from service.rules.holder import RuleHolder
from service.rules.loader import RuleSet
from service.rules.models import BZRA_CLASS
from service.security.fhir_servers import FhirServerPolicy
from service.settings import Settings
from service.store import Store, patient_hash
from service.store.remembered import RememberedSuppressions
from service.suggestions import Suggestions

log = logging.getLogger(__name__)

class WrongHook(RequestError):
    """A call for another hook than the service answers; the message repeats the hook sent, so it is cut."""

    code, field, message_limit = "wrong_hook", "hook", 300


def draft_classes(order: DraftOrder, knowledge: Knowledge) -> frozenset[str] | None:
    """`bzra` and the co-medication classes of a draft order, as rules declare them in `fires_on`;
    None when its medication is a reference to a resource outside the order (unknown until read)."""
    identity = draft_identity(order, knowledge)
    if identity is None:
        return None
    return frozenset((BZRA_CLASS,) if identity.is_bzra else ()) | frozenset(identity.comedication_classes)


def _could_advise(record: PatientRecord, facts: Facts | None, declared: frozenset[str] | None) -> bool:
    """Whether a rule could have fired on what was ordered: only then can missing data matter.

    True when a draft order could not be read (it may be a BZRA), or when an order is of a class some
    rule declares it fires on (`declared`; without declarations: a BZRA or any co-medication class
    the knowledge names). An order for nothing of the kind (a CommunicationRequest, an antibiotic)
    gets no data card.
    """
    if any(issue.where.startswith("context.") for issue in record.issues):
        return True
    if facts is None:  # the facts failed: say what was missing if anything was ordered
        return bool(record.draft_orders)
    if declared is None:
        return any(order.is_bzra or order.classes for order in facts.drafts)
    return any(declared & {*order.classes, *((BZRA_CLASS,) if order.is_bzra else ())} for order in facts.drafts)


@dataclass
class HookCall:
    """What one hook call has gathered so far, handed from stage to stage of `Pipeline.answer`."""

    service: ServiceSpec
    request: HookRequest
    language: str
    base_url: str | None
    started: float = field(default_factory=time.monotonic)
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    record: PatientRecord | None = None
    facts: Facts | None = None
    skip: set[str] = field(default_factory=set)
    evaluation: Evaluation | None = None
    notes: list[Unknown] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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
    _parsed: ParsedHistory = field(init=False, repr=False)
    _summaries: HistorySummaries = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._suppressions = RememberedSuppressions(self.settings.suppression_cache_seconds)
        self._parsed = ParsedHistory(self.settings.history_cache_resources)
        self._summaries = HistorySummaries(self.settings.history_cache_resources)

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
        context, record = self.read_drafts(service, request)
        return await self.gather(request, context, record)

    @staticmethod
    def read_drafts(service: ServiceSpec, request: HookRequest) -> tuple[HookContext, PatientRecord]:
        """The call's context and a record holding only its draft orders; raises ContextError/WrongHook."""
        if request.hook != service.hook:
            raise WrongHook(f"service '{service.id}' answers the '{service.hook}' hook, not '{request.hook}'")
        context = parse_context(request.hook, request.context)
        drafts = parse_draft_orders(context)
        orders = [order for order, _ in drafts.orders]
        draft_json = {draft_reference(order): resource for order, resource in drafts.orders}
        record = PatientRecord(patient_id=context.patientId, draft_orders=orders, draft_json=draft_json)
        record.focus_orders = selected_orders(orders, getattr(context, "selections", None))
        record.issues.extend(drafts.issues)
        return context, record

    async def gather(self, request: HookRequest, context: HookContext, record: PatientRecord, read: bool = True) -> PatientRecord:
        """The record's history from prefetch and the FHIR server; raises MissingData.

        `read=False`: only what the request itself says (prefetch keys sent as null, a refused server,
        required data missing), for a call on whose draft orders no rule can fire.
        """
        if not record.draft_orders and not record.issues:
            return record  # no medication ordered: nothing to advise on, nothing to read
        request = self._no_data_read_as_empty(request, record)
        refusal = await self._refuse_server(request)
        if refusal:
            record.issues.append(DataIssue("fhirServer", refusal, reason="server_not_allowed"))
        check_required_data(request, server_usable=request.fhirServer is not None and not refusal, why=refusal)
        if not read:
            return record
        session = None if refusal else self._session(request, context.patientId)
        return await gather_record(request, context, record, session, self.settings.max_resources, self._parsed)

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
        return build_facts(record, hook, self.knowledge, options, self._summaries.summary(record, self.knowledge, options))

    def advise(
        self,
        facts: Facts,
        hook: str,
        language: str,
        record: PatientRecord | None = None,
        base_url: str | None = None,
        skip: set[str] | None = None,
        decision: Decision | None = None,
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
        evaluation = evaluate(rule_set, facts, hook, language, suggest, skip, decision)
        notes = [Unknown(what="rule", subject={"en": o.rule.rule.title}, detail=o.reason) for o in evaluation.not_evaluated()]
        return evaluation, [*facts.unknown, *notes]

    async def answer(
        self, service: ServiceSpec, request: HookRequest, language: str | None = None, base_url: str | None = None
    ) -> CDSResponse:
        """One hook call in named stages: collect → facts → suppressions → advise → data card → metrics
        and log → audit. Only `collect` may raise (a request that cannot be answered at all); after it
        the service always answers, at worst with the data check only."""
        call = HookCall(service, request, language or self.settings.language, base_url)
        context, record = self.read_drafts(service, request)
        if not self._rules_can_fire(record, request.hook):
            call.record = await self.gather(request, context, record, read=False)
            call.evaluation = self._fast_evaluation(request.hook)
            return self._answered(call)
        call.record = await self.gather(request, context, record)
        try:
            call.facts = self.facts(call.record, request.hook)
            await self._advise(call)
        except Exception as error:  # the service must never block prescribing
            log.exception("advice failed; answering with the data check only")
            call.errors.append(f"internal error: {type(error).__name__}")
            call.evaluation, call.cards = None, [internal_error_card(call.language)]
        self._add_data_card(call)
        return self._answered(call)

    def _answered(self, call: HookCall) -> CDSResponse:
        response = self._respond(call)
        self._audit(call, response)
        return response

    @property
    def _rule_set(self) -> RuleSet | None:
        """The rules in service now (None: built without rules, or none loaded yet)."""
        return self.rules.current if self.rules is not None else None

    def _declared_classes(self, hook: str) -> frozenset[str] | None:
        """The draft classes some rule in service can fire on (None: any draft, or no rules known)."""
        rule_set = self._rule_set
        return rule_set.draft_classes(hook) if rule_set is not None else None

    def _rules_can_fire(self, record: PatientRecord, hook: str) -> bool:
        """Whether a rule in service could fire on the draft orders, from what the rules declare
        (`fires_on`). Only then is the history read: an antibiotic order skips it all."""
        declared = self._declared_classes(hook)
        if declared is None or any(issue.where.startswith("context.") for issue in record.issues):
            return True
        for order in record.draft_orders:
            classes = draft_classes(order, self.knowledge)
            if classes is None or classes & declared:
                return True
        return False

    def _fast_evaluation(self, hook: str) -> Evaluation | None:
        rule_set = self._rule_set
        return skipped_evaluation(rule_set, "it cannot fire on these draft orders (fires_on)") if rule_set is not None else None

    async def _advise(self, call: HookCall) -> None:
        """The rules on the facts; the patient's suppressions are looked up only when a rule would fire."""
        assert call.record is not None and call.facts is not None
        rule_set = self._rule_set
        decision = decide(rule_set, call.facts, call.request.hook) if rule_set is not None else None
        if decision is not None and decision.fires:
            call.skip = await self._suppressed(call.request, call.record, call.received_at)
        call.evaluation, call.notes = self.advise(
            call.facts, call.request.hook, call.language, call.record, call.base_url, call.skip, decision
        )
        call.cards = list(call.evaluation.cards) if call.evaluation else []

    def _add_data_card(self, call: HookCall) -> None:
        """What could not be read or worked out, when a rule could have fired on what was ordered."""
        assert call.record is not None
        if _could_advise(call.record, call.facts, self._declared_classes(call.request.hook)):
            card = data_issues_card(call.record.issues, call.notes, call.language)
            if card is not None:
                call.cards.append(card)

    @staticmethod
    def _respond(call: HookCall) -> CDSResponse:
        """The response, counted in the metrics and logged (without patient data)."""
        record = call.record
        assert record is not None
        metrics.DATA_ISSUES.inc(len(record.issues))
        for card in call.cards:
            metrics.cards(card.indicator).inc()
        log.info(
            "hook answered",
            extra={
                "service": call.service.id,
                "cards": len(call.cards),
                "fired": call.evaluation.fired if call.evaluation else [],
                "dataIssues": len(record.issues),
                "sources": record.sources,
            },
        )
        extension = {"bzra-cds.data-issues": issues_extension(record.issues)} if record.issues else None
        return CDSResponse(cards=call.cards, extension=extension)

    def _audit(self, call: HookCall, response: CDSResponse) -> None:
        """Hand the call's audit record to the store, which writes it in the background."""
        if self.store is None or call.record is None:
            return
        record = call.record
        errors = [*call.errors, *(f"{issue.where}: {issue.problem}" for issue in record.issues)]
        answered = AnsweredCall(
            request=call.request,
            service_id=call.service.id,
            record=record,
            evaluation=call.evaluation,
            response=response,
            patient_hash=self._patient_hash(call.request, record),
            received_at=call.received_at,
            latency_ms=(time.monotonic() - call.started) * 1000,
            errors=tuple(errors),
        )
        self.store.record_call(call_audit(answered))

    def _patient_hash(self, request: HookRequest, record: PatientRecord) -> str:
        return patient_hash(self.audit_secret, request.fhir_base_url, record.patient_id)

    async def _suppressed(self, request: HookRequest, record: PatientRecord, now: datetime) -> set[str]:
        """Rules this patient's prescriber already answered with a suppressing override reason.

        Remembered per patient (`BZRA_SUPPRESSION_CACHE_SECONDS`, see `RememberedSuppressions`).
        A suppression made or lifted anywhere clears the memory at once (`Store.on_suppressions_changed`:
        here, or on another replica through PostgreSQL notifications); on SQLite other processes see it
        within that time.
        """
        if self.store is None:
            return set()
        return await self._suppressions.rules(self.store, self._patient_hash(request, record), now)

    def forget_suppressions(self) -> None:
        self._suppressions.forget()
