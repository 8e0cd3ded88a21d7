"""`bzra-cds report` and `bzra-cds suppressions`: what the audit database holds, read without the HTTP layer."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from service.cli.loading import command_settings
from service.cli.usage import Commands, UsageError
from service.errors import UnavailableError
from service.settings import Settings

if TYPE_CHECKING:
    from service.store import Store

T = TypeVar("T")


def add_commands(commands: Commands) -> None:
    report = commands.add_parser("report", help="per rule: fired, accepted, overridden, override reasons, latency")
    report.add_argument("--since", help="only calls and feedback from this date (YYYY-MM-DD)")
    report.add_argument("--format", choices=("text", "csv", "json"), default="text")
    report.set_defaults(handler=run_report)

    suppressions = commands.add_parser("suppressions", help="list or lift rule suppressions")
    suppressions.add_argument("action", choices=("list", "lift"))
    suppressions.add_argument("id", nargs="?", type=int, help="the suppression to lift")
    suppressions.add_argument("--all", action="store_true", help="also expired and lifted ones")
    suppressions.set_defaults(handler=run_suppressions)


class DatabaseUnreadable(UnavailableError):
    """The configured database could not be opened or read (exit status 1)."""

    code = "database_unreadable"


def with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the configured store, run `work(store)`, close it."""
    from service.store import Store
    from service.store.spool_dirs import claim_spool_dir

    async def run() -> T:
        spool = claim_spool_dir(Path(settings.data_dir) / "spool")  # never the running service's own
        try:
            store = await Store.open(settings.database_url_in_use, spool.path, migrate_schema=settings.migrate_on_start)
            try:
                return await work(store)
            finally:
                await store.close()
        finally:
            spool.release()

    try:
        return asyncio.run(run())
    except Exception as error:  # noqa: BLE001 - any driver's failure is said as one line, never a traceback
        raise DatabaseUnreadable(f"the database could not be read: {type(error).__name__}: {error}") from error


def _since(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # date.fromisoformat's one way to say "not a date"
        raise UsageError(f"--since must be a date like 2026-11-01, not '{text}'") from None


def run_report(args: argparse.Namespace) -> int:
    from service.store import report_csv, report_json, report_text, since_datetime

    since = _since(args.since)
    rows = with_store(command_settings(store=True), lambda store: store.report(since_datetime(since)))
    render = {"text": report_text, "csv": report_csv, "json": report_json}[args.format]
    print(render(rows), end="")
    return 0


def run_suppressions(args: argparse.Namespace) -> int:
    settings = command_settings(store=True)
    if args.action == "lift":
        if args.id is None:
            raise UsageError("suppressions lift needs the id of a suppression")
        lifted = with_store(settings, lambda store: store.lift_suppression(args.id))
        print(f"suppression {args.id} lifted" if lifted else f"no suppression {args.id}")
        return 0 if lifted else 1
    now = datetime.now(timezone.utc)
    found = with_store(settings, lambda store: store.list_suppressions(active_only=not args.all, now=now))
    for item in found:
        state = "lifted" if item.lifted else f"until {item.until:%Y-%m-%d}"
        print(f"{item.id:>6}  {item.rule_id:<26} {item.reason_code:<24} {state}  patient {item.patient_hash[:12]}…")
    print(f"{len(found)} suppression(s)")
    return 0
