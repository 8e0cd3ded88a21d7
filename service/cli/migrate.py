"""`bzra-cds migrate`: bring the database schema up to date and exit (a Kubernetes init container)."""

from __future__ import annotations

import argparse
import asyncio

from service.cli.loading import command_settings
from service.cli.usage import Commands


def add_commands(commands: Commands) -> None:
    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema up to date and exit (before starting replicas with BZRA_MIGRATE_ON_START=false)",
    )
    migrate.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    """0 and the revision reached; a `MigrationFailed` is reported by `main` with exit status 1."""
    from service.migrate import migrate_database

    settings = command_settings(store=True)
    revision = asyncio.run(migrate_database(settings.database_url_in_use))
    print(f"database schema at revision {revision}")
    return 0
