"""The hook path's memory of which rules are suppressed for which patient.

A prescriber's calls for one patient come in bursts, so the database need not be asked each time.
An answer is fresh for `fresh_seconds`; after that, the next call starts one refresh in the
background and goes on with what was remembered, so only a patient not seen lately waits for the
database, and calls that arrive meanwhile wait for that same lookup. (Under load, calls that each
waited on a lookup of their own piled up by the dozen, each holding its whole call in memory.)
Before all that, a patient the store knows to have no suppression at all (`Store.surely_unsuppressed`,
most patients) is answered at once.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from cachetools import TTLCache

from service.store.store import Store

MAX_PATIENTS = 10_000
# Answers are kept this many times their freshness, to be served while one background lookup refreshes them.
KEPT_FOR_REFRESH = 3


class RememberedSuppressions:
    def __init__(self, fresh_seconds: float):
        self._fresh_seconds = fresh_seconds
        self._answers: TTLCache[str, tuple[set[str], float]] = TTLCache(
            maxsize=MAX_PATIENTS, ttl=fresh_seconds * KEPT_FOR_REFRESH or 1e-9
        )
        self._lookups: dict[str, asyncio.Task[set[str]]] = {}  # the patient's current lookup
        self._running: set[asyncio.Task[set[str]]] = set()  # every lookup until it ends (asyncio holds tasks weakly)
        self._generation = 0  # bumped by `forget`: a lookup started before it does not store its answer

    async def rules(self, store: Store, patient_hash: str, now: datetime) -> set[str]:
        """The rules suppressed for the patient (an empty set when the database is down or slow)."""
        if store.surely_unsuppressed(patient_hash, now):
            return set()
        remembered = self._answers.get(patient_hash)
        if remembered is not None:
            found, fetched_at = remembered
            if time.monotonic() - fetched_at >= self._fresh_seconds:
                self._lookup(store, patient_hash, now)
            return found
        return await asyncio.shield(self._lookup(store, patient_hash, now))  # a caller gone cancels nothing

    def forget(self) -> None:
        """Feedback arrived: every patient is asked for again."""
        self._answers.clear()
        self._lookups.clear()
        self._generation += 1

    def _lookup(self, store: Store, patient_hash: str, now: datetime) -> asyncio.Task[set[str]]:
        """The patient's lookup in progress, or a new one."""
        lookup = self._lookups.get(patient_hash)
        if lookup is None:
            lookup = asyncio.create_task(self._ask(store, patient_hash, now))
            self._lookups[patient_hash] = lookup
            self._running.add(lookup)
            lookup.add_done_callback(self._running.discard)
        return lookup

    async def _ask(self, store: Store, patient_hash: str, now: datetime) -> set[str]:
        generation, started = self._generation, time.monotonic()
        try:
            found = await store.suppressed_rules(patient_hash, now)
        finally:
            if self._lookups.get(patient_hash) is asyncio.current_task():
                del self._lookups[patient_hash]
        if generation == self._generation:
            self._answers[patient_hash] = (found, started)
        return found
