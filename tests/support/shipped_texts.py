"""Every text the service ships, collected from where it lives, in each language.

Two kinds: the texts as written (the language tables of every `service` module, the rule files, the
override reasons, the knowledge's display names, the demo page and planner strings of `i18n.js`) and
the texts as a prescriber or an EHR receives them (whole hook answers, in en, nl and fr, for the demo
patients, every rule test case and the README's example; the data card with every reason). Used by
the glossary test and the card-length test; nothing is copied here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from cds_hooks import HookRequest
import service
from service.catalog import SERVICES_BY_HOOK
from service.data_card import data_issues_card, internal_error_card
from service.data_card_texts import WHAT, WHY
from service.facts.unknown import TEXTS as UNKNOWN_TEXTS
from service.facts.unknown import Unknown
from service.fhir.cache import ResponseCache
from service.fhir.record import DataIssue
from service.knowledge.configured import load_configured_knowledge
from service.knowledge.models import Knowledge
from service.language import LANGUAGES
from service.pipeline import Pipeline
from service.rules.holder import RuleHolder
from service.rules.loader import rule_test_files
from service.rules.models import RuleTestFile
from service.rules.shorthand import request_for_case
from service.settings import Settings
from service.suggestions import Suggestions
from service.yamlsource import read_model
from tests.support.paths import ROOT

RULES_DIR = ROOT / "rules"
I18N_JS = ROOT / "service" / "planner" / "static" / "i18n.js"
EXAMPLE = ROOT / "examples" / "order-sign-request.json"
BASE_URL = "http://cds.example.org/"


@dataclass(frozen=True)
class Shipped:
    where: str
    language: str
    text: str
    citation: bool = False  # the title of a cited publication: checked for stigmatising words only


# ---- texts as written --------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{\w+\}", re.DOTALL)
_TAG = re.compile(r"\{%.*?%\}", re.DOTALL)


def as_written(template: str) -> str:
    """A template's own words: Jinja tags dropped, every value to fill in written as "X"."""
    return _PLACEHOLDER.sub("X", _TAG.sub("", template))


def _walk(value: Any, where: str, language: str | None, depth: int = 0) -> Iterator[Shipped]:
    """Strings under a language key ({"en": ..., "nl": ..., "fr": ...}) anywhere in `value`."""
    if depth > 8:
        return
    if isinstance(value, str):
        if language is not None:
            yield Shipped(where, language, as_written(value))
    elif isinstance(value, dict):
        is_table = len(value) >= 2 and set(value) <= set(LANGUAGES)  # {"en", "nl", "fr"}, or the nl and fr of an English original
        for key, item in value.items():
            inner = str(key) if is_table and key in LANGUAGES else language
            yield from _walk(item, f"{where}.{key}", inner, depth + 1)
    elif isinstance(value, (list, tuple, frozenset, set)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}[{index}]", language, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _walk(getattr(value, field.name), f"{where}.{field.name}", language, depth + 1)


def _assigned_here(module: Any, name: str, value: Any) -> bool:
    """Whether `name` is defined in `module` itself (not imported into it)."""
    if hasattr(value, "__module__") and not isinstance(value, (dict, list, tuple)):
        return value.__module__ == module.__name__
    source = Path(module.__file__).read_text(encoding="utf-8") if getattr(module, "__file__", None) else ""
    return re.search(rf"^{re.escape(name)}\b[^\n=]*=", source, re.MULTILINE) is not None


@lru_cache(maxsize=1)
def module_texts() -> tuple[Shipped, ...]:
    """Every language table held by a module of the service (its globals), where it is defined."""
    found: list[Shipped] = []
    for info in pkgutil.walk_packages(service.__path__, "service."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if not name.startswith("__") and _assigned_here(module, name, value):
                found.extend(_walk(value, f"{info.name}.{name}", None))
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1)
def knowledge() -> Knowledge:
    return load_configured_knowledge(Settings(insecure_dev=True))


@lru_cache(maxsize=1)
def rule_holder() -> RuleHolder:
    holder = RuleHolder(RULES_DIR, knowledge())
    assert holder.reload(), holder.problems
    return holder


