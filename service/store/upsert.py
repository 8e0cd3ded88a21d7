"""`INSERT … ON CONFLICT` for the two dialects the store supports: the shared rows that several
replicas race to write (a token's first use, the audit secret's fingerprint) are settled by the
database's unique key, never by a read followed by a write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_on_conflict(connection: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT statement, which has `on_conflict_do_nothing` and `on_conflict_do_update`."""
    name = connection.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {name}")
