"""The instruction counter's traffic scenarios: the two processes differ by the measured calls alone.

`bench.instructions` divides the difference of two processes' instructions by the calls measured, so
the process without measured calls must send every other call the same, in the same order.
"""

from __future__ import annotations

from datetime import date

import pytest

from bench.instructions import call_plan
from bench.traffic import Call

TODAY = date(2026, 3, 2)


def _key(call: Call) -> tuple[int, str, bytes]:
    return call.patient, call.hook, call.body


@pytest.mark.parametrize("scenario", ["bzra", "sign"])
def test_measured_plan_is_the_other_plus_one_call_per_patient(scenario: str) -> None:
    without = call_plan(scenario, warmup=4, size=6, measured=False, today=TODAY)
    measured = call_plan(scenario, warmup=4, size=6, measured=True, today=TODAY)
    sent_by_both = {_key(call) for call in without}
    extra = [call for call in measured if _key(call) not in sent_by_both]
    assert [call for call in measured if call not in extra] == without
    assert len(extra) == 6 and len({call.patient for call in extra}) == 6
    assert all(call.hook == "order-sign" for call in extra)
    warm_patients = {call.patient for call in measured[: measured.index(extra[0])]} if scenario == "bzra" else set()
    assert not warm_patients & {call.patient for call in extra}


def test_each_measured_sign_follows_its_own_selects() -> None:
    without = call_plan("sign", warmup=3, size=5, measured=False, today=TODAY)
    measured = call_plan("sign", warmup=3, size=5, measured=True, today=TODAY)
    warm_signs = {call.patient for call in without if call.hook == "order-sign"}
    assert len(warm_signs) == 3  # the warm-up's sequences, signs included, are in both processes
    signs = [index for index, call in enumerate(measured) if call.hook == "order-sign" and call.patient not in warm_signs]
    assert len(signs) == 5
    for index in signs:
        patient = measured[index].patient
        selects = [call for call in measured if call.patient == patient and call.hook == "order-select"]
        assert len(selects) >= 2 and measured[index - len(selects) : index] == selects
        assert index + 1 == len(measured) or measured[index + 1].patient != patient