def rule_texts() -> list[Shipped]:
    """Card texts of every rule (summary, detail, links; the source label as a citation) and the
    override reasons, per language; a missing translation is kept as None for the completeness test."""
    found = []
    rule_set = rule_holder().current
    assert rule_set is not None
    for rule in rule_set.rules:
        card = rule.rule.card
        texts = {"summary": card.summary, "detail": card.detail} | {f"links[{i}]": link.label for i, link in enumerate(card.links)}
        for part, text in texts.items():
            for language in LANGUAGES:
                if text is not None:
                    found.append(Shipped(f"rules/{rule.id}.{part}", language, as_written(getattr(text, language) or "")))
        found.append(Shipped(f"rules/{rule.id}.source", "en", card.source.label, citation=True))
    for code, reason in rule_set.reasons.reasons.items():
        for language in LANGUAGES:
            found.append(Shipped(f"rules/override-reasons.yaml:{code}", language, getattr(reason.display, language) or ""))
    return found


def missing_rule_translations() -> list[str]:
    rule_set = rule_holder().current
    assert rule_set is not None
    missing = []
    for rule in rule_set.rules:
        card = rule.rule.card
        texts = {"summary": card.summary, "detail": card.detail} | {f"links[{i}]": link.label for i, link in enumerate(card.links)}
        missing += [f"{rule.id}.{part}:{lang}" for part, text in texts.items() if text for lang in LANGUAGES if not getattr(text, lang)]
    for code, reason in rule_set.reasons.reasons.items():
        missing += [f"override {code}:{lang}" for lang in LANGUAGES if not getattr(reason.display, lang)]
    return missing


def knowledge_texts() -> list[Shipped]:
    """Display names of drugs, forms, co-medication classes and members, condition groups, exemptions."""
    known = knowledge()
    named: list[tuple[str, Any]] = [(f"drug {k}", v.display) for k, v in known.drugs.items()]
    named += [(f"form {k}", v.display) for k, v in known.dose_forms.items()]
    named += [(f"class {k}", v.display) for k, v in known.comedication_classes.items()]
    named += [(f"member {m}", member.display) for c in known.comedication_classes.values() for m, member in c.members.items()]
    named += [(f"condition {k}", v.display) for k, v in known.condition_groups.items()]
    named += [(f"exemption {k}", v.display) for k, v in known.exemptions.items()]
    return [Shipped(f"knowledge {where}", lang, getattr(names, lang) or "") for where, names in named for lang in LANGUAGES]


DATA_DIR = ROOT / "service" / "knowledge" / "data"


def data_file_texts() -> list[Shipped]:
    """Texts in every language of every data file (markets, taper protocols...), wherever they sit."""
    found: list[Shipped] = []
    for path in sorted(DATA_DIR.rglob("*.yaml")):
        if path.parent.name == "language":
            continue  # the glossary names the words to avoid
        found.extend(_walk(yaml.safe_load(path.read_text(encoding="utf-8")), str(path.relative_to(ROOT)), None))
    return found


_JS_SECTION = re.compile(r"^  (en|nl|fr): \{$")
_JS_ENTRY = re.compile(r'^\s*"([^"]+)":\s*("(?:[^"\\]|\\.)*"),?$')


def demo_page_strings() -> dict[str, dict[str, str]]:
    """The STRINGS table of i18n.js: language -> key -> text."""
    strings: dict[str, dict[str, str]] = {}
    current = None
    for line in I18N_JS.read_text(encoding="utf-8").splitlines():
        if (section := _JS_SECTION.match(line)) is not None:
            current = strings.setdefault(section.group(1), {})
        elif line.startswith("  },"):
            current = None
        elif current is not None and (entry := _JS_ENTRY.match(line)) is not None:
            current[entry.group(1)] = json.loads(entry.group(2))
    return strings


def demo_page_texts() -> list[Shipped]:
    strings = demo_page_strings()
    return [Shipped(f"i18n.js {key}", lang, as_written(text)) for lang in LANGUAGES for key, text in strings.get(lang, {}).items()]


def written_texts() -> list[Shipped]:
    return [*module_texts(), *rule_texts(), *knowledge_texts(), *data_file_texts(), *demo_page_texts()]


# ---- texts as received ----------------------------------------------------------------------------------


def _pipeline(today: Any) -> Pipeline:
    settings = Settings(insecure_dev=True, rules_reload=False)
    known = knowledge()
    return Pipeline(settings, None, ResponseCache(0, 0), known, rules=rule_holder(), suggestions=Suggestions(known, settings), today=lambda: today)


