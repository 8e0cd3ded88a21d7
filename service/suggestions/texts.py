"""The words of suggestions, in the three languages cards are shown in."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "small_pack_label": {
        "en": "Prescribe {quantity} {unit} ({days} days), without repeats",
        "nl": "Schrijf {quantity} {unit} voor ({days} dagen), zonder herhalingen",
        "fr": "Prescrire {quantity} {unit} ({days} jours), sans renouvellement",
    },
    "small_pack_description": {
        "en": "Change the quantity of this order to {quantity} {unit}: enough for {days} days at the prescribed dose.",
        "nl": "Zet de hoeveelheid van dit voorschrift op {quantity} {unit}: genoeg voor {days} dagen aan de voorgeschreven dosis.",
        "fr": "Ramener la quantité de cette prescription à {quantity} {unit} : de quoi couvrir {days} jours à la dose prescrite.",
    },
    "pack_fits": {
        "en": "A pack of {pack} fits.",
        "nl": "Een verpakking van {pack} stuks past.",
        "fr": "Un conditionnement de {pack} unités convient.",
    },
    "unit_dispensing": {
        "en": "No marketed pack of {quantity} is known: ask the pharmacy to dispense {quantity} units.",
        "nl": "Er is geen verpakking van {quantity} bekend: vraag de apotheek {quantity} stuks af te leveren.",
        "fr": "Aucun conditionnement de {quantity} n'est connu : demandez à la pharmacie de délivrer {quantity} unités.",
    },
    "referral_label": {
        "en": "Refer for specialised support with stopping",
        "nl": "Verwijs voor gespecialiseerde ondersteuning bij het stoppen",
        "fr": "Orienter vers un soutien spécialisé pour l'arrêt",
    },
    "referral_description": {
        "en": "Create a draft referral, to discuss with the patient and then send.",
        "nl": "Maak een conceptverwijzing aan, om met de patiënt te bespreken en daarna te versturen.",
        "fr": "Créer un projet d'orientation, à discuter avec le patient puis à envoyer.",
    },
    "referral_code_text": {
        "en": "Referral to specialised care for support with stopping a benzodiazepine or Z-drug",
        "nl": "Verwijzing naar gespecialiseerde zorg voor ondersteuning bij het stoppen met een benzodiazepine of Z-drug",
        "fr": "Orientation vers des soins spécialisés pour un accompagnement à l'arrêt d'une benzodiazépine ou d'un apparenté",
    },
    "referral_reason": {
        "en": "Long-term or high-dose use of a benzodiazepine or Z-drug: {summary}",
        "nl": "Langdurig gebruik of hoge dosis van een benzodiazepine of Z-drug: {summary}",
        "fr": "Usage prolongé ou à dose élevée d'une benzodiazépine ou d'un apparenté : {summary}",
    },
    "days_unit": {"en": "days", "nl": "dagen", "fr": "jours"},  # the unit of expectedSupplyDuration (UCUM "d")
    "help_heading": {
        "en": "Help for the patient",
        "nl": "Hulp voor de patiënt",
        "fr": "Aide pour le patient",
    },
}


def text(key: str, language: str, **values: object) -> str:
    table = TEXTS[key]
    return (table.get(language) or table["en"]).format(**values)


DOSE_UNIT_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "tablet": {"en": ("tablet", "tablets"), "nl": ("tablet", "tabletten"), "fr": ("comprimé", "comprimés")},
    "capsule": {"en": ("capsule", "capsules"), "nl": ("capsule", "capsules"), "fr": ("gélule", "gélules")},
}
UNIT_FAMILIES = {
    "tablet": {"tablet", "tablets", "tab", "tabs", "{tbl}", "{tablet}", "comprimé", "comprimés", "tabletten"},
    "capsule": {"capsule", "capsules", "caps", "cap", "{capsule}", "gélule", "gélules"},
}


def unit_words(unit: str, quantity: int, language: str) -> str:
    """`14 tablets`, `1 comprimé`: the dispensing unit in the card's language, else as the EHR wrote it."""
    for family, spellings in UNIT_FAMILIES.items():
        if unit.strip().lower() in spellings:
            singular, plural = DOSE_UNIT_WORDS[family].get(language, DOSE_UNIT_WORDS[family]["en"])
            return singular if quantity == 1 else plural
    return unit
