"""Suppressions everywhere at once: PostgreSQL LISTEN/NOTIFY between replicas.

Every transaction that creates or lifts a suppression also sends a NOTIFY (delivered on commit); each
replica LISTENs on one connection of its own and, on any notification, forgets every remembered
answer and its set of suppressed patients (`suppressed_patients`, loaded again at once), so its next
call for any patient asks the database again. While the listening connection is
down (or on SQLite, which has no notifications) remembered answers are refreshed by age only
(`BZRA_SUPPRESSION_CACHE_SECONDS`). Reconnecting forgets everything too: notifications may have been
missed meanwhile.

The channel is named after the schema, so deployments (and test runs) sharing one PostgreSQL database
in different schemas never hear each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# An identifier of at most 63 bytes whatever the schema's name: a prefix and 16 hex digits of its md5.
CHANNEL_SQL = "'bzra_suppressions_' || substr(md5(current_schema()), 1, 16)"
PING_SECONDS = 10.0  # how often the listening connection is checked (a silent network loss sends nothing)
RETRY_SECONDS = 2.0


async def announce_suppressions_changed(connection: AsyncConnection) -> None:
    """Tells every replica, when this transaction commits, that suppressions changed (PostgreSQL only)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text(f"SELECT pg_notify({CHANNEL_SQL}, '')"))


class ChangeFeed:
    """Listens for suppression changes made by any replica and calls `on_change` for each."""

    def __init__(self, engine: AsyncEngine, on_change: Callable[[], None]):
        self._engine = engine
        self._on_change = on_change
        self.listening = False

    async def run(self) -> None:
        """Listens for as long as it runs, reconnecting after a loss (cancel it to stop)."""
        while True:
            try:
                async with self._engine.connect() as connection:
                    try:
                        await self._listen(connection)
                    finally:  # never hand a connection with a listener back to the pool
                        self.listening = False
                        await connection.invalidate()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - keep listening; remembered answers age meanwhile
                log.warning("store: not listening for suppression changes (%s); retrying", type(error).__name__)
            await asyncio.sleep(RETRY_SECONDS)

    async def _listen(self, connection: AsyncConnection) -> None:
        channel = str((await connection.execute(text(f"SELECT {CHANNEL_SQL}"))).scalar_one())
        await connection.commit()  # no transaction left open on the listening connection
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection  # asyncpg.Connection
        lost = asyncio.Event()
        driver.add_termination_listener(lambda _connection: lost.set())
        await driver.add_listener(channel, lambda *_notification: self._on_change())
        self.listening = True
        self._on_change()  # changes made while nobody listened are not lost: ask again for everyone
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), PING_SECONDS)
            except TimeoutError:
                await asyncio.wait_for(driver.execute("SELECT 1"), PING_SECONDS)
        raise ConnectionError("the listening connection was closed")
