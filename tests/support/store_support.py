"""Fixtures and builders for the store tests.

`database_url` gives a test a fresh database: an SQLite file always, and a fresh PostgreSQL schema
(dropped afterwards) when BZRA_TEST_DATABASE_URL names a server, e.g.
`postgresql+asyncpg://postgres@127.0.0.1:5432/test`.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select, text
from sqlalchemy.engine import make_url

from cds_hooks.models import Feedback
from service.store import CallAudit, CardAudit, models, patient_hash
from service.store.db import create_engine

PG_ENV = "BZRA_TEST_DATABASE_URL"
SECRET = "test-deployment-secret"
FHIR_SERVER = "https://ehr.example.org/fhir"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
UNREACHABLE_PG = "postgresql+asyncpg://nobody@127.0.0.1:1/none"


def backends() -> list[Any]:
    """The databases to run on: SQLite always, PostgreSQL when BZRA_TEST_DATABASE_URL is set."""
    kinds = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_ENV):
        kinds.append(pytest.param("postgresql", id="postgresql"))
    return kinds


@asynccontextmanager
async def database_url(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database of that kind: a new SQLite file, or a new PostgreSQL schema that is
    dropped afterwards (the store creates it from `?search_path=`)."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'db' / 'bzra.db'}"
        return
    base = os.environ[PG_ENV]
    schema = f"bzra_test_{uuid.uuid4().hex[:12]}"
    try:
        yield make_url(base).update_query_dict({"search_path": schema}).render_as_string(hide_password=False)
    finally:
        engine, _ = create_engine(base)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            await engine.dispose()


def hashed(patient_id: str = "patient-7731") -> str:
    return patient_hash(SECRET, FHIR_SERVER, patient_id)


def make_call(
    *,
    patient: str | None = None,
    cards: tuple[CardAudit, ...] = (),
    fired: tuple[tuple[str, int], ...] = (),
    evaluated: tuple[tuple[str, int], ...] = (),
    latency_ms: float = 20.0,
    at: datetime = NOW,
) -> CallAudit:
    return CallAudit(
        hook_instance=str(uuid.uuid4()),
        service_id="bzra-order-sign",
        hook="order-sign",
        received_at=at,
        latency_ms=latency_ms,
        patient_hash=patient or hashed(),
        rules_evaluated=evaluated or fired,
        rules_fired=fired,
        cards=cards,
        sources={"medicationStatements": "prefetch", "conditions": "fhir", "patient": "unavailable"},
        errors=(),
    )


def card(*rules: str, indicator: str = "warning") -> CardAudit:
    return CardAudit(uuid=str(uuid.uuid4()), indicator=indicator, rules=rules)


def accepted(card_uuid: str, *suggestions: str, at: datetime = NOW) -> Feedback:
    return Feedback.model_validate(
        {
            "card": card_uuid,
            "outcome": "accepted",
            "outcomeTimestamp": at.isoformat(),
            "acceptedSuggestions": [{"id": s} for s in suggestions],
        }
    )


def overridden(card_uuid: str, code: str | None, comment: str | None = None, at: datetime = NOW) -> Feedback:
    reason: dict[str, Any] = {}
    if code is not None:
        reason["reason"] = {"code": code, "system": "https://bzra-cds.example/override-reasons", "display": code}
    if comment is not None:
        reason["userComment"] = comment
    return Feedback.model_validate(
        {"card": card_uuid, "outcome": "overridden", "outcomeTimestamp": at.isoformat(), "overrideReason": reason}
    )


async def rows(url: str, table: str) -> list[dict[str, Any]]:
    """Every row of a store table, read with a connection of its own."""
    engine, _ = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(select(models.metadata.tables[table]))
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


async def text_values(url: str) -> list[str]:
    """Every value of every text or JSON column of the store, as text."""
    engine, _ = create_engine(url)
    values: list[str] = []
    try:
        async with engine.connect() as connection:
            for table in models.metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
                for row in await connection.execute(select(*columns)):
                    values.extend(str(value) for value in row if value is not None)
    finally:
        await engine.dispose()
    return values


def days(n: float) -> timedelta:
    return timedelta(days=n)


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    """The store tests' fresh database, for a synchronous test that runs the service as a process."""
    manager = database_url(kind, tmp_path)
    url = asyncio.run(manager.__aenter__())
    try:
        yield url
    finally:
        asyncio.run(manager.__aexit__(None, None, None))
