"""Dose units: which quantities can be turned into milligrams, and how.

The factors here are unit definitions (1 g = 1000 mg), not clinical figures.
A *count* unit means "one dose unit of the product" (a tablet, a capsule, a
suppository…): it only becomes milligrams when the caller knows the product
strength, so it is classified separately from mass.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"

Kind = Literal["mass", "count", "volume"]


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """What one unit of a quantity is worth.

    ``factor`` is mg per unit for mass, product units per unit for count
    (0.5 for "half tablet") and mL per unit for volume.
    """

    kind: Kind
    factor: float
    label: str


@dataclass(frozen=True, slots=True)
class UnitProblem:
    """Why a unit cannot be used; ``reason`` is shown to prescribers."""

    reason: str


def _mass(factor: float, label: str = "mg") -> UnitInfo:
    return UnitInfo("mass", factor, label)


_MG = _mass(1.0)
_UG = _mass(1e-3)
_G = _mass(1e3)
_NG = _mass(1e-6)
_KG = _mass(1e6)
_ML = UnitInfo("volume", 1.0, "mL")
_L = UnitInfo("volume", 1e3, "mL")
_TABLET = UnitInfo("count", 1.0, "tablet")
_CAPSULE = UnitInfo("count", 1.0, "capsule")
_UNIT = UnitInfo("count", 1.0, "unit")
_SUPPOSITORY = UnitInfo("count", 1.0, "suppository")

# UCUM codes are case-sensitive; these are the ones EHRs send for oral doses.
UCUM_CODES: dict[str, UnitInfo] = {
    "mg": _MG,
    "ug": _UG,
    "g": _G,
    "ng": _NG,
    "kg": _KG,
    "mL": _ML,
    "ml": _ML,
    "L": _L,
    "l": _L,
    "1": _UNIT,
}

# SNOMED CT units.  258xxx are units of measure; 385055001/385049006 are basic
# dose forms, 7329xxxxx units of presentation, 428673006/428641000 the dm+d
# "unit of product usage" concepts (tablet / capsule).
SNOMED_CODES: dict[str, UnitInfo | UnitProblem] = {
    "258684004": _MG,
    "258685003": _UG,
    "258682000": _G,
    "258773002": _ML,
    "385055001": _TABLET,
    "732936001": _TABLET,
    "428673006": _TABLET,
    "385049006": _CAPSULE,
    "732937005": _CAPSULE,
    "428641000": _CAPSULE,
    "415215001": UnitProblem("unit 'puff' not convertible to mg"),
}

# Free-text unit words (already lower-cased, without "(s)"/"(ten)" suffixes).
MASS_WORDS: dict[str, UnitInfo] = {
    "mg": _MG,
    "mgs": _MG,
    "milligram": _MG,
    "milligrams": _MG,
    "milligramme": _MG,
    "milligrammes": _MG,
    "milligramm": _MG,
    "ug": _UG,
    "µg": _UG,
    "μg": _UG,
    "mcg": _UG,
    "microgram": _UG,
    "micrograms": _UG,
    "microgramme": _UG,
    "microgrammes": _UG,
    "mikrogramm": _UG,
    "g": _G,
    "gram": _G,
    "grams": _G,
    "gramme": _G,
    "grammes": _G,
    "gr": _G,
    "ng": _NG,
    "nanogram": _NG,
    "nanograms": _NG,
    "kg": _KG,
}
VOLUME_WORDS: dict[str, UnitInfo] = {
    "ml": _ML,
    "millilitre": _ML,
    "milliliter": _ML,
    "millilitres": _ML,
    "milliliters": _ML,
    "cc": _ML,
    "l": _L,
    "liter": _L,
    "litre": _L,
}
COUNT_WORDS: dict[str, UnitInfo] = {
    **dict.fromkeys(
        [
            "tablet",
            "tablets",
            "tab",
            "tabs",
            "tabl",
            "tbl",
            "tablett",
            "tabletten",
            "tablette",
            "tabletter",
            "comprimé",
            "comprimés",
            "comprime",
            "comprimes",
            "cp",
            "cpr",
            "compr",
            "pill",
            "pills",
            "dragee",
            "dragée",
            "dragees",
            "smelttablet",
            "smelttabletten",
            "lyotablet",
            "orodispersible",
        ],
        _TABLET,
    ),
    **dict.fromkeys(
        [
            "capsule",
            "capsules",
            "caps",
            "cap",
            "capsula",
            "kapsel",
            "kapseln",
            "gélule",
            "gélules",
            "gelule",
            "gelules",
        ],
        _CAPSULE,
    ),
    **dict.fromkeys(
        ["suppository", "suppositories", "zetpil", "zetpillen", "suppositoire", "suppositoires"],
        _SUPPOSITORY,
    ),
    **dict.fromkeys(
        [
            "stuk",
            "stuks",
            "stück",
            "piece",
            "pieces",
            "each",
            "ea",
            "rectiole",
            "rectioles",
            "tube",
            "tubes",
            "ampoule",
            "ampoules",
            "ampul",
            "ampullen",
            "sachet",
            "sachets",
            "lozenge",
            "lozenges",
        ],
        _UNIT,
    ),
}
# Known dose units that are neither a mass nor one unit of a solid product.
NOT_CONVERTIBLE_WORDS: frozenset[str] = frozenset(
    [
        "puff",
        "puffs",
        "inhalation",
        "inhalations",
        "spray",
        "sprays",
        "verstuiving",
        "verstuivingen",
        "drop",
        "drops",
        "druppel",
        "druppels",
        "gtt",
        "goutte",
        "gouttes",
        "patch",
        "patches",
        "pleister",
        "pleisters",
        "iu",
        "ie",
        "u",
        "unit",
        "units",
        "eenheid",
        "eenheden",
        "dose",
        "doses",
        "dosis",
        "doseringen",
        "application",
        "applications",
        "mmol",
        "meq",
    ]
)
# Leading words that scale one product unit ("half tablet", "halve tablet").
MULTIPLIER_WORDS: dict[str, float] = {
    "half": 0.5,
    "halve": 0.5,
    "demi": 0.5,
    "demie": 0.5,
    "½": 0.5,
    "quarter": 0.25,
    "kwart": 0.25,
    "quart": 0.25,
    "¼": 0.25,
}

_TOKEN = re.compile(r"[a-zà-ÿµμ½¼]+|\d+(?:\.\d+)?")
_ANNOTATION = re.compile(r"^\{([^{}]*)\}$")


def to_float(value: Any) -> float | None:
    """A FHIR decimal (Decimal, int, float or str) as a finite float, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(Decimal(str(value)) if not isinstance(value, (int, float)) else value)
    except (InvalidOperation, ValueError, TypeError, OverflowError):
        return None
    return number if math.isfinite(number) else None


