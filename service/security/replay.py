"""Replay protection for CDS client JWTs, shared by every process and replica of the service.

CDS Hooks uses the token's `jti` against replay: a token seen once must be refused everywhere after.
Each process remembers the ids it saw (the local guard) and claims each new id in a shared store:
the database by default (a row per token, inserted once: no new infrastructure), or Redis
(`SET NX` with the token's expiry). When the shared store cannot answer, the configured fallback
applies: `local` (this process's memory only) or `refuse` (every call is refused until it is back);
either way the metric `bzra_replay_store_up` and `/readyz` say so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Protocol

from service import metrics
from service.errors import UnavailableError
from service.security.errors import AuthError
from service.settings import Settings
from service.store.hashing import token_key
from service.store.store import Store, StoreUnavailable

log = logging.getLogger(__name__)

SHARED_TIMEOUT_SECONDS = 1.0  # a claim slower than this counts as the shared store being down
PROBE_SECONDS = 2.0  # how often a shared store that failed is tried again
REPLAYED = "token replayed: this jti was already used"


class SharedStoreDown(UnavailableError):
    """The shared store of used tokens cannot answer now."""

    code = "replay_store_unavailable"


class SharedTokens(Protocol):
    name: str

    async def claim(self, key: str, expires_at: float) -> bool:
        """True on the token's first use anywhere; False on a replay; SharedStoreDown if it cannot say."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class LocalGuard:
    """Remembers each token key until its token expires (this process only)."""

    def __init__(self, max_entries: int = 100_000):
        self._seen: dict[str, float] = {}
        self._max = max_entries

    def seen_before(self, key: str, expires_at: float) -> bool:
        """Whether the key was seen (and its token not expired); remembers it either way."""
        now = time.time()
        if len(self._seen) >= self._max:
            self._seen = {k: v for k, v in self._seen.items() if v > now}
        seen = self._seen.get(key, 0) > now
        self._seen[key] = max(expires_at, self._seen.get(key, 0))
        return seen


class DatabaseTokens:
    """Used tokens as rows of the store's database (`token_uses`), pruned once expired."""

    name = "database"

    def __init__(self, store: Store):
        self._store = store

    async def claim(self, key: str, expires_at: float) -> bool:
        try:
            return await self._store.claim_token(key, datetime.fromtimestamp(expires_at, UTC))
        except StoreUnavailable as error:
            raise SharedStoreDown(str(error)) from error

    async def ping(self) -> None:
        if not self._store.healthy():  # the store probes the database on its own
            raise SharedStoreDown("the database is not available")

    async def close(self) -> None:
        """The store is closed by its owner."""


class ReplayProtection:
    """The local guard, then the shared store, with the configured fallback when it is down."""

    def __init__(self, shared: SharedTokens | None, fallback: str = "local"):
        self._local = LocalGuard()
        self._shared = shared
        self._fallback = fallback
        self._shared_up = True
        self._pending: set[asyncio.Task[bool]] = set()  # claims left to finish after a timeout
        metrics.REPLAY_STORE_UP.set(1)

    async def check(self, issuer: str, jti: str, expires_at: float) -> None:
        """Raises AuthError for a replayed token (or, with `refuse`, when the shared store is down)."""
        key = token_key(issuer, jti)
        if self._local.seen_before(key, expires_at):
            raise AuthError(REPLAYED)
        if self._shared is None:
            return
        try:
            first = await self._claim(key, expires_at)
        except SharedStoreDown as error:
            self._mark(False, str(error))
            metrics.REPLAY_FALLBACKS.labels(action=self._fallback).inc()
            if self._fallback == "refuse":
                raise AuthError("replay protection is unavailable (the shared store of used tokens is down); try again later") from None
            return
        self._mark(True)
        if not first:
            raise AuthError(REPLAYED)

    async def _claim(self, key: str, expires_at: float) -> bool:
        """The shared claim within SHARED_TIMEOUT_SECONDS; a slow one is left to finish, not cancelled
        inside the driver."""
        assert self._shared is not None
        task = asyncio.create_task(self._shared.claim(key, expires_at))
        self._pending.add(task)
        task.add_done_callback(self._claim_done)
        done, _ = await asyncio.wait({task}, timeout=SHARED_TIMEOUT_SECONDS)
        if task not in done:
            raise SharedStoreDown(f"no answer within {SHARED_TIMEOUT_SECONDS} s")
        return task.result()

    def _claim_done(self, task: asyncio.Task[bool]) -> None:
        self._pending.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a failure is reported by `check`, not as "never retrieved"

    def _mark(self, up: bool, why: str = "") -> None:
        if up != self._shared_up:
            if up:
                log.info("replay protection: the shared store answers again")
            else:
                log.error("replay protection: the shared store is down (%s); fallback: %s", why, self._fallback)
        self._shared_up = up
        metrics.REPLAY_STORE_UP.set(1 if up else 0)

    async def watch(self, stop: asyncio.Event) -> None:
        """While the shared store is marked down, tries it every PROBE_SECONDS (for /readyz and the metric)."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), PROBE_SECONDS)
            except TimeoutError:
                pass
            if self._shared is not None and not self._shared_up:
                try:
                    await asyncio.wait_for(self._shared.ping(), SHARED_TIMEOUT_SECONDS)
                except (SharedStoreDown, TimeoutError, OSError):
                    continue
                self._mark(True)

    def readiness(self) -> dict[str, object]:
        if self._shared is None:
            return {"ok": True, "store": "local", "state": "this process only (BZRA_REPLAY_STORE=local)"}
        if self._shared_up:
            return {"ok": True, "store": self._shared.name, "state": "shared"}
        refusing = self._fallback == "refuse"
        state = "down: refusing every call" if refusing else "down: this process's memory only"
        return {"ok": not refusing, "store": self._shared.name, "state": state, "fallback": self._fallback}

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()


def replay_protection(settings: Settings, store: Store) -> ReplayProtection:
    """The replay protection `BZRA_REPLAY_STORE` asks for, with `BZRA_REPLAY_FALLBACK`."""
    shared: SharedTokens | None = None
    if settings.replay_store == "database":
        shared = DatabaseTokens(store)
    elif settings.replay_store == "redis":
        from service.security.redis_tokens import RedisTokens  # Redis is needed only when chosen

        assert settings.redis_url is not None  # the settings check it
        shared = RedisTokens(settings.redis_url, settings.redis_key_prefix)
    return ReplayProtection(shared, settings.replay_fallback)
