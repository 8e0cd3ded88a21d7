"""Alembic environment for the store.

The store runs migrations itself at open (`service.store.db.migrate`), handing its own connection in
`config.attributes["connection"]`. Run by hand (`alembic -x url=... upgrade head` with a config whose
`script_location` points here), it opens an async engine on that URL instead.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from service.store.db import VERSION_TABLE
from service.store.models import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_url(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def main() -> None:
    if context.is_offline_mode():
        url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
        context.configure(url=url, target_metadata=metadata, version_table=VERSION_TABLE, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass -x url=... or set sqlalchemy.url")
    asyncio.run(_run_on_url(url))


main()
