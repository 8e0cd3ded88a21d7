"""`bzra-cds migrate`: bring the database schema up to date, then exit.

For deployments that migrate once before the replicas start (a Kubernetes init container or Job) and
run the service with BZRA_MIGRATE_ON_START=false. It runs the store's own migration, under the same
PostgreSQL advisory lock, so it is safe beside replicas that still migrate at start.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory

from service.errors import UnavailableError
from service.store.db import alembic_config, create_engine, migrate


class MigrationFailed(UnavailableError):
    """The schema could not be brought up to date; the message is one line without stored values."""

    code = "migration_failed"


def _one_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line}" if first_line else type(cause).__name__


async def migrate_database(url: str) -> str:
    """Upgrades the schema at `url` to the newest revision this code knows, and returns it."""
    engine, schemas = create_engine(url)
    try:
        await migrate(engine, schemas)
        return str(ScriptDirectory.from_config(alembic_config()).get_current_head())
    except Exception as error:  # noqa: BLE001 - one line for the operator, never a traceback
        raise MigrationFailed(f"the database could not be migrated: {_one_line(error)}") from None
    finally:
        await engine.dispose()
