"""The `bzra-cds` command line: `serve` runs the HTTP service; more commands join as they are built."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from service.settings import InvalidSettings, Settings, load_settings, path_problems
from service.taper.cli import add_taper_command


def _exit_usage(message: str) -> NoReturn:
    print(f"bzra-cds: {message}", file=sys.stderr)
    sys.exit(2)


def _exit_bad_settings(lines: list[str]) -> NoReturn:
    for line in lines:
        print(f"bzra-cds: invalid setting {line}", file=sys.stderr)
    sys.exit(2)


def _settings_or_exit(*, serving: bool = False, store: bool = False, **overrides: object) -> Settings:
    """The settings, or exit 2 with one line per bad setting; `store`/`serving` also check the paths
    those commands will use."""
    try:
        settings = load_settings(**overrides)
    except InvalidSettings as error:
        _exit_bad_settings(error.lines)
    problems = path_problems(settings, serving=serving) if serving or store else []
    if problems:
        _exit_bad_settings(problems)
    return settings


def _address(args: argparse.Namespace) -> tuple[str, int]:
    """--host/--port, else BZRA_HOST/BZRA_PORT, else 127.0.0.1:8080."""
    host = args.host or os.environ.get("BZRA_HOST") or "127.0.0.1"
    port_text = str(args.port) if args.port is not None else os.environ.get("BZRA_PORT", "8080")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        _exit_bad_settings([f"BZRA_PORT: not a port number: '{port_text}'"])
    return host, int(port_text)


def _workers(args: argparse.Namespace) -> int:
    """--workers, else BZRA_WORKERS, else 1."""
    text = str(args.workers) if args.workers is not None else os.environ.get("BZRA_WORKERS", "1")
    if not text.isdigit() or int(text) < 1:
        _exit_bad_settings([f"BZRA_WORKERS: not a number of worker processes (1 or more): '{text}'"])
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    settings = _settings_or_exit(
        serving=True, insecure_dev=True if args.insecure_dev else None, demo=True if args.demo else None
    )
    host, port = _address(args)
    workers = _workers(args)

    import uvicorn

    from service.app import create_app
    from service.knowledge.configured import ConfigurationError
    from service.logs import configure_logging
    from service.serving import run_workers, server_options

    configure_logging(settings.log_level, settings.log_format)
    try:
        app = create_app(settings)  # also checks the configuration before any worker starts
    except ConfigurationError as error:
        _exit_usage(str(error))
    if workers > 1:
        os.environ.update({"BZRA_INSECURE_DEV": "1"} if settings.insecure_dev else {})  # workers read the environment
        os.environ.update({"BZRA_DEMO": "1"} if settings.demo else {})
        run_workers(settings, host, port, workers)
        return 0
    uvicorn.run(app, host=host, port=port, **server_options(settings))  # overload: see service/serving.py
    return 0


def _migrate(args: argparse.Namespace) -> int:
    import asyncio

    from service.migrate import MigrationFailed, migrate_database
    from service.settings import database_url

    settings = _settings_or_exit(store=True)
    try:
        revision = asyncio.run(migrate_database(database_url(settings)))
    except MigrationFailed as error:
        print(f"bzra-cds: {error}", file=sys.stderr)
        return 1
    print(f"database schema at revision {revision}")
    return 0


def _facts(args: argparse.Namespace) -> int:
    from service.cli_support import UsageError, fail, read_record
    from service.facts.explain import render_text

    try:
        request, pipeline, record = read_record(args.request, _settings_or_exit(), args.today)
    except UsageError as error:
        return fail(str(error))
    facts = pipeline.facts(record, request.hook)
    print(facts.model_dump_json(indent=2) if args.format == "json" else render_text(facts))
    return 0


def _knowledge_or_exit(settings: Settings):
    from service.knowledge.configured import ConfigurationError, load_configured_knowledge

    try:
        return load_configured_knowledge(settings)
    except ConfigurationError as error:
        _exit_usage(str(error))


def _rules_dir(args: argparse.Namespace, settings: Settings) -> Path:
    directory = Path(args.directory) if args.directory else settings.rules_dir
    if not directory.is_dir():
        _exit_usage(f"rules directory not found: {directory}")
    return directory


def _rules_lint(args: argparse.Namespace) -> int:
    from service.rules.loader import load_rule_set

    settings = _settings_or_exit()
    directory = _rules_dir(args, settings)
    overrides = Path(args.overrides) if args.overrides else settings.rules_overrides_file
    rule_set, problems = load_rule_set(directory, _knowledge_or_exit(settings), overrides)
    for problem in problems:
        print(problem)
    if rule_set is None:
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    print(f"{directory}: {len(rule_set.rules)} rules, no problems")
    return 0


def _rules_test(args: argparse.Namespace) -> int:
    from service.authoring.rule_tests import run_rule_tests

    settings = _settings_or_exit()
    directory = _rules_dir(args, settings)
    results, problems = run_rule_tests(directory, _knowledge_or_exit(settings), settings)
    for problem in problems:
        print(problem)
    width = max((len(r.name) for r in results), default=10)
    for result in results:
        place = f"{Path(result.file).name}:{result.line}"
        print(f"{'PASS' if result.passed else 'FAIL'}  {result.name:<{width}}  {place}")
        for failure in result.failures:
            print(f"      - {failure}")
    failed = sum(not r.passed for r in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed or problems else 0


def _rules_schema(args: argparse.Namespace) -> int:
    from service.authoring.schema import write_schemas

    for path in write_schemas(Path(args.output)):
        print(path)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from service.cli_support import UsageError, fail, read_record
    from service.authoring.explain import evaluation_json, evaluation_text
    from service.rules.holder import RuleHolder
    from service.rules.texts import pick_language
    from service.suggestions import Suggestions

    settings = _settings_or_exit()
    try:
        request, pipeline, record = read_record(args.request, settings, args.today)
    except UsageError as error:
        return fail(str(error))
    holder = RuleHolder(_rules_dir(args, settings), pipeline.knowledge, settings.rules_overrides_file)
    holder.reload()
    if holder.current is None:
        for problem in holder.problems:
            print(problem, file=sys.stderr)
        return fail("the rule set has problems; run 'bzra-cds rules lint'")
    pipeline.rules = holder
    pipeline.suggestions = Suggestions(pipeline.knowledge, settings)
    facts = pipeline.facts(record, request.hook)
    language = pick_language(args.language, settings.language)
    evaluation, notes = pipeline.advise(facts, request.hook, language, record, settings.public_base_url)
    if args.format == "json":
        print(json.dumps(evaluation_json(evaluation, notes), indent=2, ensure_ascii=False))
    else:
        print(evaluation_text(evaluation, notes))
    return 0


def _with_store(settings: Settings, work):
    """Open the configured store, run `work(store)`, close it; database errors exit 1 with a message."""
    import asyncio

    from service.settings import database_url
    from service.store import Store

    async def run():
        from service.store.spool_dirs import claim_spool_dir

        spool = claim_spool_dir(Path(settings.data_dir) / "spool")  # never the running service's own
        try:
            store = await Store.open(database_url(settings), spool.path, migrate_schema=settings.migrate_on_start)
            try:
                return await work(store)
            finally:
                await store.close()
        finally:
            spool.release()

    try:
        return asyncio.run(run())
    except Exception as error:  # noqa: BLE001 - a CLI reports, it does not crash
        print(f"bzra-cds: the database could not be read: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)


def _report(args: argparse.Namespace) -> int:
    from service.api.admin import since_datetime
    from service.store import report_csv, report_json, report_text

    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError:
            _exit_usage(f"--since must be a date like 2026-11-01, not '{args.since}'")
    rows = _with_store(_settings_or_exit(store=True), lambda store: store.report(since_datetime(since)))
    render = {"text": report_text, "csv": report_csv, "json": report_json}[args.format]
    print(render(rows), end="")
    return 0


def _suppressions(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    settings = _settings_or_exit(store=True)
    if args.action == "lift":
        if args.id is None:
            _exit_usage("suppressions lift needs the id of a suppression")
        lifted = _with_store(settings, lambda store: store.lift_suppression(args.id))
        print(f"suppression {args.id} lifted" if lifted else f"no suppression {args.id}")
        return 0 if lifted else 1
    found = _with_store(settings, lambda store: store.list_suppressions(active_only=not args.all, now=datetime.now(timezone.utc)))
    for item in found:
        state = "lifted" if item.lifted else f"until {item.until:%Y-%m-%d}"
        print(f"{item.id:>6}  {item.rule_id:<26} {item.reason_code:<24} {state}  patient {item.patient_hash[:12]}…")
    print(f"{len(found)} suppression(s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bzra-cds", description="CDS Hooks service for safer benzodiazepine and Z-drug prescribing."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="address to listen on (default: BZRA_HOST, else 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: BZRA_PORT, else 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes sharing the port (default: BZRA_WORKERS, else 1)",
    )
    serve.add_argument(
        "--insecure-dev",
        action="store_true",
        help="accept hook calls without authentication (local trials only; same as BZRA_INSECURE_DEV=1)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also serve the demo page at / with synthetic patients; implies --insecure-dev (same as BZRA_DEMO=1)",
    )
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser(
        "migrate", help="bring the database schema up to date and exit (before starting replicas with BZRA_MIGRATE_ON_START=false)"
    )
    migrate.set_defaults(handler=_migrate)

    facts = commands.add_parser(
        "facts", help="print the facts computed for a hook request (JSON file), with each figure's derivation"
    )
    facts.add_argument("request", help="a CDS Hooks request JSON file (prefetch is used; fhirServer is read if given)")
    facts.add_argument("--format", choices=("text", "json"), default="text")
    facts.add_argument("--today", help="the order date, YYYY-MM-DD (default: today)")
    facts.set_defaults(handler=_facts)

    evaluate = commands.add_parser("evaluate", help="the cards a hook request would get, and why each rule fired or not")
    evaluate.add_argument("request", help="a CDS Hooks request JSON file")
    evaluate.add_argument("--rules", dest="directory", help="rules directory (default: BZRA_RULES_DIR)")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument("--today", help="the order date, YYYY-MM-DD (default: today)")
    evaluate.add_argument("--language", help="en, nl or fr (default: BZRA_LANGUAGE)")
    evaluate.set_defaults(handler=_evaluate)

    add_taper_command(commands)

    report = commands.add_parser("report", help="per rule: fired, accepted, overridden, override reasons, latency")
    report.add_argument("--since", help="only calls and feedback from this date (YYYY-MM-DD)")
    report.add_argument("--format", choices=("text", "csv", "json"), default="text")
    report.set_defaults(handler=_report)

    suppressions = commands.add_parser("suppressions", help="list or lift rule suppressions")
    suppressions.add_argument("action", choices=("list", "lift"))
    suppressions.add_argument("id", nargs="?", type=int, help="the suppression to lift")
    suppressions.add_argument("--all", action="store_true", help="also expired and lifted ones")
    suppressions.set_defaults(handler=_suppressions)

    rules = commands.add_parser("rules", help="tools for rule authors: lint, test, schema")
    rule_commands = rules.add_subparsers(dest="rules_command", required=True, metavar="COMMAND")
    lint = rule_commands.add_parser("lint", help="check rule files: schema, CEL, fact names, parameters, texts")
    lint.add_argument("directory", nargs="?", help="rules directory (default: BZRA_RULES_DIR)")
    lint.add_argument("--overrides", help="a deployment overrides file to check with the rules")
    lint.set_defaults(handler=_rules_lint)
    test = rule_commands.add_parser("test", help="run the test cases beside the rules (*.test.yaml)")
    test.add_argument("directory", nargs="?", help="rules directory (default: BZRA_RULES_DIR)")
    test.set_defaults(handler=_rules_test)
    schema = rule_commands.add_parser("schema", help="write the JSON Schemas of rule files for editors")
    schema.add_argument("--output", default="rules/schema", help="directory to write to (default: rules/schema)")
    schema.set_defaults(handler=_rules_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
