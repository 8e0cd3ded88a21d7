"""Every shipped text holds to its language's glossary (`service/knowledge/data/language/glossary.yaml`).

The texts are collected from where they live (`tests/support/shipped_texts.py`): the language tables of every
module, the rules and override reasons, the knowledge's display names, the demo page and planner
strings, and whole hook answers in en, nl and fr (demo patients, rule test cases, the example, the
data card). Checked: no stigmatising word in any language, the glossary's word for each concept, no
wrong form (gender errors, calques), no English left in Dutch or French, French spacing before
: ; ? !, and one style for numbers and dates per language.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from service.knowledge.glossary import Glossary, load_glossary, phrase_pattern
from service.language import MONTHS
from tests.support import shipped_texts
from tests.support.shipped_texts import LANGUAGES, Shipped

SHOWN = 40  # violations listed in a failure


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    return load_glossary()


@lru_cache(maxsize=1)
def every_text() -> tuple[Shipped, ...]:
    return tuple(dict.fromkeys([*shipped_texts.written_texts(), *shipped_texts.received_texts()]))


_URL = re.compile(r"https?://\S+|\b[\w.-]+\.(?:org|com|be|nl|gov|uk)\b[/\w.?=&%-]*")
_CODE = re.compile(r"`[^`]*`")


def plain(text: str) -> str:
    """The words of a text: no URLs, no code spans, no Markdown table rules."""
    return _CODE.sub(" ", _URL.sub(" ", text)).replace("|---", " ")


def _report(violations: list[str]) -> str:
    unique = list(dict.fromkeys(violations))
    return f"{len(unique)} problem(s):\n" + "\n".join(unique[:SHOWN])


def _in(language: str) -> list[Shipped]:
    return [t for t in every_text() if t.language == language]


# ---- the glossary itself ----------------------------------------------------------------------------------


def test_the_glossary_names_one_word_per_concept_in_each_language_with_its_sources() -> None:
    words = glossary()
    assert {"draft_order", "taper", "taper_plan", "pack", "step", "prescriber", "long_term_use", "diazepam_equivalent", "referral", "critical"} <= set(words.terms)
    for term in words.terms.values():
        for language in LANGUAGES:
            usage = term.usage(language)
            assert usage.use and usage.use.lower() not in [a.lower() for a in usage.avoid]
    assert words.terms["draft_order"].nl.use == "conceptvoorschrift" and words.terms["critical"].nl.use == "dringend"
    for language in LANGUAGES:
        assert getattr(words.never, language), language


def test_the_checks_find_what_they_look_for() -> None:
    """Each check is shown a text it must reject, so that a silent check cannot pass the suite."""
    assert _stigmatising(Shipped("x", "nl", "Bij benzodiazepineverslaving ...")) and not _stigmatising(Shipped("x", "nl", "Langdurig gebruik"))
    assert _avoided(Shipped("x", "nl", "Ontwerp-verwijzing, te versturen")) and not _avoided(Shipped("x", "nl", "Conceptverwijzing"))
    assert _wrong_forms(Shipped("x", "fr", "Arrêter un benzodiazépine")) and not _wrong_forms(Shipped("x", "fr", "une benzodiazépine"))
    assert _english(Shipped("x", "nl", "Remove the draft order")) and not _english(Shipped("x", "nl", "Verwijder het conceptvoorschrift (WHO, NHG)"))
    assert _french_spacing(Shipped("x", "fr", "Remarques: voir")) and not _french_spacing(Shipped("x", "fr", "Remarques : voir https://x.org/a?b=c"))
    assert _number_style(Shipped("x", "nl", "lorazepam 2.25 mg")) and not _number_style(Shipped("x", "nl", "lorazepam 2,25 mg (ICD-10 F10.2)"))
    assert _date_style(Shipped("x", "fr", "à partir du 2026-12-06")) and _date_style(Shipped("x", "nl", "7 Dec 2026"))
    assert not _date_style(Shipped("x", "nl", "7 dec 2026")) and not _date_style(Shipped("x", "fr", "7 déc. 2026"))
    assert _drug_spelling(Shipped("x", "fr", "lorazepam 1 mg")) and not _drug_spelling(Shipped("x", "fr", "lorazépam 1 mg"))


# ---- the checks -------------------------------------------------------------------------------------------


def _stigmatising(text: Shipped) -> list[str]:
    inside = text.language == "nl"  # Dutch writes compounds as one word: benzodiazepineverslaving
    words = getattr(glossary().never, text.language)
    return [f"{text.where} [{text.language}]: '{w}' in {text.text!r}" for w in words if phrase_pattern(w, inside_words=inside).search(plain(text.text))]


def _avoided(text: Shipped) -> list[str]:
    return [
        f"{text.where} [{text.language}]: '{variant}' (use '{use}') in {text.text!r}"
        for variant, use in glossary().avoided(text.language)
        if phrase_pattern(variant).search(plain(text.text))
    ]


def _wrong_forms(text: Shipped) -> list[str]:
    forms = glossary().wrong_forms.get(text.language, [])
    return [f"{text.where}: '{f.text}' ({f.why}) in {text.text!r}" for f in forms if phrase_pattern(f.text).search(plain(text.text))]


_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@lru_cache(maxsize=1)
def _markers() -> frozenset[str]:
    return frozenset(glossary().english.markers)


@lru_cache(maxsize=1)
def _allowed() -> re.Pattern[str]:
    names = sorted(glossary().english.allowed.words, key=len, reverse=True)
    return re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names))


def _english(text: Shipped) -> list[str]:
    if text.language == "en" or text.citation:
        return []
    words = _WORD.findall(_allowed().sub(" ", plain(text.text)))
    found = [w for w in words if not w.isupper() and w.lower() in _markers()]
    return [f"{text.where} [{text.language}]: English {found} in {text.text!r}"] if found else []


_BEFORE_SPACE = re.compile(r"(?<=\S)[:;?!»]|«(?=\S)")
_ODD_SPACE = re.compile(r"[\u00a0\u202f](?=[:;?!»])|«[\u00a0\u202f]")
_TIME = re.compile(r"\d:\d")


def _french_spacing(text: Shipped) -> list[str]:
    """French puts a (normal) space before : ; ? ! and », and after «."""
    if text.language != "fr" or text.citation:
        return []
    body = _TIME.sub("0", plain(text.text))
    problems = [m.group() for m in _BEFORE_SPACE.finditer(body)] + [repr(m.group()) for m in _ODD_SPACE.finditer(body)]
    return [f"{text.where}: no space before/after {problems} in {text.text!r}"] if problems else []


_DECIMAL_POINT = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")


def _number_style(text: Shipped) -> list[str]:
    if text.language == "en" or text.citation:
        return []
    found = _DECIMAL_POINT.findall(plain(text.text))
    return [f"{text.where} [{text.language}]: decimal point {found} in {text.text!r}"] if found else []


_ISO_DATE = re.compile(r"(?<![\w/=-])\d{4}-\d{2}-\d{2}(?![\w-])")
_ALL_MONTHS = sorted({m for months in MONTHS.values() for m in months} | {m.rstrip(".") for months in MONTHS.values() for m in months}, key=len, reverse=True)
_DAY_MONTH = re.compile(r"\b\d{1,2} (" + "|".join(re.escape(m) for m in _ALL_MONTHS) + r")(\.?) \d{4}\b")
_FULL_MONTH = re.compile(
    r"\b\d{1,2} (january|february|march|april|june|july|august|september|october|november|december|januari|februari|maart|juni|juli|augustus|oktober|janvier|février|avril|juillet|septembre|octobre|novembre|décembre) \d{4}\b",
    re.IGNORECASE,
)


def _date_style(text: Shipped) -> list[str]:
    """A date is written day, short month, year, with the language's months (`service.language`)."""
    if text.citation:
        return []
    body = plain(text.text)
    problems = _ISO_DATE.findall(body) + [m.group() for m in _FULL_MONTH.finditer(body)]
    months = MONTHS[text.language]
    problems += [m.group() for m in _DAY_MONTH.finditer(body) if f"{m.group(1)}{m.group(2)}" not in months]
    return [f"{text.where} [{text.language}]: date {problems} in {text.text!r}"] if problems else []


