"""Used tokens kept in Redis (`BZRA_REPLAY_STORE=redis`): `SET key NX EXAT expiry`, one key per token,
which Redis deletes itself when the token expires. Keys start with `BZRA_REDIS_KEY_PREFIX`."""

from __future__ import annotations

import math

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.security.replay import SHARED_TIMEOUT_SECONDS, SharedStoreDown


class RedisTokens:
    name = "redis"

    def __init__(self, url: str, prefix: str):
        self._client = Redis.from_url(
            url, socket_timeout=SHARED_TIMEOUT_SECONDS, socket_connect_timeout=SHARED_TIMEOUT_SECONDS
        )
        self._prefix = prefix

    async def claim(self, key: str, expires_at: float) -> bool:
        try:
            stored = await self._client.set(f"{self._prefix}jti:{key}", b"1", nx=True, exat=math.ceil(expires_at) + 1)
        except (RedisError, OSError) as error:
            raise SharedStoreDown(type(error).__name__) from error
        return bool(stored)

    async def ping(self) -> None:
        try:
            await self._client.ping()
        except (RedisError, OSError) as error:
            raise SharedStoreDown(type(error).__name__) from error

    async def close(self) -> None:
        await self._client.aclose()
