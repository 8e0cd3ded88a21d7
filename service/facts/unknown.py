"""A figure that could not be worked out, said in the prescriber's language.

The facts note what they could not derive (`Facts.unknown`), the pipeline adds rules it could not
apply; the data card lists them. Each note keeps its technical detail (English, for `bzra-cds facts`
and the English card); Dutch and French say it in a clinician's words instead of the parser's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from service.language import language_or_default

UnknownKind = Literal["age", "dose", "equivalence", "current_dose", "rule", "rules"]

TEXTS: dict[str, dict[str, str]] = {
    "age": {
        "en": "age: no birth date recorded",
        "nl": "leeftijd: geen geboortedatum geregistreerd",
        "fr": "âge : aucune date de naissance enregistrée",
    },
    "dose": {
        "en": "dose of {subject}: {detail}",
        "nl": "dosis van {subject}: niet af te leiden uit de gebruiksaanwijzing",
        "fr": "dose de {subject} : impossible à déduire de la posologie",
    },
    "equivalence": {
        "en": "diazepam-equivalent of {subject}: no equivalence figure",
        "nl": "diazepamequivalent van {subject}: geen omrekeningsfactor bekend",
        "fr": "équivalent diazépam de {subject} : aucun facteur de conversion connu",
    },
    "current_dose": {
        "en": "current dose of {subject}: {detail}",
        "nl": "huidige dosis van {subject}: niet af te leiden uit de voorgeschiedenis",
        "fr": "dose actuelle de {subject} : impossible à déduire de l'historique",
    },
    "rule": {
        "en": "{subject}: {detail}",
        "nl": "een klinische regel kon niet worden toegepast; de andere adviezen gelden wel",
        "fr": "une règle clinique n'a pas pu être appliquée ; les autres conseils restent valables",
    },
    "rules": {
        "en": "clinical rules: no valid rule set is loaded",
        "nl": "klinische regels: er is geen geldige regelset geladen",
        "fr": "règles cliniques : aucun ensemble de règles valide n'est chargé",
    },
}


class Unknown(BaseModel):
    """What could not be worked out (`what`), of what (`subject`, per language, or one text for all:
    an order's medication as the EHR wrote it) and why (`detail`, technical, English)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    what: UnknownKind
    """What could not be worked out."""
    subject: dict[str, str] = {}
    """Of what, per language (or one text for all: a medication as the EHR wrote it)."""
    detail: str = ""
    """Why, in technical English."""

    def text(self, language: str = "en") -> str:
        language = language_or_default(language)
        subject = self.subject.get(language) or self.subject.get("en") or ""
        return TEXTS[self.what][language].format(subject=subject, detail=self.detail)

    def __str__(self) -> str:
        return self.text("en")
