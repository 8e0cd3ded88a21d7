"""The hook path asks the database once per patient for suppressed rules, however many calls wait.

Under load, calls for one patient arrive while its lookup is running; each used to start a lookup of
its own and wait, holding its whole call in memory (dozens at a time in the benchmark).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cds_hooks import HookRequest
from service.fhir.cache import ResponseCache
from service.fhir.record import PatientRecord
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.settings import Settings
from service.store import Store
from tests import builders as b
from tests.store_support import FHIR_SERVER, NOW, SECRET, card, hashed, make_call, overridden

pytestmark = pytest.mark.anyio

SUPPRESSING = {"patient-declined"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _suppressed_store(tmp_path: Path) -> Store:
    """A real SQLite store in which 'long-term-use' is suppressed for the builders' patient."""
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", tmp_path / "spool")
    shown = card("long-term-use")
    store.record_call(make_call(cards=(shown,), fired=(("long-term-use", 1),), patient=hashed(b.PATIENT_ID)))
    await store.record_feedback("bzra-order-sign", [overridden(shown.uuid, "patient-declined")], SUPPRESSING, 30, NOW)
    return store


def _pipeline(store: Store, cache_seconds: float = 10) -> Pipeline:
    settings = Settings(insecure_dev=True, suppression_cache_seconds=cache_seconds)
    return Pipeline(settings, None, ResponseCache(0, 0), load_configured_knowledge(settings), store=store, audit_secret=SECRET)


def _call() -> tuple[HookRequest, PatientRecord]:
    request = HookRequest.model_validate(b.hook_request("order-sign", fhir_server=FHIR_SERVER))
    return request, PatientRecord(patient_id=b.PATIENT_ID)


async def test_waiting_calls_share_one_lookup_and_its_answer(tmp_path: Path) -> None:
    store = await _suppressed_store(tmp_path)
    pipeline = _pipeline(store)
    asked: list[str] = []
    release = asyncio.Event()
    real_lookup = store.suppressed_rules

    async def slow_lookup(key: str, now):  # type: ignore[no-untyped-def]
        asked.append(key)
        await release.wait()
        return await real_lookup(key, now)

    store.suppressed_rules = slow_lookup  # type: ignore[method-assign]
    request, record = _call()
    calls = [asyncio.create_task(pipeline._suppressed(request, record, NOW)) for _ in range(20)]
    await asyncio.sleep(0.01)
    release.set()
    answers = await asyncio.gather(*calls)
    assert len(asked) == 1
    assert answers == [{"long-term-use"}] * 20
    # Remembered now: no further lookup.
    assert await pipeline._suppressed(request, record, NOW) == {"long-term-use"}
    assert len(asked) == 1
    await store.close()


async def test_feedback_during_a_lookup_makes_later_calls_ask_again(tmp_path: Path) -> None:
    store = await _suppressed_store(tmp_path)
    pipeline = _pipeline(store)
    asked: list[str] = []
    release = asyncio.Event()
    real_lookup = store.suppressed_rules

    async def slow_lookup(key: str, now):  # type: ignore[no-untyped-def]
        asked.append(key)
        await release.wait()
        return await real_lookup(key, now)

    store.suppressed_rules = slow_lookup  # type: ignore[method-assign]
    request, record = _call()
    early = asyncio.create_task(pipeline._suppressed(request, record, NOW))
    await asyncio.sleep(0.01)
    pipeline.forget_suppressions()  # feedback arrived while the first lookup ran
    late = asyncio.create_task(pipeline._suppressed(request, record, NOW))
    await asyncio.sleep(0.01)
    release.set()
    assert await early == {"long-term-use"} and await late == {"long-term-use"}
    assert len(asked) == 2
    await store.close()


async def test_a_cancelled_call_does_not_cancel_the_lookup_others_wait_for(tmp_path: Path) -> None:
    store = await _suppressed_store(tmp_path)
    pipeline = _pipeline(store)
    release = asyncio.Event()
    real_lookup = store.suppressed_rules

    async def slow_lookup(key: str, now):  # type: ignore[no-untyped-def]
        await release.wait()
        return await real_lookup(key, now)

    store.suppressed_rules = slow_lookup  # type: ignore[method-assign]
    request, record = _call()
    gone = asyncio.create_task(pipeline._suppressed(request, record, NOW))
    staying = asyncio.create_task(pipeline._suppressed(request, record, NOW))
    await asyncio.sleep(0.01)
    gone.cancel()
    release.set()
    assert await staying == {"long-term-use"}
    await store.close()


async def test_after_its_time_a_patient_is_refreshed_in_the_background(tmp_path: Path) -> None:
    store = await _suppressed_store(tmp_path)
    pipeline = _pipeline(store, cache_seconds=0.05)
    request, record = _call()
    assert await pipeline._suppressed(request, record, NOW) == {"long-term-use"}
    await store.lift_suppression((await store.list_suppressions())[0].id)
    release = asyncio.Event()
    real_lookup = store.suppressed_rules

    async def slow_lookup(key: str, now):  # type: ignore[no-untyped-def]
        await release.wait()
        return await real_lookup(key, now)

    store.suppressed_rules = slow_lookup  # type: ignore[method-assign]
    await asyncio.sleep(0.06)
    # Stale now: answered at once from memory while the refresh waits on the database.
    assert await asyncio.wait_for(pipeline._suppressed(request, record, NOW), 1) == {"long-term-use"}
    release.set()
    await asyncio.sleep(0.05)
    assert await pipeline._suppressed(request, record, NOW) == set()  # the refresh saw the lifted one
    await store.close()


async def test_with_no_memory_every_call_asks_the_database(tmp_path: Path) -> None:
    store = await _suppressed_store(tmp_path)
    pipeline = _pipeline(store, cache_seconds=0)
    request, record = _call()
    assert await pipeline._suppressed(request, record, NOW) == {"long-term-use"}
    await store.lift_suppression((await store.list_suppressions())[0].id)
    assert await pipeline._suppressed(request, record, NOW) == set()
    await store.close()