@lru_cache(maxsize=1)
def _foreign_names() -> dict[str, re.Pattern[str]]:
    """Per language, the English spelling of every drug name the language spells otherwise, in lower
    case as a generic name is written (a brand is a proper name: "Lorazepam EG" stays as marketed)."""
    known = shipped_texts.knowledge()
    names = [d.display for d in known.drugs.values()] + [m.display for c in known.comedication_classes.values() for m in c.members.values()]
    patterns = {}
    for language in ("nl", "fr"):
        english = sorted({n.en for n in names if getattr(n, language) and getattr(n, language).lower() != n.en.lower()}, key=len, reverse=True)
        patterns[language] = re.compile(r"(?<![\w-])(" + "|".join(re.escape(e) for e in english) + r")(?![\w-])")
    return patterns


def _drug_spelling(text: Shipped) -> list[str]:
    if text.language == "en" or text.citation:
        return []
    found = _foreign_names()[text.language].findall(plain(text.text))
    return [f"{text.where} [{text.language}]: English drug name {found} in {text.text!r}"] if found else []


# ---- the tests ----------------------------------------------------------------------------------------------


def test_every_rule_text_and_override_reason_is_in_every_language() -> None:
    assert shipped_texts.missing_rule_translations() == []


def test_every_text_is_collected() -> None:
    """The collection reaches every source: if one went missing, the checks below would pass on nothing."""
    texts = every_text()
    wheres = " ".join(t.where for t in texts)
    for source in ("service.data_card_texts", "service.suggestions.texts", "service.suggestions.reconsider", "service.facts.unknown",
                   "rules/high-dose", "override-reasons", "knowledge drug", "i18n.js", "demo jan-de-groot", "high-dose.test.yaml",
                   "examples/order-sign-request.json", "data card", "service.demo.catalog", "service.api.error_texts",
                   "service.taper.note_texts", "service.taper.errors", "service.taper.handout_texts", "handout", "fhir"):
        assert source in wheres, source
    for language in LANGUAGES:
        assert len(_in(language)) > 1000, language


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_stigmatising_word(language: str) -> None:
    violations = [v for t in _in(language) for v in _stigmatising(t)]
    assert not violations, _report(violations)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_glossary_word_for_each_concept(language: str) -> None:
    violations = [v for t in _in(language) if not t.citation for v in _avoided(t) + _wrong_forms(t)]
    assert not violations, _report(violations)


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_no_english_left(language: str) -> None:
    violations = [v for t in _in(language) for v in _english(t) + _drug_spelling(t)]
    assert not violations, _report(violations)


def test_french_puts_a_space_before_colon_semicolon_question_and_exclamation_marks() -> None:
    violations = [v for t in _in("fr") for v in _french_spacing(t)]
    assert not violations, _report(violations)


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_style_for_numbers_and_dates(language: str) -> None:
    violations = [v for t in _in(language) for v in _number_style(t) + _date_style(t)]
    assert not violations, _report(violations)
