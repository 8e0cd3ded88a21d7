"""The glossary: the one word per concept in each language, the words that must never appear, and how
to tell English left in a Dutch or French text (`data/language/glossary.yaml`).

Read by the glossary test, which holds every shipped text to it; kept in the data so that clinicians
and translators review the words in one place.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from service.errors import DeploymentError
from service.yamlsource import read_model

GLOSSARY_FILE = Path(__file__).parent / "data" / "language" / "glossary.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(_Strict):
    title: str
    url: str | None = None


class Usage(_Strict):
    use: str
    avoid: list[str] = []


class Term(_Strict):
    meaning: str
    en: Usage
    nl: Usage
    fr: Usage
    sources: list[str] = Field(min_length=1)

    def usage(self, language: str) -> Usage:
        return getattr(self, language)


class Never(_Strict):
    note: str
    sources: list[str] = Field(min_length=1)
    en: list[str]
    nl: list[str]
    fr: list[str]


class WrongForm(_Strict):
    text: str
    why: str


class Allowed(_Strict):
    note: str
    words: list[str]


class EnglishMarkers(_Strict):
    note: str
    markers: list[str]
    allowed: Allowed


class Glossary(_Strict):
    schema_version: int
    sources: dict[str, Cited]
    terms: dict[str, Term]
    never: Never
    wrong_forms: dict[str, list[WrongForm]]
    english: EnglishMarkers

    def avoided(self, language: str) -> list[tuple[str, str]]:
        """(variant, the word to use instead) for every term in `language`."""
        return [(variant, term.usage(language).use) for term in self.terms.values() for variant in term.usage(language).avoid]


class GlossaryError(DeploymentError):
    """The glossary file is invalid or cites a source it does not list."""


@lru_cache(maxsize=4)
def load_glossary(path: Path = GLOSSARY_FILE) -> Glossary:
    _, glossary, problems = read_model(path, Glossary)
    if glossary is None or problems:
        raise GlossaryError("; ".join(str(p) for p in problems) or f"{path}: empty")
    unknown = {s for term in glossary.terms.values() for s in term.sources} | set(glossary.never.sources)
    missing = sorted(unknown - set(glossary.sources))
    if missing:
        raise GlossaryError(f"{path}: unknown sources {', '.join(missing)}")
    return glossary


def phrase_pattern(phrase: str, *, inside_words: bool = False) -> re.Pattern[str]:
    """A case-insensitive pattern for a word or phrase (a hyphen ends a word: "ontwerp" is found in
    "ontwerp-verwijzing"); `inside_words` also finds it inside a compound ("benzodiazepineverslaving")."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    if inside_words:
        return re.compile(body, re.IGNORECASE)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)