@lru_cache(maxsize=1024)  # pure, and called with the same few unit words over and over
def unit_from_word(word: str) -> UnitInfo | UnitProblem | None:
    """Classify free text such as "mg", "tablet(ten)", "half tablet", "puffs".

    Returns None when the text names no unit we recognise (the caller decides
    whether that is an error), a UnitProblem for known non-convertible units.
    """
    text = word.strip().lower().replace("μ", "µ")
    text = re.sub(r"\((?:s|en|ten|es|n)\)", "", text).strip(" .")
    if not text:
        return None
    for table in (MASS_WORDS, VOLUME_WORDS, COUNT_WORDS):
        if text in table:
            return table[text]
    if text in NOT_CONVERTIBLE_WORDS:
        return UnitProblem(f"unit '{word.strip()}' not convertible to mg")
    tokens = [t for t in _TOKEN.findall(text) if not t[0].isdigit()]
    multiplier = 1.0
    counts: list[UnitInfo] = []
    others: list[UnitInfo] = []
    unconvertible = False
    for token in tokens:
        if token in MULTIPLIER_WORDS:
            multiplier *= MULTIPLIER_WORDS[token]
        elif token in COUNT_WORDS:
            counts.append(COUNT_WORDS[token])
        elif token in MASS_WORDS or token in VOLUME_WORDS:
            others.append(MASS_WORDS.get(token) or VOLUME_WORDS[token])
        elif token in NOT_CONVERTIBLE_WORDS:
            unconvertible = True
    if others:
        if len(tokens) == 1:
            return others[0]
        # "mg/ml", "tablet 5 mg", "half mg": not a single plain unit.
        return None
    if counts:
        # "film-coated tablet", "tablet (unit of presentation)", "half tablet".
        first = counts[0]
        return UnitInfo("count", first.factor * multiplier, first.label)
    if unconvertible:
        return UnitProblem(f"unit '{word.strip()}' not convertible to mg")
    return None


@lru_cache(maxsize=1024)  # pure, and called with the same few units over and over
def classify_unit(system: str | None, code: str | None, unit: str | None) -> UnitInfo | UnitProblem:
    """Classify a FHIR Quantity's unit, trusting a computable code over display text."""
    code = (code or "").strip()
    system = (system or "").strip()
    if code and system == UCUM:
        if code in UCUM_CODES:
            return UCUM_CODES[code]
        annotation = _ANNOTATION.match(code)
        if annotation:
            info = unit_from_word(annotation.group(1))
            if isinstance(info, UnitInfo) and info.kind == "count":
                return info
            if info is None:
                return UnitProblem(f"unit '{code}' not convertible to mg")
            return info
    if code and system == SNOMED and code in SNOMED_CODES:
        return SNOMED_CODES[code]
    for text in (unit, code if system in ("", UCUM) else None):
        if text and text.strip():
            info = unit_from_word(text)
            if info is not None:
                return info
    shown = (unit or code or "").strip()
    if not shown:
        return UnitProblem("dose quantity has no unit")
    return UnitProblem(f"unit '{shown}' not recognised as a mass or a product unit")
