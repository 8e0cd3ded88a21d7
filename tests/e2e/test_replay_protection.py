"""Replay protection as configured: the shared store (Redis here; the database in test_store_replicas
and test_replicas), and what happens while it is down: the local fallback or a refusal, both visible
in the metric and in /readyz. Also the audit secret's settings."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
from prometheus_client import REGISTRY

from service.security.errors import AuthError
from service.security.redis_tokens import RedisTokens
from service.security.replay import ReplayProtection
from service.settings import Settings
from tests.support.replica_support import redis_reachable
from tests.support.service_process import free_port

pytestmark = pytest.mark.anyio
ISSUER = "https://ehr.example.org"


def later(seconds: float = 300) -> float:
    return time.time() + seconds


def fallbacks(action: str) -> float:
    return REGISTRY.get_sample_value("bzra_replay_fallbacks_total", {"action": action}) or 0.0


def down_redis() -> RedisTokens:
    return RedisTokens(f"redis://127.0.0.1:{free_port()}/0", "bzra-test:")  # nothing listens there


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


def test_the_audit_secret_settings_refuse_what_anyone_could_know() -> None:
    with pytest.raises(ValueError, match="public placeholder"):
        Settings(audit_secret="change-me-to-a-long-random-value")
    with pytest.raises(ValueError, match="at least 16 characters"):
        Settings(audit_secret="short")
    assert Settings(audit_secret="  ").audit_secret is None  # blank is unset: required outside development mode
    with pytest.raises(ValueError, match="BZRA_REDIS_URL"):
        Settings(replay_store="redis")


def test_serving_outside_development_mode_without_the_secret_stops_with_one_line_naming_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(free_port())],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "BZRA_RULES_RELOAD": "false"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "BZRA_AUDIT_SECRET is required" in result.stderr, result.stderr
