"""One history, read again from a server that stamps each search afresh, is parsed once (issue 20).

An EHR calls order-select as the prescriber edits an order, then order-sign, each time with the same
medication history. A FHIR server such as HAPI FHIR stamps every search answer with a new Bundle id,
the time of the search and a search id in its paging links; an EHR that runs the prefetch searches
again for each call sends the same stamps. The service keys the parsed history by what it reads (the
entries), so from the third call on the history is taken from its cache (`bzra_history_payloads_total`).
Keyed by every byte, as it was, no call found a search it had read before (only the patient, read
by its id). The advice is the same on every call.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import httpx
import pytest

from tests.support import builders as b
from tests.support.medplum_server import medplum_server
from tests.support.medplum_server import missing as medplum_missing
from tests.support.service_process import running_service

SIGN = "/cds-services/bzra-order-sign"
SELECT = "/cds-services/bzra-order-select"
PAGE_SIZE = 20


def payloads(base: str) -> dict[str, float]:
    """`bzra_history_payloads_total` by outcome, as /metrics shows it."""
    exposition = httpx.get(f"{base}/metrics", timeout=10).text
    return {outcome: float(value) for outcome, value in re.findall(r'^bzra_history_payloads_total\{outcome="(\w+)"\} (\S+)$', exposition, re.M)}


def history(today: date) -> list[dict]:
    """A patient of 80 on diazepam for a year, with 44 short courses of amoxicillin in that year (three pages)."""
    daily = [{"text": "1 tablet a day", "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]
    finished = []
    for number in range(44):
        started = today - timedelta(days=20 + 7 * number)
        finished.append(
            b.medication_statement(
                f"ms-{number:03d}",
                status="completed",
                medicationCodeableConcept={"coding": [{"system": b.RXNORM, "code": "308182", "display": "amoxicillin 250 MG Oral Capsule"}]},
                effectivePeriod={"start": started.isoformat(), "end": (started + timedelta(days=5)).isoformat()},
                dateAsserted=started.isoformat(),
                dosage=daily,
            )
        )
    diazepam = b.medication_statement(
        "ms-diazepam",
        medicationCodeableConcept={"coding": [{"system": b.RXNORM, "code": "197591", "display": "diazepam 5 MG Oral Tablet"}]},
        effectivePeriod={"start": (today - timedelta(days=365)).isoformat()},
        dateAsserted=(today - timedelta(days=30)).isoformat(),
        dosage=daily,
    )
    return [b.patient(birth_date=(today - timedelta(days=80 * 365 + 30)).isoformat()), *finished, diazepam]


def card_texts(answer: dict) -> list[tuple[str, str]]:
    return sorted((card["summary"], card.get("detail", "")) for card in answer["cards"])


@pytest.mark.skipif(medplum_missing() is not None, reason=str(medplum_missing()))
def test_a_history_searched_again_on_a_stamping_server_is_parsed_once() -> None:
    today = date.today()
    with medplum_server(PAGE_SIZE, history(today), stamped=True) as fhir:
        first, second = (httpx.get(f"{fhir}/MedicationStatement?patient={b.PATIENT_ID}", timeout=10).json() for _ in range(2))
        assert first["id"] != second["id"] and first["entry"] == second["entry"]  # the server stamps each search
        assert any(link["relation"] == "next" for link in first["link"])  # and pages the history
        with running_service("--insecure-dev", env={"BZRA_FHIR_ALLOW_PRIVATE": "true"}) as (base, _):
            answers = []
            for call in range(4):  # a new token each time: the FHIR answers are not the service's to keep
                request = b.hook_request(fhir_server=fhir, token=f"token-{call}")
                response = httpx.post(f"{base}{SIGN}", json=request, timeout=30)
                assert response.status_code == 200, response.text[:500]
                answers.append(response.json())
                if call == 1:
                    after_two = payloads(base)
            counted = payloads(base)
    per_call = after_two["read"] / 2
    assert per_call >= 7  # the patient, three pages of statements, requests, dispenses, conditions
    assert after_two["reused"] == 0  # seen once, then kept the second time (the series is there from the start)
    assert counted["reused"] == 2 * per_call and counted["read"] == 2 * per_call
    assert all(card_texts(answer) == card_texts(answers[0]) for answer in answers)
    assert "older-adult" in b.rule_ids(answers[0]), json.dumps(answers[0])[:2000]  # 80 and on diazepam (Beers 2023)


def test_the_sign_after_two_selects_reuses_their_history_prefetched_afresh_each_time() -> None:
    prefetch = b.full_prefetch()
    calls = (("select-1", SELECT, "10:00:05"), ("select-2", SELECT, "10:00:40"), ("sign", SIGN, "10:01:15"))
    with running_service("--insecure-dev") as (base, _):
        answers = {}
        for call, path, time in calls:
            hook = "order-sign" if path == SIGN else "order-select"
            request = b.hook_request(hook, prefetch=b.searched_again(prefetch, call, f"2026-12-07T{time}Z"))
            response = httpx.post(f"{base}{path}", json=request, timeout=30)
            assert response.status_code == 200, response.text[:500]
            answers[call] = response.json()
            if call == "select-2":
                before_sign = payloads(base)
        counted = payloads(base)
    assert before_sign["reused"] == 0 and before_sign["read"] == 2 * len(prefetch)
    assert counted["reused"] == len(prefetch) and counted["read"] == before_sign["read"]  # the sign read nothing again
    assert card_texts(answers["sign"]) == card_texts(answers["select-2"])
