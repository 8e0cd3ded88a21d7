"""`TaperError`: input that cannot give a plan, with the field at fault and the reason in en, nl and fr.

The error keeps a code and its values, so the CLI, `POST /taper`, the handout page and the planner
each say it in the request's language (decimal comma in nl and fr). `message` is the English text.
The names and values of the API (`switch_to`, `none`) stay as they are typed, marked as code in
Dutch and French.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.errors import Fields, RequestError
from service.taper.wording import fill

__all__ = ["ERRORS", "TaperError"]

ERRORS: dict[str, dict[str, str]] = {
    "dose_missing": {
        "en": "no dose given; write the daily dose like '3 mg/day'",
        "nl": "geen dosis opgegeven; schrijf de dagdosis als '3 mg/dag'",
        "fr": "aucune dose indiquée ; écrivez la dose journalière comme « 3 mg/jour »",
    },
    "dose_unreadable": {
        "en": "cannot read the dose '{value}'; write the daily dose like '3 mg/day', '0.5 mg' or '500 µg/day'",
        "nl": "de dosis '{value}' is niet leesbaar; schrijf de dagdosis als '3 mg/dag', '0,5 mg' of '500 µg/dag'",
        "fr": "la dose « {value} » est illisible ; écrivez la dose journalière comme « 3 mg/jour », « 0,5 mg » ou « 500 µg/jour »",
    },
    "dose_not_positive": {
        "en": "the daily dose must be more than 0 mg, not '{value}'",
        "nl": "de dagdosis moet meer dan 0 mg zijn, niet '{value}'",
        "fr": "la dose journalière doit être supérieure à 0 mg, pas « {value} »",
    },
    "dose_implausible": {
        "en": "{dose} mg {drug} a day ({de} mg diazepam-equivalent) is not a plausible daily dose (the limit is {limit} mg diazepam-equivalent); check the dose and its unit",
        "nl": "{dose} mg {drug} per dag ({de} mg diazepamequivalent) is geen aannemelijke dagdosis (de grens is {limit} mg diazepamequivalent); controleer de dosis en de eenheid",
        "fr": "{dose} mg de {drug} par jour ({de} mg d'équivalent diazépam) n'est pas une dose journalière plausible (la limite est de {limit} mg d'équivalent diazépam) ; vérifiez la dose et son unité",
    },
    "too_many_steps": {
        "en": "the plan would need more than {max} steps; check the dose and its unit",
        "nl": "het schema zou meer dan {max} stappen nodig hebben; controleer de dosis en de eenheid",
        "fr": "le schéma demanderait plus de {max} paliers ; vérifiez la dose et son unité",
    },
    "dose_below_forms": {
        "en": "{dose} mg a day is less than the smallest dose the {form} of {drug} {in_market} make ({smallest} mg); choose another form or another dose",
        "nl": "{dose} mg per dag is minder dan de kleinste dosis die de {form} van {drug} {in_market} toelaten ({smallest} mg); kies een andere vorm of een andere dosis",
        "fr": "{dose} mg par jour est inférieur à la plus petite dose que permettent les {form} de {drug} {in_market} ({smallest} mg) ; choisissez une autre forme ou une autre dose",
    },
    "no_steps": {
        "en": "{dose} mg {drug} a day cannot be lowered step by step with the {form} {in_market} under {protocol}; choose another protocol, another form or a switch to diazepam",
        "nl": "{dose} mg {drug} per dag kan niet stap voor stap verlaagd worden met de {form} {in_market} volgens {protocol}; kies een ander protocol, een andere vorm of een overschakeling op diazepam",
        "fr": "{dose} mg de {drug} par jour ne peut pas être réduit palier par palier avec les {form} disponibles {in_market} selon {protocol} ; choisissez un autre protocole, une autre forme ou un relais par le diazépam",
    },
    "drug_missing": {
        "en": "no drug given; name a benzodiazepine or Z-drug, e.g. 'lorazepam'",
        "nl": "geen geneesmiddel opgegeven; noem een benzodiazepine of Z-drug, bv. 'lorazepam'",
        "fr": "aucun médicament indiqué ; nommez une benzodiazépine ou un apparenté, p. ex. « lorazépam »",
    },
    "drug_unknown": {
        "en": "unknown drug '{value}': not a benzodiazepine or Z-drug this service knows",
        "nl": "onbekend geneesmiddel '{value}': geen benzodiazepine of Z-drug die deze dienst kent",
        "fr": "médicament inconnu « {value} » : ce n'est pas une benzodiazépine ni un apparenté connu de ce service",
    },
    "drug_did_you_mean": {
        "en": "unknown drug '{value}'; did you mean {suggestion}?",
        "nl": "onbekend geneesmiddel '{value}'; bedoelt u {suggestion}?",
        "fr": "médicament inconnu « {value} » ; vouliez-vous dire {suggestion} ?",
    },
    "drug_ambiguous": {
        "en": "'{value}' can mean {choices}; name the ingredient",
        "nl": "'{value}' kan {choices} betekenen; noem de werkzame stof",
        "fr": "« {value} » peut désigner {choices} ; indiquez la substance active",
    },
    "drug_procedural": {
        "en": "{drug} is given only for procedural sedation (intravenously); there is no outpatient taper",
        "nl": "{drug} wordt alleen gegeven voor procedurele sedatie (intraveneus); er is geen ambulant afbouwschema",
        "fr": "{drug} : donné uniquement pour la sédation procédurale (par voie intraveineuse) ; il n'y a pas de schéma de diminution en ambulatoire",
    },
    "drug_no_products": {
        "en": "no {drug} product is listed {in_market}, and no diazepam equivalent is known to switch to",
        "nl": "er is geen product met {drug} {in_market}, en er is geen diazepamequivalent bekend om op over te schakelen",
        "fr": "aucun produit de {drug} n'est répertorié {in_market}, et aucun équivalent diazépam n'est connu pour un relais",
    },
    "protocol_unknown": {
        "en": "unknown protocol '{value}'; choose {choices}",
        "nl": "onbekend protocol '{value}'; kies {choices}",
        "fr": "protocole inconnu « {value} » ; choisissez {choices}",
    },
    "protocol_market": {
        "en": "the {protocol} protocol is for {markets} only, not for {market}",
        "nl": "het protocol {protocol} geldt alleen voor {markets}, niet voor {market}",
        "fr": "le protocole {protocol} ne vaut que pour {markets}, pas pour {market}",
    },
    "protocol_form": {
        "en": "the {protocol} protocol is given as {forms}; choose that form or another protocol",
        "nl": "het protocol {protocol} gebruikt {forms}; kies die vorm of een ander protocol",
        "fr": "le protocole {protocol} utilise des {forms} ; choisissez cette forme ou un autre protocole",
    },
    "pace_unknown": {
        "en": "unknown pace '{value}'; choose {choices}",
        "nl": "onbekend tempo '{value}'; kies {choices}",
        "fr": "rythme inconnu « {value} » ; choisissez {choices}",
    },
    "form_unknown": {
        "en": "unknown form '{value}'; choose {choices}",
        "nl": "onbekende vorm '{value}'; kies {choices}",
        "fr": "forme inconnue « {value} » ; choisissez {choices}",
    },
    "form_market": {
        "en": "{form} are not offered {in_market} (only: {markets})",
        "nl": "{form} bestaan niet {in_market} (alleen: {markets})",
        "fr": "les {form} ne sont pas proposées {in_market} (seulement : {markets})",
    },
    "form_drug": {
        "en": "there are no {form} of {drug} {in_market}",
        "nl": "er bestaan geen {form} met {drug} {in_market}",
        "fr": "il n'existe pas de {form} de {drug} {in_market}",
    },
    "switch_unknown": {
        "en": "switch_to is 'diazepam', 'none' or empty (the protocol decides), not '{value}'",
        "nl": "`switch_to` is `diazepam`, `none` of leeg (het protocol beslist), niet '{value}'",
        "fr": "`switch_to` vaut `diazepam`, `none` ou vide (le protocole décide), pas « {value} »",
    },
    "switch_no_equivalent": {
        "en": "the {table} equivalence table (with its fallbacks) gives no diazepam equivalent for {drug}, so a switch cannot be planned",
        "nl": "de omrekentabel {table} (met haar reservetabellen) geeft geen diazepamequivalent voor {drug}; een overschakeling kan niet worden gepland",
        "fr": "la table d'équivalence {table} (et ses tables de repli) ne donne pas d'équivalent diazépam pour {drug} ; un relais ne peut pas être planifié",
    },
    "switch_needed_for_several": {
        "en": "several benzodiazepines or Z-drugs are tapered together only after a switch to diazepam; do not combine also_taking with switch_to 'none'",
        "nl": "meerdere benzodiazepines of Z-drugs worden alleen samen afgebouwd na een overschakeling op diazepam; combineer `also_taking` niet met `switch_to` `none`",
        "fr": "plusieurs benzodiazépines ou apparentés ne sont diminués ensemble qu'après un relais par le diazépam ; ne combinez pas `also_taking` avec `switch_to` `none`",
    },
    "protocol_needs_equivalent": {
        "en": "the {protocol} protocol counts its steps in mg of diazepam, and the {table} table gives no diazepam equivalent for {drug}; choose another protocol",
        "nl": "het protocol {protocol} telt zijn stappen in mg diazepam, en de omrekentabel {table} geeft geen diazepamequivalent voor {drug}; kies een ander protocol",
        "fr": "le protocole {protocol} compte ses paliers en mg de diazépam, et la table {table} ne donne pas d'équivalent diazépam pour {drug} ; choisissez un autre protocole",
    },
    "start_invalid": {
        "en": "the start must be a date written YYYY-MM-DD, not '{value}'",
        "nl": "de startdatum moet geschreven zijn als JJJJ-MM-DD, niet '{value}'",
        "fr": "la date de début doit être écrite AAAA-MM-JJ, pas « {value} »",
    },
    "hold_invalid": {
        "en": "a hold names a step number (1, 2, ...), not '{value}'",
        "nl": "een pauze noemt een stapnummer (1, 2, ...), niet '{value}'",
        "fr": "une pause indique un numéro de palier (1, 2, ...), pas « {value} »",
    },
    "hold_beyond": {
        "en": "cannot hold after step {step}: the plan has steps 1 to {last} before it stops",
        "nl": "geen pauze mogelijk na stap {step}: het schema heeft stappen 1 tot {last} vóór het stoppen",
        "fr": "pas de pause possible après le palier {step} : le schéma compte les paliers 1 à {last} avant l'arrêt",
    },
    "hold_too_many": {
        "en": "the {protocol} protocol allows at most {max} stabilisation periods",
        "nl": "het protocol {protocol} laat hoogstens {max} stabilisatieperiodes toe",
        "fr": "le protocole {protocol} permet au plus {max} périodes de stabilisation",
    },
    "table_unknown": {
        "en": "unknown equivalence table '{value}'; known tables: {choices}",
        "nl": "onbekende omrekentabel '{value}'; bekende tabellen: {choices}",
        "fr": "table d'équivalence inconnue « {value} » ; tables connues : {choices}",
    },
    "market_unknown": {
        "en": "unknown market '{value}'; known markets: {choices}",
        "nl": "onbekende markt '{value}'; bekende markten: {choices}",
        "fr": "marché inconnu « {value} » ; marchés connus : {choices}",
    },
    "language_unknown": {
        "en": "unknown language '{value}'; choose en, nl or fr",
        "nl": "onbekende taal '{value}'; kies en, nl of fr",
        "fr": "langue inconnue « {value} » ; choisissez en, nl ou fr",
    },
}


class TaperError(RequestError):
    """Input that cannot give a plan; `field` names the input, `reason` which mistake it is (a key of
    `ERRORS`), `text(language)` says why. Its HTTP code is always `invalid_taper`."""

    status = 422
    code = "invalid_taper"

    def __init__(self, field: str, reason: str, **values: Any) -> None:
        self.field = field
        self.reason = reason
        self.values: Mapping[str, Any] = values
        super().__init__(self.text("en"))

    def text(self, language: str = "en") -> str:
        return fill(ERRORS[self.reason], self.values, language)

    def fields_in(self, language: str = "en") -> Fields:
        return [{"field": self.field or "", "problem": self.text(language)}]
