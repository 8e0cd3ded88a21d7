"""The `bzra-cds` command line: `serve` runs the HTTP service; more commands join as they are built."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from pydantic import ValidationError

from service.settings import Settings


def _exit_usage(message: str) -> NoReturn:
    print(f"bzra-cds: {message}", file=sys.stderr)
    sys.exit(2)


def _settings_or_exit(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        problems = "; ".join(
            f"BZRA_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        _exit_usage(f"invalid settings: {problems}")
    except FileNotFoundError as error:
        _exit_usage(str(error))


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app
    from service.logs import configure_logging

    from service.knowledge.configured import ConfigurationError

    settings = _settings_or_exit(insecure_dev=True if args.insecure_dev else None)
    configure_logging(settings.log_level, settings.log_format)
    try:
        app = create_app(settings)
    except ConfigurationError as error:
        _exit_usage(str(error))
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False, workers=1)
    return 0


def _facts(args: argparse.Namespace) -> int:
    from service.cli_support import UsageError, collect_record, fail, parse_today, pipeline_for, read_hook_request
    from service.facts.explain import render_text

    try:
        request = read_hook_request(args.request)
        pipeline = pipeline_for(_settings_or_exit(), parse_today(args.today))
        record = collect_record(pipeline, request)
    except UsageError as error:
        return fail(str(error))
    facts = pipeline.facts(record, request.hook)
    print(facts.model_dump_json(indent=2) if args.format == "json" else render_text(facts))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bzra-cds", description="CDS Hooks service for safer benzodiazepine and Z-drug prescribing."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default=os.environ.get("BZRA_HOST", "127.0.0.1"), help="address to listen on")
    serve.add_argument("--port", type=int, default=int(os.environ.get("BZRA_PORT", "8080")), help="port")
    serve.add_argument(
        "--insecure-dev",
        action="store_true",
        help="accept hook calls without authentication (local trials only; same as BZRA_INSECURE_DEV=1)",
    )
    serve.set_defaults(handler=_serve)

    facts = commands.add_parser(
        "facts", help="print the facts computed for a hook request (JSON file), with each figure's derivation"
    )
    facts.add_argument("request", help="a CDS Hooks request JSON file (prefetch is used; fhirServer is read if given)")
    facts.add_argument("--format", choices=("text", "json"), default="text")
    facts.add_argument("--today", help="the order date, YYYY-MM-DD (default: today)")
    facts.set_defaults(handler=_facts)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
