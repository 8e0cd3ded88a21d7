"""Prometheus metrics, served at `/metrics`.

Metrics live in the process-wide default registry, as prometheus-client expects; label values are
fixed sets (no patient or user ids) so cardinality stays small. With several workers
(`PROMETHEUS_MULTIPROC_DIR` set, see `service.serving`) each process writes its values to files there
and a scrape adds up every process's, so counters never go down from one scrape to the next.
"""

import os
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

HOOK_CALLS = Counter("bzra_hook_calls_total", "Hook calls answered", ["service", "status"])
HOOK_LATENCY = Histogram(
    "bzra_hook_latency_seconds",
    "Time to answer a hook call",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CARDS = Counter("bzra_cards_total", "Cards returned", ["indicator"])
FHIR_CALLS = Counter("bzra_fhir_calls_total", "FHIR reads by outcome", ["outcome"])
FHIR_LATENCY = Histogram(
    "bzra_fhir_latency_seconds", "Time of one FHIR read", buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
)
DATA_ISSUES = Counter("bzra_data_issues_total", "Resources skipped or data not available")
HISTORY_PAYLOADS = Counter(
    "bzra_history_payloads_total",
    "History payloads (prefetch values, FHIR search pages) by whether they were `read` or their reading `reused`"
    " from an earlier call with the same history (select, then sign)",
    ["outcome"],
)
AUDIT_REJECTED = Gauge(
    "bzra_audit_records_rejected",
    "Audit and feedback records the database refused for their content (rejected.jsonl in the spool)",
    multiprocess_mode="livesum",
)
REPLAY_STORE_UP = Gauge(
    "bzra_replay_store_up",
    "1 while the shared store of used token ids (replay protection) answers, 0 while the fallback applies",
    multiprocess_mode="livemin",
)
REPLAY_FALLBACKS = Counter(
    "bzra_replay_fallbacks_total",
    "Token checks made without the shared store (it was down): `local` (this process only) or `refuse`",
    ["action"],
)


# A metric's `.labels()` looks its child up under a lock with its labels checked, each call; a hook
# call's children are looked up once, when first used (so /metrics shows the same series as before).
@cache
def hook_calls(service: str, status: str) -> Counter:
    """The `bzra_hook_calls_total` child of one service and status."""
    return HOOK_CALLS.labels(service=service, status=status)


@cache
def hook_latency(service: str) -> Histogram:
    """The `bzra_hook_latency_seconds` child of one service."""
    return HOOK_LATENCY.labels(service=service)


@cache
def cards(indicator: str) -> Counter:
    """The `bzra_cards_total` child of one card indicator."""
    return CARDS.labels(indicator=indicator)


@cache
def history_payloads(outcome: str) -> Counter:
    """The `bzra_history_payloads_total` child of one outcome ("read" or "reused")."""
    return HISTORY_PAYLOADS.labels(outcome=outcome)


for _outcome in ("read", "reused"):  # both from the start: a site where nothing is reused sees a 0, not no series
    history_payloads(_outcome)


def exposition() -> bytes:
    """The text a scrape of `/metrics` gets: this process's metrics, or every worker's added up."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def process_ended() -> None:
    """A worker stops: its "live" gauges leave the sums (its counters stay: they never go down)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())
