"""Reliability of the audit trail and of FHIR reads, tried on the real service process (issue 17):
kill -9 under load, the database shutting down under load, 20 MB FHIR answers, small FHIR pages.

Each test starts `bzra-cds serve` as a hospital runs it and measures from outside (the database, the
spool files, /proc). Loads are bounded in time and sent to loopback only.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from contextlib import nullcontext
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support import builders as b
from tests.support.reliability_support import (
    database_stalled,
    hook_load,
    kill_hard,
    postgres_available,
    resident_mb,
    throwaway_postgres,
    with_instance_marker,
)
from tests.support.fhir_server import FhirStub
from tests.support.medplum_server import medplum_server
from tests.support.medplum_server import missing as medplum_missing
from tests.support.service_process import running_service
from tests.support.store_support import backends, database, rows

SIGN = "/cds-services/bzra-order-sign"
ANSWERED_BEFORE_KILL_S = 1.0  # the promise: every call answered this long before a crash is audited


def wait_until_replayed(base: str, timeout: float = 60.0) -> dict:
    """The database part of /readyz once nothing is pending (the spool and journal are replayed)."""
    deadline = time.monotonic() + timeout
    while True:
        database_state = httpx.get(f"{base}/readyz", timeout=5).json()["checks"]["database"]
        if database_state.get("pending") == 0 and database_state.get("state") == "up":
            return database_state
        if time.monotonic() > deadline:
            raise TimeoutError(f"records still pending: {database_state}")
        time.sleep(0.2)


@pytest.mark.parametrize("stalled", [False, True], ids=["writes-flowing", "writes-stalled"])
@pytest.mark.parametrize("kind", backends())
def test_kill_9_under_load_loses_no_audit_of_an_answered_call(kind: str, stalled: bool, tmp_path: Path) -> None:
    """Calls answered more than a second before a kill -9 all have their audit after the restart, also
    when the database was slow to take writes (a lock held elsewhere) so that records had piled up."""
    with database(kind, tmp_path) as url:
        env = {"BZRA_DATABASE_URL": url, "BZRA_RULES_RELOAD": "false", "BZRA_LOG_LEVEL": "WARNING"}
        body = with_instance_marker(b.hook_request(prefetch=b.full_prefetch()))
        with running_service("--insecure-dev", env=env) as (base, process):
            killed_at: list[float] = []

            def kill() -> None:
                killed_at.append(time.monotonic())
                kill_hard(process)

            with database_stalled(url) if stalled else nullcontext():
                load = asyncio.run(hook_load(f"{base}{SIGN}", body, connections=24, seconds=4.5, events=[(3.5, kill)]))
        answered_early = {i for i, at in load.answered.items() if at < killed_at[0] - ANSWERED_BEFORE_KILL_S}
        assert len(answered_early) > 100, f"the load was too light to mean anything: {load.statuses}"

        with running_service("--insecure-dev", env=env) as (base, _):
            wait_until_replayed(base)
            audited = {row["hook_instance"] for row in asyncio.run(rows(url, "audit_calls"))}
        missing = answered_early - audited
        print(f"kill -9 ({kind}, {'stalled' if stalled else 'flowing'}): {len(missing)} of {len(answered_early)} missing")
        assert not missing, f"{len(missing)} of {len(answered_early)} answered calls have no audit record"
        assert audited <= load.sent  # none invented
        assert len(asyncio.run(rows(url, "audit_calls"))) == len(audited)  # and each one once


@pytest.mark.skipif(postgres_available() is not None, reason=str(postgres_available()))
def test_postgres_shutting_down_and_starting_up_is_an_outage_not_a_bad_record(tmp_path: Path) -> None:
    """A PostgreSQL of its own goes through what a restart by its administrator looks like, under load:
    sessions terminated (AdminShutdown), a smart shutdown (new sessions: "the database system is
    shutting down"), a fast stop, a start ("starting up"), a crash (immediate stop) and its recovery.
    Every record waits in the spool and reaches the database; none is set aside as refused."""
    with throwaway_postgres() as cluster:
        env = {"BZRA_DATABASE_URL": cluster.url, "BZRA_RULES_RELOAD": "false", "BZRA_LOG_LEVEL": "WARNING"}
        body = with_instance_marker(b.hook_request(prefetch=b.full_prefetch()))
        with running_service("--insecure-dev", env=env) as (base, _):
            url = f"{base}{SIGN}"
            # calls while the database is up; then, the writer idle, the administrator's shutdown begins
            before = asyncio.run(hook_load(url, body, connections=4, seconds=1.5, pause=0.05))
            time.sleep(0.5)
            cluster.begin_shutdown()
            events = [(2.0, cluster.stop), (3.5, cluster.start), (5.0, lambda: cluster.stop("immediate")), (6.0, cluster.start)]
            load = asyncio.run(hook_load(url, body, connections=4, seconds=7.5, events=events, pause=0.05))
            load.answered.update(before.answered)
            assert load.statuses.get(200, 0) > 100 and set(load.statuses) == {200}, load.statuses
            state = wait_until_replayed(base)
            audited = {row["hook_instance"] for row in asyncio.run(rows(cluster.url, "audit_calls"))}
        rejected = list((Path(os.environ["BZRA_DATA_DIR"]) / "spool").glob("**/rejected.jsonl"))  # one spool per process
        set_aside = sum(path.read_text().count("\n") for path in rejected)
        print(f"database shutdown: {set_aside} record(s) set aside, {len(set(load.answered) - audited)} answered call(s) not audited")
        assert set_aside == 0 and state["rejected"] == 0
        assert set(load.answered) <= audited


def long_history(today: date, count: int = 250) -> list[dict]:
    """A patient with `count` MedicationStatements over ten years, stored oldest first (a server's
    default order): finished courses of other drugs, and, among the newest, diazepam taken now."""
    other = [("861007", "metformin hydrochloride 500 MG Oral Tablet"), ("314231", "simvastatin 20 MG Oral Tablet")]
    statements = []
    for number in range(count):
        started = today - timedelta(days=14 * (count - number))
        current = number >= count - 3
        code, display = ("197591", "diazepam 5 MG Oral Tablet") if current and number == count - 2 else other[number % 2]
        period = {"start": started.isoformat()} if current else {"start": started.isoformat(), "end": (started + timedelta(days=28)).isoformat()}
        statements.append(
            b.medication_statement(
                f"ms-{number:03d}",
                status="active" if current else "completed",
                medicationCodeableConcept={"coding": [{"system": b.RXNORM, "code": code, "display": display}]},
                effectivePeriod=period,
                dateAsserted=(started + timedelta(days=1)).isoformat(),
                dosage=[{"text": "1 tablet a day", "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}],
            )
        )
    return [b.patient(), *statements]


@pytest.mark.skipif(medplum_missing() is not None, reason=str(medplum_missing()))
@pytest.mark.parametrize("page_size", [20, 50])
def test_a_real_fhir_server_with_small_pages_still_shows_todays_diazepam(page_size: int) -> None:
    """250 statements, the current diazepam among the newest, on a server that pages by 20 or 50 in the
    order they were stored: the read asks for the recent history first, so the 5-page cap still reaches
    it, and the lorazepam order is flagged as a second benzodiazepine."""
    today = date.today()
    with medplum_server(page_size, long_history(today)) as fhir:
        request = b.hook_request(fhir_server=fhir)  # nothing prefetched: every read goes to the server
        with running_service("--insecure-dev", env={"BZRA_FHIR_ALLOW_PRIVATE": "true"}) as (base, _):
            answer = httpx.post(f"{base}{SIGN}", json=request, timeout=30).json()
    found = "duplicate-bzra" in b.rule_ids(answer)
    print(f"page size {page_size}: current diazepam {'found' if found else 'missed'}")
    assert found, json.dumps(answer)[:2000]
    duplicate = next(c for c in answer["cards"] if "duplicate-bzra" in {r["id"] for r in c.get("extension", {}).get("bzra-cds.rules", [])})
    assert "diazepam" in duplicate["summary"].lower()


def statements_of_about(megabytes: float) -> list[dict]:
    """Finished courses of a non-BZRA drug, enough that the search answer is about that size."""
    one = len(json.dumps(b.medication_statement("ms-000000"))) + 150  # with its Bundle entry
    return [b.medication_statement(f"ms-{n:06d}", status="completed") for n in range(int(megabytes * 1e6 / one))]


def test_twenty_megabyte_fhir_answers_leave_memory_bounded() -> None:
    """8 calls, each reading a valid 20 MB search answer (the size limit raised to let them in): the
    service's resident memory stays under 350 MB. With the default limit, such an answer is abandoned
    while reading and the card says why."""
    history = statements_of_about(20)
    env = {
        "BZRA_FHIR_ALLOW_PRIVATE": "true",
        "BZRA_FHIR_MAX_RESPONSE_BYTES": "32000000",
        "BZRA_FHIR_READ_TIMEOUT": "30",
        "BZRA_FHIR_TOTAL_TIMEOUT": "60",
    }
    with FhirStub([b.patient(), *history]) as fhir:
        with running_service("--insecure-dev", env=env) as (base, process):
            for _ in range(8):
                request = b.hook_request(fhir_server=fhir.base_url, token=str(time.monotonic_ns()))
                answer = httpx.post(f"{base}{SIGN}", json=request, timeout=120)
                assert answer.status_code == 200
            rss = resident_mb(process.pid)
        print(f"resident memory after 8 x 20 MB answers: {rss:.0f} MB")
        assert rss < 350

        with running_service("--insecure-dev", env={"BZRA_FHIR_ALLOW_PRIVATE": "true"}) as (base, process):
            request = b.hook_request(fhir_server=fhir.base_url)
            answer = httpx.post(f"{base}{SIGN}?language=nl", json=request, timeout=60).json()
            rss_refused = resident_mb(process.pid)
    card = b.data_card(answer)
    assert "medicatiegebruik (medicatieoverzicht): het antwoord van de FHIR-server was te groot om te lezen" in card["detail"]
    assert rss_refused < 200
