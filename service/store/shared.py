"""Rows every replica reads and writes: used token ids (replay protection) and deployment facts.

A token's first use is an insert that the primary key refuses the second time, on any replica; an
expired row with the same key is taken over. Deployment facts are written once (by whichever replica
comes first) and then compared by the others.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from service.store import models
from service.store.upsert import insert_on_conflict

AUDIT_SECRET_FACT = "audit_secret_fingerprint"


async def claim_token(connection: AsyncConnection, key: str, expires_at: datetime) -> bool:
    """True when this is the token's first use (the row is now ours); False for a replay."""
    table = models.token_uses
    now = datetime.now(UTC)
    statement = (
        insert_on_conflict(connection, table)
        .values(key=key, expires_at=expires_at)
        .on_conflict_do_update(
            index_elements=[table.c.key], set_={"expires_at": expires_at}, where=table.c.expires_at <= now
        )
    )
    result = await connection.execute(statement)
    return bool(result.rowcount)


async def prune_tokens(connection: AsyncConnection, now: datetime) -> int:
    """Deletes the rows of expired tokens (they can no longer be replayed: the token is refused)."""
    result = await connection.execute(delete(models.token_uses).where(models.token_uses.c.expires_at <= now))
    return int(result.rowcount or 0)


async def agreed_fact(connection: AsyncConnection, name: str, value: str) -> str:
    """Records `value` under `name` unless a replica did first; returns the value on record."""
    table = models.deployment_facts
    statement = insert_on_conflict(connection, table).values(name=name, value=value, recorded_at=datetime.now(UTC))
    await connection.execute(statement.on_conflict_do_nothing(index_elements=[table.c.name]))
    return str((await connection.execute(select(table.c.value).where(table.c.name == name))).scalar_one())