def _answer(request: dict[str, Any], today: Any, language: str) -> dict[str, Any]:
    hook_request = HookRequest.model_validate(request)
    response = asyncio.run(_pipeline(today).answer(SERVICES_BY_HOOK[hook_request.hook], hook_request, language, BASE_URL))
    return response.model_dump(mode="json", exclude_none=True)


def _demo_requests() -> Iterator[tuple[str, dict[str, Any], Any]]:
    from service.demo.catalog import PATIENTS, load_bundle
    from service.demo.dates import shift_to
    from tests.support.facts_support import TODAY
    from tests.support.demo_support import hook_request_for

    for patient in PATIENTS:
        bundle = shift_to(load_bundle(patient.id), TODAY)
        for language in LANGUAGES:
            yield f"demo {patient.id}", hook_request_for(patient, bundle, TODAY, language), TODAY


def _rule_case_requests() -> Iterator[tuple[str, dict[str, Any], Any]]:
    for path in rule_test_files(RULES_DIR):
        _, test_file, problems = read_model(path, RuleTestFile)
        assert test_file is not None and not problems, problems
        for case in test_file.tests:
            yield f"{path.name}: {case.name}", request_for_case(case, knowledge()), case.today


@dataclass(frozen=True)
class Answer:
    where: str
    language: str
    response: dict[str, Any]


@lru_cache(maxsize=1)
def answers() -> tuple[Answer, ...]:
    """Hook answers in every language: the demo patients, every rule test case, the README example."""
    from tests.support.facts_support import TODAY

    found = []
    for where, request, today in _demo_requests():
        language = request["extension"]["bzra-cds.language"]
        found.append(Answer(where, language, _answer(request, today, language)))
    for where, request, today in _rule_case_requests():
        found += [Answer(where, language, _answer(request, today, language)) for language in LANGUAGES]
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    found += [Answer("examples/order-sign-request.json", language, _answer(example, TODAY, language)) for language in LANGUAGES]
    return tuple(found)


def data_cards() -> list[tuple[str, dict[str, Any]]]:
    """The data card with every data source, every reason and every note, and the internal-error card."""
    issues = [
        DataIssue(f"prefetch.{key}", "sample", not_checked=key, reason=reason, data_key=key, values=(("order", "MedicationRequest/d1"), ("fields", "dosageInstruction")))
        for key in WHAT
        for reason in WHY
    ]
    issues += [DataIssue("prefetch.medicationRequests[2]", "sample", skipped="MedicationRequest/2")]
    issues += [DataIssue("FHIR Medication/med-1", "sample", reason=reason) for reason in WHY]
    issues += [DataIssue("prefetch.medicationRequests[3]", "sample")]
    notes = [Unknown(what=what, subject={"en": "lorazepam", "nl": "lorazepam", "fr": "lorazépam"}, detail="sample") for what in UNKNOWN_TEXTS]
    variants = [(issues, notes), (issues[-1:], []), (issues[-2:-1], []), ([], notes)]
    cards = []
    for language in LANGUAGES:
        for some_issues, some_notes in variants:
            card = data_issues_card(some_issues, some_notes, language)
            assert card is not None
            cards.append((language, card.model_dump(mode="json", exclude_none=True)))
        cards.append((language, internal_error_card(language).model_dump(mode="json", exclude_none=True)))
    return cards


_CARD_PARTS = ("summary", "detail")


@lru_cache(maxsize=1)
def source_labels() -> frozenset[str]:
    """The rules' sources: titles of publications, which a merged card also shows as links."""
    rule_set = rule_holder().current
    assert rule_set is not None
    return frozenset(rule.rule.card.source.label for rule in rule_set.rules)


def card_texts(card: dict[str, Any], where: str, language: str) -> Iterator[Shipped]:
    """What a prescriber reads on a card, and what its suggestions write into the EHR."""
    for part in _CARD_PARTS:
        if card.get(part):
            yield Shipped(f"{where}.{part}", language, card[part])
    if card.get("source", {}).get("label"):
        yield Shipped(f"{where}.source", language, card["source"]["label"], citation=True)
    for link in card.get("links", []):
        yield Shipped(f"{where}.link", language, link["label"], citation=link["label"] in source_labels())
    for reason in card.get("overrideReasons", []):
        yield Shipped(f"{where}.overrideReason", language, reason["display"])
    for suggestion in card.get("suggestions", []):
        yield Shipped(f"{where}.suggestion", language, suggestion["label"])
        for action in suggestion.get("actions", []):
            yield Shipped(f"{where}.action", language, action.get("description", ""))
            if action.get("type") == "create":  # what the service writes; an update keeps the EHR's own words
                yield from _resource_texts(action.get("resource") or {}, f"{where}.resource", language)


