"""Replay protection while its shared store is down: the local fallback or a refusal, both visible in the
metric and in /readyz. With a real Redis: tests/e2e/test_replay_protection.py."""

from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY

from service.security.errors import AuthError
from service.security.redis_tokens import RedisTokens
from service.security.replay import ReplayProtection
from tests.support.service_process import free_port

pytestmark = pytest.mark.anyio
ISSUER = "https://ehr.example.org"


def later(seconds: float = 300) -> float:
    return time.time() + seconds


def fallbacks(action: str) -> float:
    return REGISTRY.get_sample_value("bzra_replay_fallbacks_total", {"action": action}) or 0.0


def down_redis() -> RedisTokens:
    return RedisTokens(f"redis://127.0.0.1:{free_port()}/0", "bzra-test:")  # nothing listens there


async def test_with_the_store_down_the_local_fallback_still_refuses_what_this_process_saw() -> None:
    before = fallbacks("local")
    guard = ReplayProtection(down_redis(), fallback="local")
    await guard.check(ISSUER, "jti-1", later())  # accepted: the fallback is this process's memory
    with pytest.raises(AuthError, match="replayed"):
        await guard.check(ISSUER, "jti-1", later())
    assert fallbacks("local") == before + 1  # the second was refused by the local guard, before the store
    assert REGISTRY.get_sample_value("bzra_replay_store_up") == 0
    readiness = guard.readiness()
    assert readiness["ok"] is True and "down" in str(readiness["state"]) and readiness["fallback"] == "local"
    await guard.close()


async def test_with_the_store_down_refuse_refuses_every_call_and_is_not_ready() -> None:
    before = fallbacks("refuse")
    guard = ReplayProtection(down_redis(), fallback="refuse")
    with pytest.raises(AuthError, match="replay protection is unavailable"):
        await guard.check(ISSUER, "jti-1", later())
    assert fallbacks("refuse") == before + 1
    assert guard.readiness()["ok"] is False
    await guard.close()
