"""Which patients have a suppression in force, kept in memory: the hook path asks the database only for them.

Most patients have none, yet the first call for each one waited for a database read (3.8 ms, measured
on distinct patients). The store keeps each suppressed patient's key with the latest end of its
suppressions, loaded at start and loaded again after every change: made in this process, or heard from
another replica (PostgreSQL notifications, see `notify`). From a change until the new load the set is
not trusted and the per-patient lookup answers, as before it existed; the same while it cannot be
loaded (an outage). Without notifications (SQLite, or PostgreSQL while not listening), changes made by
another process are noticed by a cheap generation check every `check_seconds`, and the set is trusted
only while that check is recent.

Being in the set only means "ask the database", so keeping a patient whose suppressions were lifted or
expired is safe; leaving one out is not, which is why a change distrusts the set at once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from service.store import queries
from service.store.records import as_utc

# A check older than this many check periods (a stalled or failing check) no longer vouches for the set.
CHECKS_MISSED_BEFORE_DISTRUST = 2


class SuppressedPatients:
    def __init__(self, check_seconds: float):
        self.check_seconds = check_seconds
        self._until: dict[str, datetime] | None = None  # patient key -> latest end; None: not trusted
        self._loaded_at = datetime.max.replace(tzinfo=UTC)  # suppressions that ended before this were not loaded
        self._generation: tuple[int, int] | None = None  # see `queries.suppressions_generation`
        self._verified = 0.0  # monotonic time of the last load or generation check that agreed
        self._changes = 0  # bumped by `changed`: a load begun before it is not installed

    def surely_none(self, patient_hash: str, now: datetime, listening: bool) -> bool:
        """True when the set is trusted and says the patient has no suppression in force at `now`."""
        until = self._until
        if until is None or not (listening or self._recently_checked()):
            return False
        now = as_utc(now)
        if now < self._loaded_at:  # a call dated before the load (tests, replays): the set cannot say
            return False
        end = until.get(patient_hash)
        return end is None or end <= now

    def changed(self) -> None:
        """A suppression was made or lifted (here or elsewhere): not trusted until loaded again."""
        self._until = None
        self._changes += 1

    def trusted(self) -> bool:
        return self._until is not None

    async def refresh(self, connection: AsyncConnection, listening: bool) -> None:
        """Loads the set if it is not trusted; without notifications, checks the generation first and
        loads only when another process changed something."""
        if self._until is not None and listening:
            return
        changes = self._changes
        generation = await queries.suppressions_generation(connection)
        if self._until is not None and generation == self._generation:
            self._verified = time.monotonic()
            return
        now = datetime.now(UTC)
        until = await queries.suppressed_patients(connection, now)
        if changes == self._changes:
            self._until, self._loaded_at, self._generation = until, now, generation
            self._verified = time.monotonic()

    def _recently_checked(self) -> bool:
        if self.check_seconds <= 0:
            return False
        return time.monotonic() - self._verified <= self.check_seconds * CHECKS_MISSED_BEFORE_DISTRUST
