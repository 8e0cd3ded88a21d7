"""`bzra-cds migrate` and BZRA_MIGRATE_ON_START, on SQLite and (with BZRA_TEST_DATABASE_URL) PostgreSQL.

The Kubernetes shape: an init container runs `bzra-cds migrate`, the replicas start with
BZRA_MIGRATE_ON_START=false and leave the schema alone.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from service.store.db import alembic_config, create_engine
from tests.support import builders as b
from tests.support.service_process import running_service
from tests.support.store_support import PG_ENV, backends, database_url, rows

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture(params=backends())
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    manager = database_url(request.param, tmp_path)
    yield asyncio.run(manager.__aenter__())
    asyncio.run(manager.__aexit__(None, None, None))


def tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine, _ = create_engine(url)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def migrate_process(url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "migrate"],
        env={**os.environ, "BZRA_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_migrate(url: str) -> tuple[int, str, str]:
    process = migrate_process(url)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def test_migrate_brings_a_fresh_database_to_the_newest_revision_and_again_is_harmless(url: str) -> None:
    assert "bzra_alembic_version" not in tables(url)
    for _ in range(2):
        code, stdout, stderr = run_migrate(url)
        assert code == 0, stderr
        assert stdout.strip() == f"database schema at revision {HEAD}"
    assert {"bzra_alembic_version", "audit_calls"} <= tables(url)


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason="needs PostgreSQL (BZRA_TEST_DATABASE_URL)")
def test_three_migrations_started_together_on_postgresql_all_succeed(tmp_path: Path) -> None:
    """The advisory lock: replicas or init containers that migrate at the same moment take turns."""
    manager = database_url("postgresql", tmp_path)
    url = asyncio.run(manager.__aenter__())
    try:
        processes = [migrate_process(url) for _ in range(3)]
        results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in processes]
        assert all(code == 0 for code, _, _ in results), [stderr for _, _, stderr in results]
        assert all(stdout.strip() == f"database schema at revision {HEAD}" for _, stdout, _ in results)
    finally:
        asyncio.run(manager.__aexit__(None, None, None))


def test_migrate_on_a_database_it_cannot_reach_says_so_in_one_line() -> None:
    code, _, stderr = run_migrate("postgresql+asyncpg://bzra:pw-not-shown@127.0.0.1:1/none")
    assert code == 1
    assert stderr.strip().splitlines() == [stderr.strip()]
    assert stderr.startswith("bzra-cds: the database could not be migrated: ")
    assert "pw-not-shown" not in stderr and "Traceback" not in stderr


def audited_calls(url: str, expected: int) -> list[dict]:
    deadline = time.monotonic() + 10
    while True:
        found = asyncio.run(rows(url, "audit_calls"))
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_without_migrate_on_start_the_service_leaves_the_schema_to_bzra_cds_migrate(url: str) -> None:
    env = {"BZRA_DATABASE_URL": url, "BZRA_MIGRATE_ON_START": "false", "BZRA_RULES_RELOAD": "false"}
    with running_service("--insecure-dev", env=env) as (base, _):
        assert httpx.get(f"{base}/readyz").status_code == 200
    assert "bzra_alembic_version" not in tables(url)  # it did not touch the schema

    code, _, stderr = run_migrate(url)
    assert code == 0, stderr
    with running_service("--insecure-dev", env=env) as (base, _):
        answer = httpx.post(f"{base}/cds-services/bzra-order-sign", json=b.hook_request(prefetch=b.full_prefetch()), timeout=10)
        assert answer.status_code == 200
        assert len(audited_calls(url, 1)) == 1
