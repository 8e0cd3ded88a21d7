"""Connecting to the store's database and bringing its schema up to date.

One place knows the dialects: SQLite gets WAL (hook-path reads are not blocked by the writer) and a
busy timeout; PostgreSQL gets short connect/command timeouts (a down database must fail fast, not hang
a request), pre-ping (replicas survive a database restart), an optional `?search_path=` in the URL (a
schema of its own, created if missing) and an advisory lock around migrations (replicas start together).
Every engine hides statement parameters in its errors, so a logged error never carries stored values.
"""

from __future__ import annotations

from service.errors import UnavailableError

import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "bzra_alembic_version"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MIGRATION_LOCK_KEY = 0x62_7A_72_61  # "bzra": one advisory lock id for all replicas
SQLITE_BUSY_TIMEOUT_S = 5.0
PG_CONNECT_TIMEOUT_S = 3.0
PG_COMMAND_TIMEOUT_S = 15.0


def _search_path(url: URL) -> tuple[URL, list[str]]:
    """Takes `search_path` out of the URL's query (asyncpg would reject it) and checks its names."""
    raw = url.query.get("search_path")
    if raw is None:
        return url, []
    value = raw if isinstance(raw, str) else ",".join(raw)
    schemas = [part.strip() for part in value.split(",") if part.strip()]
    for schema in schemas:
        if not _IDENTIFIER.match(schema):
            raise ValueError(f"search_path: {schema!r} is not a plain schema name")
    return url.difference_update_query(["search_path"]), schemas


def create_engine(url_text: str) -> tuple[AsyncEngine, list[str]]:
    """An async engine for the URL, and the schemas of its search path (PostgreSQL only, else [])."""
    url = make_url(url_text)
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                pass  # the first connection fails and the store runs on its spool until the path works
        engine = create_async_engine(url, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine, []
    if backend == "postgresql":
        url, schemas = _search_path(url)
        connect_args: dict[str, Any] = {}
        if url.get_driver_name() == "asyncpg":
            connect_args = {"timeout": PG_CONNECT_TIMEOUT_S, "command_timeout": PG_COMMAND_TIMEOUT_S}
            if schemas:
                connect_args["server_settings"] = {"search_path": ",".join(schemas)}
        engine = create_async_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args)
        return engine, schemas
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True), []


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config built in code: the scripts are found inside the installed package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


class SchemaMismatch(UnavailableError):
    """The database's schema is not the one this code works with; the message says what to do."""

    code = "schema_mismatch"


class SchemaTooNew(SchemaMismatch):
    """The database was migrated by a newer version of the service: this code does not know its schema."""

    def __init__(self, revisions: list[str]):
        super().__init__(f"database schema revision {', '.join(revisions)} is newer than this version knows (head {head_revision()})")
        self.revisions = revisions


class SchemaBehind(SchemaMismatch):
    """The schema is older than this code and BZRA_MIGRATE_ON_START is false."""

    def __init__(self, revisions: list[str]):
        current = ", ".join(revisions) or "none"
        super().__init__(f"database schema revision {current} is older than this version's {head_revision()}: run `bzra-cds migrate`")


def head_revision() -> str:
    """The newest schema revision this code knows."""
    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def _current_revisions(connection: Connection) -> list[str]:
    """The database's revisions; raises SchemaTooNew for one this code does not know (upgrading would
    fail on it, and writing into a schema it does not know could damage it)."""
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    current = list(MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_heads())
    unknown = sorted(revision for revision in current if revision not in known)
    if unknown:
        raise SchemaTooNew(unknown)
    return current


def _upgrade(connection: Connection) -> None:
    _current_revisions(connection)
    command.upgrade(alembic_config(connection), "head")


def _require_current(connection: Connection) -> None:
    current = _current_revisions(connection)
    if current != [head_revision()]:
        raise SchemaBehind(current)


async def check_schema(engine: AsyncEngine) -> None:
    """Raises SchemaMismatch unless the schema is at this code's newest revision (for replicas that do
    not migrate at start: `bzra-cds migrate` does)."""
    async with engine.connect() as connection:
        await connection.run_sync(_require_current)


async def migrate(engine: AsyncEngine, schemas: list[str]) -> None:
    """Upgrades the schema to the newest revision, in one transaction; raises SchemaTooNew when the
    database holds a revision this code does not know (a newer version migrated it)."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            if schemas:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schemas[0]}"'))
        await connection.run_sync(_upgrade)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


# SQLSTATE classes of a refusal that is about the record itself: 22 data exception (a value out of
# range, bad encoding), 23 integrity constraint violation. Everything else (class 08 connection,
# 57P01 admin shutdown, 57P03 "the database system is starting up", 53 out of resources, 40 rollbacks...)
# says the database cannot take records now, whatever they hold.
CONTENT_SQLSTATE_CLASSES = ("22", "23")


def _causes(error: BaseException) -> list[BaseException]:
    """The error, what SQLAlchemy wrapped (`orig`) and their explicit causes, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = getattr(current, "orig", None) or current.__cause__
    return chain


def refuses_content(error: BaseException) -> bool:
    """Whether the database (or its driver) refused a record for what it holds, so that retrying that
    record can never work. Anything else is an outage: the record waits in the spool and is retried."""
    chain = _causes(error)
    for cause in chain:
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(sqlstate, str) and len(sqlstate) == 5:
            return sqlstate[:2] in CONTENT_SQLSTATE_CLASSES
    if any(isinstance(cause, (IntegrityError, DataError)) for cause in chain):
        return True  # SQLite has no SQLSTATE: its IntegrityError and DataError are about the values
    # a value the driver could not send (asyncpg's client-side DataError is a ValueError)
    return any(isinstance(cause, (ValueError, TypeError)) for cause in chain)


def is_unavailable(error: BaseException) -> bool:
    """Whether an error means "the database cannot take records now" (retry later) rather than "this
    record is bad" (retrying it would fail forever): every error that is not a refusal of content."""
    return not refuses_content(error)
