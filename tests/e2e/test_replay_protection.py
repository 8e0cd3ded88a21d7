"""Replay protection shared through a real Redis (the database does it in tests/unit/service/store/test_shared.py
and tests/e2e/test_replicas.py; the store being down: tests/unit/service/security/test_replay.py)."""

from __future__ import annotations

import time
import uuid

import pytest

from service.security.errors import AuthError
from service.security.redis_tokens import RedisTokens
from service.security.replay import ReplayProtection
from tests.support.replica_support import redis_reachable

pytestmark = pytest.mark.anyio
ISSUER = "https://ehr.example.org"


def later(seconds: float = 300) -> float:
    return time.time() + seconds


@pytest.mark.skipif(not redis_reachable(), reason="needs Redis on 127.0.0.1:6379")
async def test_two_processes_sharing_redis_accept_a_token_once() -> None:
    prefix = f"bzra-test-{uuid.uuid4().hex[:12]}:"
    one = ReplayProtection(RedisTokens("redis://127.0.0.1:6379/0", prefix))
    other = ReplayProtection(RedisTokens("redis://127.0.0.1:6379/0", prefix))
    await one.check(ISSUER, "jti-1", later())
    with pytest.raises(AuthError, match="replayed"):
        await other.check(ISSUER, "jti-1", later())
    await other.check(ISSUER, "jti-2", later())
    assert one.readiness() == {"ok": True, "store": "redis", "state": "shared"}
    await one.close()
    await other.close()
