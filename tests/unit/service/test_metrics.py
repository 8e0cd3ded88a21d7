"""The hook call metrics: children looked up once, the same series as `.labels()` gives."""

from __future__ import annotations

from service import metrics


def test_a_hook_call_child_is_the_labelled_metric_looked_up_once() -> None:
    assert metrics.hook_calls("bzra-test-service", "ok") is metrics.HOOK_CALLS.labels(service="bzra-test-service", status="ok")
    assert metrics.hook_calls("bzra-test-service", "ok") is metrics.hook_calls("bzra-test-service", "ok")
    assert metrics.hook_latency("bzra-test-service") is metrics.HOOK_LATENCY.labels(service="bzra-test-service")
    assert metrics.cards("bzra-test-indicator") is metrics.CARDS.labels(indicator="bzra-test-indicator")


def test_a_series_appears_when_first_counted_not_before() -> None:
    assert b'status="bzra-never-used"' not in metrics.exposition()
    metrics.hook_calls("bzra-test-service", "bzra-counted").inc()
    assert b'bzra_hook_calls_total{service="bzra-test-service",status="bzra-counted"} 1.0' in metrics.exposition()