def _resource_texts(value: Any, where: str, language: str) -> Iterator[Shipped]:
    """The `text` elements of a resource the service writes (coded displays stay as published)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "coding":
                continue
            if key == "text" and isinstance(item, str):
                yield Shipped(f"{where}.text", language, item)
            else:
                yield from _resource_texts(item, f"{where}.{key}", language)
    elif isinstance(value, list):
        for item in value:
            yield from _resource_texts(item, where, language)


# Plans that show every kind of taper text: tablets, a switch (on day 1 and as a cross-taper), several
# drugs, drug-free days, Belgian magistral capsules, Dutch tapering strips and oral solution, holds.
PLANS: tuple[dict[str, Any], ...] = (
    {"drug": "lorazepam", "dose": 3},
    {"drug": "zolpidem", "dose": 10, "pace": "slow"},
    {"drug": "lorazepam", "dose": 3, "switch_to": "diazepam", "holds": [2]},
    {"drug": "alprazolam", "dose": 1.5, "protocol": "asam_2025"},
    {"drug": "diazepam", "dose": 40, "protocol": "cks_ashton"},
    {"drug": "lorazepam", "dose": 2, "also_taking": [{"drug": "zolpidem", "dose": 10}]},
    {"drug": "oxazepam", "dose": 30, "market": "NL", "protocol": "nhg_lumc"},
    {"drug": "oxazepam", "dose": 30, "market": "NL", "form": "strips"},
    {"drug": "lorazepam", "dose": 2, "market": "NL", "form": "liquid"},
    {"drug": "lorazepam", "dose": 2.5, "market": "BE", "protocol": "riziv_inami", "form": "magistral"},
    {"drug": "clonazepam", "dose": 2, "market": "NL"},
)
_TAG_OR_SPACE = re.compile(r"<(style|script)\b.*?</\1>|<[^>]+>|&nbsp;", re.DOTALL)


@lru_cache(maxsize=1)
def taper_outputs() -> tuple[Shipped, ...]:
    """What `POST /taper` answers (plan, notes, table, FHIR texts) and the handout, in every language,
    for PLANS, and the handout's error page."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from tests.support.facts_support import TODAY

    found: list[Shipped] = []
    with TestClient(create_app(Settings(insecure_dev=True, rules_reload=False), today=lambda: TODAY)) as client:
        for plan_input in PLANS:
            for language in LANGUAGES:
                where = f"taper {plan_input} [{language}]"
                answer = client.post("/taper", json={**plan_input, "language": language})
                assert answer.status_code == 200, (where, answer.text)
                body = answer.json()
                plan = body["plan"]
                found.append(Shipped(f"{where} markdown", language, body["markdown"]))
                found += [Shipped(f"{where} notes", language, note) for note in plan.get("notes", [])]
                found += [Shipped(f"{where} step", language, step["taken"]) for step in plan["steps"] if step.get("taken")]
                for resource in body["medicationRequests"]:
                    found.extend(_resource_texts(resource, f"{where} fhir", language))
                page = client.get(f"/{body['handout']}")
                assert page.status_code == 200, where
                found.append(Shipped(f"{where} handout", language, html.unescape(_TAG_OR_SPACE.sub(" ", page.text))))
        for language in LANGUAGES:
            page = client.get(f"/taper/handout?drug=paracetamol&dose=3&language={language}")
            found.append(Shipped(f"handout error [{language}]", language, html.unescape(_TAG_OR_SPACE.sub(" ", page.text))))
    return tuple(found)


def received_texts() -> list[Shipped]:
    found: list[Shipped] = []
    for answer in answers():
        for index, card in enumerate(answer.response.get("cards", [])):
            found.extend(card_texts(card, f"{answer.where} [{answer.language}] card {index}", answer.language))
    for language, card in data_cards():
        found.extend(card_texts(card, f"data card [{language}]", language))
    return [*found, *taper_outputs()]
