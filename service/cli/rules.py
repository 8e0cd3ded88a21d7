"""`bzra-cds rules lint|test|schema|reference`: tools for rule authors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.cli.loading import command_knowledge, command_settings, rules_directory
from service.cli.usage import Commands


def add_commands(commands: Commands) -> None:
    rules = commands.add_parser("rules", help="tools for rule authors: lint, test, schema, reference")
    rule_commands = rules.add_subparsers(dest="rules_command", required=True, metavar="COMMAND")
    lint = rule_commands.add_parser("lint", help="check rule files: schema, CEL, fact names, parameters, texts")
    lint.add_argument("directory", nargs="?", help="rules directory (default: BZRA_RULES_DIR)")
    lint.add_argument("--overrides", help="a deployment overrides file to check with the rules")
    lint.set_defaults(handler=run_lint)
    test = rule_commands.add_parser("test", help="run the test cases beside the rules (*.test.yaml)")
    test.add_argument("directory", nargs="?", help="rules directory (default: BZRA_RULES_DIR)")
    test.set_defaults(handler=run_test)
    schema = rule_commands.add_parser("schema", help="write the JSON Schemas of rule files for editors")
    schema.add_argument("--output", default="rules/schema", help="directory to write to (default: rules/schema)")
    schema.set_defaults(handler=run_schema)
    reference = rule_commands.add_parser("reference", help="write the rule author's reference (docs/rule-reference.md) from the code")
    reference.add_argument("--output", default="docs/rule-reference.md", help="file to write (default: docs/rule-reference.md)")
    reference.add_argument("--check", action="store_true", help="write nothing; exit 1 when the file is not current")
    reference.set_defaults(handler=run_reference)


def run_lint(args: argparse.Namespace) -> int:
    from service.rules.loader import load_rule_set

    settings = command_settings()
    directory = rules_directory(args.directory, settings.rules_dir)
    overrides = Path(args.overrides) if args.overrides else settings.rules_overrides_file
    rule_set, problems = load_rule_set(directory, command_knowledge(settings), overrides)
    for problem in problems:
        print(problem)
    if rule_set is None:
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    print(f"{directory}: {len(rule_set.rules)} rules, no problems")
    return 0


def run_test(args: argparse.Namespace) -> int:
    from service.authoring.rule_tests import run_rule_tests

    settings = command_settings()
    directory = rules_directory(args.directory, settings.rules_dir)
    results, problems = run_rule_tests(directory, command_knowledge(settings), settings)
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


def run_schema(args: argparse.Namespace) -> int:
    from service.authoring.schema import write_schemas

    for path in write_schemas(Path(args.output)):
        print(path)
    return 0


def run_reference(args: argparse.Namespace) -> int:
    """Write the rule author's reference, or with --check exit 1 when the file differs from the code."""
    from service.authoring.reference import COMMAND, rule_reference

    path, text = Path(args.output), rule_reference()
    if args.check:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            print(f"bzra-cds: {path} is not current; run '{COMMAND}'", file=sys.stderr)
            return 1
        print(f"{path} is current")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(path)
    return 0
