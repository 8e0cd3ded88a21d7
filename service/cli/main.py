"""`bzra-cds`: the parser made of the command groups, and the one place a command's error is reported."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cds_hooks import HookError
from service.cli import evaluate, migrate, report, rules, serve, taper
from service.errors import BzraError
from service.language import language_or_default
from service.settings import InvalidSettings

HOOK_ERROR_EXIT = 2  # a request file that breaks the CDS Hooks protocol is the user's mistake
GROUPS = (serve, migrate, evaluate, taper, report, rules)  # the order `bzra-cds --help` lists them in


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bzra-cds", description="CDS Hooks service for safer benzodiazepine and Z-drug prescribing."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(commands)
    return parser


def error_lines(error: BzraError | HookError, language: str) -> list[str]:
    """What the operator reads: one line per bad setting, else the error's message in `language`."""
    if isinstance(error, InvalidSettings):
        return [f"invalid setting {line}" for line in error.lines]
    return [error.text(language)]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (BzraError, HookError) as error:
        # A command that speaks a language (taper, evaluate) keeps the one it chose in `args.language`.
        for line in error_lines(error, language_or_default(getattr(args, "language", None))):
            print(f"bzra-cds: {line}", file=sys.stderr)
        return error.exit_status if isinstance(error, BzraError) else HOOK_ERROR_EXIT
