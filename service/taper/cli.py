"""`bzra-cds taper`: print a taper plan as text, JSON, Markdown, FHIR or a patient handout (HTML).

Every input is checked here rather than by argparse, so every mistake, including an unknown choice,
ends as one line `bzra-cds: <what is wrong>` on stderr with exit status 2, never a traceback or a
usage dump.  Run it as `bzra-cds taper ...` or `python -m service.taper.cli ...`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal, cast

__all__ = ["add_taper_command", "main", "run_taper"]

FORMATS = ("text", "json", "markdown", "fhir", "html")
LANGUAGES = ("en", "nl", "fr")
USAGE_ERROR = 2
Pace = Literal["standard", "slow"]


class _Usage(Exception):
    """A user error: printed as one line, exit status 2."""


def add_taper_command(subparsers: Any) -> None:
    """Register `taper` on the `bzra-cds` sub-command parsers."""
    taper = subparsers.add_parser(
        "taper",
        help="make a gradual taper plan for a benzodiazepine or Z-drug",
        description=(
            "Make a dated taper plan that the marketed tablets allow, with the protocol's sources. "
            "Example: bzra-cds taper --drug lorazepam --dose 3mg/day --pace slow --format html --language nl"
        ),
    )
    taper.add_argument("--drug", help="the drug: generic name or brand, e.g. lorazepam, Temesta")
    taper.add_argument("--dose", help="the current daily dose, e.g. 3mg/day, '0,5 mg', '500 µg/day'")
    taper.add_argument("--pace", metavar="standard|slow", help="standard or slow (default: BZRA_TAPER_PACE, else standard)")
    taper.add_argument("--switch-to", dest="switch_to", metavar="diazepam", help="switch to diazepam first")
    taper.add_argument("--start", help="first day of the plan, YYYY-MM-DD (default: today)")
    taper.add_argument(
        "--hold", action="append", default=[], metavar="N", help="stay one more interval after step N (repeatable)"
    )
    taper.add_argument(
        "--market",
        action="append",
        default=[],
        metavar="CC",
        help="use only strengths marketed there, e.g. NL (repeatable; default: BZRA_MARKET, else any)",
    )
    taper.add_argument("--format", default="text", metavar="|".join(FORMATS), help="output format (default text)")
    taper.add_argument("--language", metavar="en|nl|fr", help="language of text, markdown and html (default: BZRA_LANGUAGE)")
    taper.add_argument("--table", metavar="TABLE", help="diazepam-equivalence table (default: BZRA_EQUIVALENCE_TABLE)")
    taper.add_argument("--patient", metavar="REFERENCE", help="FHIR subject for --format fhir, e.g. Patient/123")
    taper.add_argument(
        "--contact", action="append", default=[], metavar="LABEL=PHONE_OR_URL", help="who to call, for the handout"
    )
    taper.set_defaults(handler=run_taper)


def _choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise _Usage(f"--{name} must be one of {', '.join(choices)}, not '{value}'")
    return value


def _settings() -> Any:
    from pydantic import ValidationError

    from service.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(f"BZRA_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        raise _Usage(f"invalid settings: {problems}") from None
    except (OSError, ValueError) as error:
        raise _Usage(f"invalid settings: {error}") from None


def _knowledge(settings: Any) -> Any:
    from service.knowledge.configured import (
        ConfigurationError,
        load_configured_knowledge,
    )

    try:
        return load_configured_knowledge(settings)
    except ConfigurationError as error:
        raise _Usage(str(error).splitlines()[0]) from None


def _request(args: argparse.Namespace, knowledge: Any, protocol: Any, settings: Any) -> Any:
    from service.taper.plan import TaperRequest, parse_dose, resolve_drug

    if not args.drug:
        raise _Usage("missing --drug, e.g. --drug lorazepam")
    if not args.dose:
        raise _Usage("missing --dose, e.g. --dose 3mg/day")
    drug = resolve_drug(args.drug, knowledge)
    dose = parse_dose(args.dose)
    pace = cast(Pace, _choice("pace", args.pace or getattr(settings, "taper_pace", None) or "standard", tuple(protocol.paces)))
    switch = False
    if args.switch_to is not None:
        target = protocol.switch.to
        wanted = args.switch_to.strip().lower()
        if wanted not in (target, knowledge.drugs[target].display.en.lower()):
            raise _Usage(f"--switch-to can only be {target}, not '{args.switch_to}'")
        switch = True
    start = date.today()
    if args.start:
        try:
            start = date.fromisoformat(args.start)
        except ValueError:
            raise _Usage(f"--start must be a date like 2026-12-01, not '{args.start}'") from None
    holds = []
    for hold in args.hold:
        if not hold.strip().isdigit() or int(hold) < 1:
            raise _Usage(f"--hold takes a step number (1, 2, ...), not '{hold}'")
        holds.append(int(hold))
    markets = []
    default_market = getattr(settings, "market", None)
    for market in args.market or ([default_market] if default_market else []):
        code = market.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise _Usage(f"--market takes a two-letter country code like NL, not '{market}'")
        markets.append(code)
    return TaperRequest(
        drug=drug,
        daily_dose_mg=dose,
        pace=pace,
        switch_to_diazepam=switch,
        start=start,
        holds=tuple(holds),
        markets=tuple(markets),
    )


def _contacts(values: Sequence[str]) -> list[tuple[str, str]]:
    contacts = []
    for value in values:
        label, sep, target = value.partition("=")
        if not sep or not label.strip() or not target.strip():
            raise _Usage(f"--contact takes LABEL=PHONE_OR_URL, e.g. 'GP practice=+32 9 123 45 67', not '{value}'")
        contacts.append((label.strip(), target.strip()))
    return contacts


def _render(plan: Any, args: argparse.Namespace, language: str, contacts: list[tuple[str, str]]) -> str:
    from service.taper import render

    if args.format == "json":
        return json.dumps(render.plan_json(plan), indent=2, ensure_ascii=False) + "\n"
    if args.format == "fhir":
        return json.dumps(render.plan_medication_request(plan, args.patient), indent=2, ensure_ascii=False) + "\n"
    if args.format == "markdown":
        return render.plan_markdown(plan, language)
    if args.format == "html":
        return render.plan_handout_html(plan, language, contacts)
    return render.plan_text(plan, language)


def run_taper(args: argparse.Namespace) -> int:
    """The `taper` handler: 0 and the plan on stdout, or 2 and one line on stderr."""
    from service.taper.plan import TaperError, make_plan
    from service.taper.protocol import TaperProtocolError, load_protocol

    try:
        _choice("format", args.format, FORMATS)
        if args.language is not None:
            _choice("language", args.language, LANGUAGES)
        contacts = _contacts(args.contact)
        settings = _settings()
        knowledge = _knowledge(settings)
        try:
            protocol = load_protocol()
        except TaperProtocolError as error:
            raise _Usage(f"the taper protocol file is invalid: {error.problems[0]}") from None
        table = args.table or settings.equivalence_table
        if table not in knowledge.equivalence_tables:
            raise _Usage(f"--table must be one of {', '.join(sorted(knowledge.equivalence_tables))}, not '{table}'")
        language = args.language or (settings.language if settings.language in LANGUAGES else "en")
        plan = make_plan(_request(args, knowledge, protocol, settings), knowledge, table, protocol=protocol)
        output = _render(plan, args, language, contacts)
    except TaperError as error:
        return _fail(error.message)
    except _Usage as error:
        return _fail(str(error))
    sys.stdout.write(output)
    return 0


def _fail(message: str) -> int:
    print(f"bzra-cds: {message}", file=sys.stderr)
    return USAGE_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m service.taper.cli --drug ... --dose ...` (the word `taper` may be given or left out)."""
    parser = argparse.ArgumentParser(prog="bzra-cds")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_taper_command(commands)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] != "taper":
        arguments.insert(0, "taper")
    args = parser.parse_args(arguments)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
