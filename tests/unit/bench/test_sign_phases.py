"""The sign after its selects is timed in batches: every batch must hold whole sequences, signs last."""

from __future__ import annotations

from datetime import date

from bench import population, sign_phases, traffic
from bench.targets import sign_after_selects

TODAY = date(2026, 3, 2)


def test_batches_hold_whole_sequences_of_batch_patients_in_their_order() -> None:
    cases = [population.make_case(20, 400 + i, TODAY) for i in range(120)]
    calls = traffic.build([], cases, TODAY)["select_sign"]
    batches = sign_phases._batches(calls)
    assert [call for batch in batches for call in batch] == calls
    assert [sum(c.hook == "order-sign" for c in batch) for batch in batches] == [50, 50, 20]
    for batch in batches:
        assert batch[-1].hook == "order-sign"
        signed = {c.patient for c in batch if c.hook == "order-sign"}
        assert {c.patient for c in batch} == signed  # no patient's selects in one batch and sign in another


def test_the_sign_is_judged_on_the_signs_phases_by_throughput_unless_disturbed() -> None:
    quiet = {"cpu": {"other_cpus": 0.0}}
    service = {"signs": {"rps": 250.0, "server_cpu_ms_per_call": 2.0, **quiet}}
    baseline = {"signs": {"rps": 1000.0, "server_cpu_ms_per_call": 1.0, **quiet}}
    judged = sign_after_selects(service, baseline)
    assert (judged["judged"], judged["basis"], judged["cpu_ratio"]) == (0.25, "throughput", 0.5)
    service["signs"]["cpu"] = {"other_cpus": 0.9}
    assert sign_after_selects(service, baseline)["judged"] == 0.5
