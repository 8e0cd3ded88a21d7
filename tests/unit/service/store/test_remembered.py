"""The hook path's memory of suppressed rules: one database lookup per patient at a time, stale
answers served while one background lookup refreshes them, and feedback making everyone ask again.

Under load, calls for one patient arrive while its lookup is running; each used to start a lookup of
its own and wait, holding its whole call in memory (dozens at a time in the benchmark).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from service.store import Store
from service.store.remembered import RememberedSuppressions
from tests.support.store_support import NOW, card, hashed, make_call, overridden

pytestmark = pytest.mark.anyio

PATIENT = hashed()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class GatedStore:
    """The real store, its suppression lookups counted and held until `release` is set."""

    def __init__(self, store: Store):
        self.store = store
        self.asked = 0
        self.release = asyncio.Event()
        self.release.set()
        self._real_lookup = store.suppressed_rules
        store.suppressed_rules = self._lookup  # type: ignore[method-assign]

    async def _lookup(self, patient_hash: str, now: datetime) -> set[str]:
        self.asked += 1
        await self.release.wait()
        return await self._real_lookup(patient_hash, now)

    async def lift_all(self) -> None:
        for suppression in await self.store.list_suppressions():
            await self.store.lift_suppression(suppression.id)


@pytest.fixture
async def gated(tmp_path: Path) -> AsyncIterator[GatedStore]:
    """A real SQLite store in which 'long-term-use' is suppressed for PATIENT."""
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", tmp_path / "spool")
    shown = card("long-term-use")
    store.record_call(make_call(cards=(shown,), fired=(("long-term-use", 1),), patient=PATIENT))
    await store.record_feedback("bzra-order-sign", [overridden(shown.uuid, "patient-declined")], {"patient-declined"}, 30, NOW)
    yield GatedStore(store)
    await store.close()


async def test_waiting_calls_share_one_lookup_and_its_answer(gated: GatedStore) -> None:
    memory = RememberedSuppressions(10)
    gated.release.clear()
    calls = [asyncio.create_task(memory.rules(gated.store, PATIENT, NOW)) for _ in range(20)]
    await asyncio.sleep(0.01)
    gated.release.set()
    assert await asyncio.gather(*calls) == [{"long-term-use"}] * 20
    assert gated.asked == 1
    assert await memory.rules(gated.store, PATIENT, NOW) == {"long-term-use"}  # remembered
    assert gated.asked == 1


async def test_feedback_during_a_lookup_makes_later_calls_ask_again(gated: GatedStore) -> None:
    memory = RememberedSuppressions(10)
    gated.release.clear()
    early = asyncio.create_task(memory.rules(gated.store, PATIENT, NOW))
    await asyncio.sleep(0.01)
    memory.forget()  # feedback arrived while the first lookup ran
    late = asyncio.create_task(memory.rules(gated.store, PATIENT, NOW))
    await asyncio.sleep(0.01)
    gated.release.set()
    assert await early == {"long-term-use"} and await late == {"long-term-use"}
    assert gated.asked == 2
    await memory.rules(gated.store, PATIENT, NOW)
    assert gated.asked == 2  # the late lookup's answer is remembered; the early one's was not stored


async def test_a_cancelled_call_does_not_cancel_the_lookup_others_wait_for(gated: GatedStore) -> None:
    memory = RememberedSuppressions(10)
    gated.release.clear()
    gone = asyncio.create_task(memory.rules(gated.store, PATIENT, NOW))
    staying = asyncio.create_task(memory.rules(gated.store, PATIENT, NOW))
    await asyncio.sleep(0.01)
    gone.cancel()
    gated.release.set()
    assert await staying == {"long-term-use"}


async def test_a_stale_answer_is_served_at_once_while_one_refresh_runs(gated: GatedStore) -> None:
    memory = RememberedSuppressions(0.5)  # kept 1.5 s: room for the database work below on a slow machine
    assert await memory.rules(gated.store, PATIENT, NOW) == {"long-term-use"}
    await gated.lift_all()
    gated.release.clear()
    await asyncio.sleep(0.5)
    # Stale now: answered from memory, without waiting for the held database lookup.
    assert await asyncio.wait_for(memory.rules(gated.store, PATIENT, NOW), 1) == {"long-term-use"}
    assert await asyncio.wait_for(memory.rules(gated.store, PATIENT, NOW), 1) == {"long-term-use"}
    assert gated.asked == 2  # the first lookup, and one refresh for both stale calls
    gated.release.set()
    await asyncio.sleep(0.05)
    assert await memory.rules(gated.store, PATIENT, NOW) == set()  # the refresh saw the lifted suppression


async def test_with_no_memory_every_call_asks_the_database(gated: GatedStore) -> None:
    memory = RememberedSuppressions(0)
    assert await memory.rules(gated.store, PATIENT, NOW) == {"long-term-use"}
    await gated.lift_all()
    assert await memory.rules(gated.store, PATIENT, NOW) == set()
    assert gated.asked == 2


async def test_a_refresh_cut_off_by_feedback_still_runs_to_its_end(gated: GatedStore) -> None:
    memory = RememberedSuppressions(0.3)
    await memory.rules(gated.store, PATIENT, NOW)
    await asyncio.sleep(0.3)
    gated.release.clear()
    await asyncio.wait_for(memory.rules(gated.store, PATIENT, NOW), 1)  # stale: starts a background refresh
    memory.forget()
    [refresh] = memory._running
    gated.release.set()
    assert await refresh == {"long-term-use"}
    assert memory._running == set()
