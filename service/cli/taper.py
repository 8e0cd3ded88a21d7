"""`bzra-cds taper`: print a taper plan as text, JSON, Markdown, FHIR or a patient handout (HTML).

The options fill the same input model as `POST /taper` and the planner (`PlanInput`), with the same
defaults from the settings (protocol, pace, market, language, equivalence table). Every mistake ends
as one line `bzra-cds: <what is wrong>` on stderr (in the chosen language, kept in `args.language` for
`service.cli.main`) with exit status 2, never a traceback or a usage dump.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from service.cli.loading import command_knowledge, command_settings
from service.cli.usage import Commands, UsageError

if TYPE_CHECKING:
    from service.taper.inputs import PlanInput
    from service.taper.model import TaperPlan

FORMATS = ("text", "json", "markdown", "fhir", "html")


def add_commands(commands: Commands) -> None:
    """Register `taper` on the `bzra-cds` sub-command parsers."""
    taper = commands.add_parser(
        "taper",
        help="make a gradual taper plan for a benzodiazepine or Z-drug",
        description=(
            "Make a dated taper plan after a published protocol, with one market's products. Example: "
            "bzra-cds taper --drug lorazepam --dose 3mg/day --market BE --protocol cks_ashton --language nl"
        ),
    )
    add = taper.add_argument
    add("--drug", help="the drug taken now: generic name or brand, e.g. lorazepam, Temesta")
    add("--dose", help="the daily dose taken now, e.g. 3mg/day, '0,5 mg', '500 µg/day'")
    add("--protocol", help="deprescribing_org, cks_ashton, nhg_lumc, riziv_inami or asam_2025 (default: BZRA_TAPER_PROTOCOL)")
    add("--pace", metavar="standard|slow", help="standard or slow (default: BZRA_TAPER_PACE)")
    add("--form", metavar="FORM", help="tablets, magistral (BE), strips (NL) or liquid (default: from the protocol)")
    add("--switch-to", dest="switch_to", metavar="diazepam|none", help="switch to diazepam first, or never (default: the protocol)")
    add("--also", action="append", default=[], metavar="DRUG:DOSE", help="another BZRA taken now, e.g. zolpidem:10 (repeatable)")
    add("--start", help="first day of the plan, YYYY-MM-DD (default: today)")
    add("--hold", action="append", default=[], metavar="N", help="stay one more period after step N (repeatable)")
    add("--market", metavar="CC", help="the country whose products the plan uses: BE, NL or US (default: BZRA_MARKET)")
    add("--format", default="text", metavar="|".join(FORMATS), help="output format (default text)")
    add("--language", metavar="en|nl|fr", help="language of every text (default: BZRA_LANGUAGE)")
    add("--table", metavar="TABLE", help="diazepam-equivalence table (default: BZRA_EQUIVALENCE_TABLE)")
    add("--patient", metavar="REFERENCE", help="FHIR subject for --format fhir, e.g. Patient/123")
    add("--contact", action="append", default=[], metavar="LABEL=PHONE_OR_URL", help="who to call, for the handout")
    taper.set_defaults(handler=run_taper)


def _input(args: argparse.Namespace) -> PlanInput:
    from service.taper.inputs import InUse, PlanInput

    if not args.drug:
        raise UsageError("missing --drug, e.g. --drug lorazepam")
    if not args.dose:
        raise UsageError("missing --dose, e.g. --dose 3mg/day")
    also = []
    for value in args.also:
        drug, sep, dose = value.partition(":")
        if not sep or not drug.strip() or not dose.strip():
            raise UsageError(f"--also takes DRUG:DOSE, e.g. zolpidem:10, not '{value}'")
        also.append(InUse(drug=drug.strip(), dose=dose.strip()))
    return PlanInput(
        drug=args.drug, dose=args.dose, protocol=args.protocol, pace=args.pace, form=args.form, switch_to=args.switch_to,
        also_taking=also, start=args.start, holds=list(args.hold), market=args.market, language=args.language,
        table=args.table, patient=args.patient,
    )


def _contacts(values: Sequence[str]) -> list[tuple[str, str]]:
    contacts = []
    for value in values:
        label, sep, target = value.partition("=")
        if not sep or not label.strip() or not target.strip():
            raise UsageError(f"--contact takes LABEL=PHONE_OR_URL, e.g. 'GP practice=+32 9 123 45 67', not '{value}'")
        contacts.append((label.strip(), target.strip()))
    return contacts


def _render(plan: TaperPlan, args: argparse.Namespace, language: str, contacts: list[tuple[str, str]]) -> str:
    from service.taper import render

    if args.format == "json":
        return json.dumps(render.plan_json(plan, language), indent=2, ensure_ascii=False) + "\n"
    if args.format == "fhir":
        resources = render.plan_medication_requests(plan, args.patient, language)
        return json.dumps(resources[0] if len(resources) == 1 else resources, indent=2, ensure_ascii=False) + "\n"
    if args.format == "markdown":
        return render.plan_markdown(plan, language)
    if args.format == "html":
        return render.plan_handout_html(plan, language, contacts)
    return render.plan_text(plan, language)


def run_taper(args: argparse.Namespace) -> int:
    """The `taper` handler: 0 and the plan on stdout; a mistake is raised for `service.cli.main`."""
    from service.taper.inputs import PlanDefaults, language_of, to_request
    from service.taper.plan import make_plan
    from service.taper.protocol import load_protocols

    if args.format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not '{args.format}'")
    contacts = _contacts(args.contact)
    settings = command_settings()
    defaults = PlanDefaults.from_settings(settings)
    plan_input = _input(args)
    args.language = language_of(plan_input, defaults)  # from here on, errors are said in the plan's language
    knowledge = command_knowledge(settings)  # also checks the protocol file
    protocols = load_protocols()
    request = to_request(plan_input, defaults, knowledge, protocols, date.today())
    sys.stdout.write(_render(make_plan(request, knowledge, protocols), args, args.language, contacts))
    return 0
