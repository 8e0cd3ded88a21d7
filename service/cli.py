"""The `bzra-cds` command line: `serve` runs the HTTP service; more commands join as they are built."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
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
    from service.rules.testing import run_rule_tests

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
    from service.rules.schema import write_schemas

    for path in write_schemas(Path(args.output)):
        print(path)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from service.cli_support import UsageError, collect_record, fail, parse_today, pipeline_for, read_hook_request
    from service.rules.explain import evaluation_json, evaluation_text
    from service.rules.holder import RuleHolder
    from service.rules.texts import pick_language

    settings = _settings_or_exit()
    try:
        request = read_hook_request(args.request)
        pipeline = pipeline_for(settings, parse_today(args.today))
        record = collect_record(pipeline, request)
    except UsageError as error:
        return fail(str(error))
    holder = RuleHolder(_rules_dir(args, settings), pipeline.knowledge, settings.rules_overrides_file)
    holder.reload()
    if holder.current is None:
        for problem in holder.problems:
            print(problem, file=sys.stderr)
        return fail("the rule set has problems; run 'bzra-cds rules lint'")
    pipeline.rules = holder
    facts = pipeline.facts(record, request.hook)
    language = pick_language(args.language, settings.language)
    evaluation, notes = pipeline.advise(facts, request.hook, language)
    if args.format == "json":
        print(json.dumps(evaluation_json(evaluation, notes), indent=2, ensure_ascii=False))
    else:
        print(evaluation_text(evaluation, notes))
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

    evaluate = commands.add_parser("evaluate", help="the cards a hook request would get, and why each rule fired or not")
    evaluate.add_argument("request", help="a CDS Hooks request JSON file")
    evaluate.add_argument("--rules", dest="directory", help="rules directory (default: BZRA_RULES_DIR)")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument("--today", help="the order date, YYYY-MM-DD (default: today)")
    evaluate.add_argument("--language", help="en, nl or fr (default: BZRA_LANGUAGE)")
    evaluate.set_defaults(handler=_evaluate)

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
