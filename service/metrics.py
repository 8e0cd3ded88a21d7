"""Prometheus metrics, served at `/metrics`.

Metrics live in the process-wide default registry, as prometheus-client expects; label values are
fixed sets (no patient or user ids) so cardinality stays small.
"""

from prometheus_client import Counter, Gauge, Histogram

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
AUDIT_REJECTED = Gauge(
    "bzra_audit_records_rejected", "Audit and feedback records the database refused for their content (spool/rejected.jsonl)"
)
