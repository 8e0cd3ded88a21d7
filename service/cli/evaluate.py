"""`bzra-cds facts` and `bzra-cds evaluate`: what the service computes for a hook request file, and why."""

from __future__ import annotations

import argparse
import json
import sys

from service.cli.loading import command_knowledge, command_settings, rules_directory
from service.cli.usage import Commands, UsageError


def add_commands(commands: Commands) -> None:
    facts = commands.add_parser(
        "facts", help="print the facts computed for a hook request (JSON file), with each figure's derivation"
    )
    facts.add_argument("request", help="a CDS Hooks request JSON file (prefetch is used; fhirServer is read if given)")
    facts.add_argument("--format", choices=("text", "json"), default="text")
    facts.add_argument("--today", help="the order date, YYYY-MM-DD (default: today)")
    facts.set_defaults(handler=run_facts)

    evaluate = commands.add_parser("evaluate", help="the cards a hook request would get, and why each rule fired or not")
    evaluate.add_argument("request", help="a CDS Hooks request JSON file")
    evaluate.add_argument("--rules", dest="directory", help="rules directory (default: BZRA_RULES_DIR)")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument("--today", help="the order date, YYYY-MM-DD (default: today)")
    evaluate.add_argument("--language", help="en, nl or fr (default: BZRA_LANGUAGE)")
    evaluate.set_defaults(handler=run_evaluate)


def run_facts(args: argparse.Namespace) -> int:
    from service.cli.records import collect_record, parse_today, pipeline_for, read_hook_request
    from service.facts.explain import render_text

    settings = command_settings()
    request = read_hook_request(args.request)
    today = parse_today(args.today)
    pipeline = pipeline_for(settings, command_knowledge(settings), today)
    facts = pipeline.facts(collect_record(pipeline, request), request.hook)
    print(facts.model_dump_json(indent=2) if args.format == "json" else render_text(facts))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from service.cli.records import collect_record, parse_today, pipeline_for, read_hook_request
    from service.authoring.explain import evaluation_json, evaluation_text
    from service.rules.holder import RuleHolder
    from service.rules.texts import pick_language

    settings = command_settings()
    request = read_hook_request(args.request)
    today = parse_today(args.today)
    knowledge = command_knowledge(settings)
    holder = RuleHolder(rules_directory(args.directory, settings.rules_dir), knowledge, settings.rules_overrides_file)
    holder.reload()
    if holder.current is None:
        for problem in holder.problems:
            print(problem, file=sys.stderr)
        raise UsageError("the rule set has problems; run 'bzra-cds rules lint'")
    pipeline = pipeline_for(settings, knowledge, today, rules=holder)
    record = collect_record(pipeline, request)
    facts = pipeline.facts(record, request.hook)
    language = pick_language(args.language, settings.language)
    evaluation, notes = pipeline.advise(facts, request.hook, language, record, settings.public_base_url)
    if args.format == "json":
        print(json.dumps(evaluation_json(evaluation, notes), indent=2, ensure_ascii=False))
    else:
        print(evaluation_text(evaluation, notes))
    return 0
