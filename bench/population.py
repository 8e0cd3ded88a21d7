"""Many different patients, as a general practice's EHR would send them: deterministic from a seed.

An EHR calls the service for every order of every patient, so one patient repeated says little about
real traffic: the histories differ in size (mostly 20-40 medication resources, some smaller, some much
larger), in drugs (most patients on a BZRA, some on two, some on none; opioids, gabapentinoids, sedating
antidepressants and a handful of common chronic drugs), in age and in conditions. Every patient is
generated from `random.Random(f"{seed}:{index}")`, so patient 42 is the same whatever the population's size.

The patient id is the marker `PATIENT_MARK` in every resource and reference: the traffic builder puts
the real id in (one per request, or one per select-then-sign sequence).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench import resources as fhir
from bench.drug_table import BZRAS, BY_KEY, COMMON, INTERACTING, NON_BZRA_ORDER_KEYS, Drug

PATIENT_MARK = "__PATIENT__"
DEFAULT_SEED = 20
CHRONIC = tuple(d for d in COMMON if d.supply_days >= 30)
ACUTE = tuple(d for d in COMMON if d.supply_days < 30)
FAMILIES = ("Smith", "Jansens", "Dubois", "Peeters", "Martin", "Garcia", "Maes", "Lambert", "Nguyen", "Kowalski")
GIVEN = {"female": ("Anna", "Marie", "Els", "Sofia", "Lea"), "male": ("Jan", "Luc", "Omar", "Pieter", "Tom")}
CONDITIONS = (  # (SNOMED code, display, more likely for BZRA users)
    ("193462001", "Insomnia", True),
    ("21897009", "Generalized anxiety disorder", True),
    ("35489007", "Depressive disorder", True),
    ("38341003", "Hypertensive disorder", False),
    ("44054006", "Type 2 diabetes mellitus", False),
    ("396275006", "Osteoarthritis", False),
    ("13645005", "Chronic obstructive lung disease", False),
    ("40930008", "Hypothyroidism", False),
    ("235595009", "Gastroesophageal reflux disease", False),
    ("279039007", "Low back pain", False),
    ("55822004", "Hyperlipidemia", False),
)


@dataclass
class Case:
    """One patient: history and the orders the scenarios make for them."""

    index: int
    age: int
    history: dict[str, list[dict[str, Any]]]  # statements, requests, dispenses, medications, conditions
    patient: dict[str, Any]
    bzra_draft: Drug  # what the BZRA scenarios order
    bzra_supply_days: int
    non_bzra_draft: Drug  # what the non-BZRA scenario orders
    selects: int  # order-select calls before the sign (2 or 3)
    on_bzra: list[str] = field(default_factory=list)

    @property
    def medication_resources(self) -> int:
        return sum(len(self.history[k]) for k in ("statements", "requests", "dispenses"))


def _history_size(rng: random.Random) -> int:
    """Mostly 20-40 medication resources; one in ten smaller, one in ten larger."""
    roll = rng.random()
    if roll < 0.1:
        return rng.randint(6, 19)
    if roll < 0.9:
        return rng.randint(20, 40)
    return rng.randint(41, 90)


def _drugs(rng: random.Random) -> tuple[list[Drug], list[Drug]]:
    """(BZRAs in the history, other drugs in the history)."""
    bzras: list[Drug] = []
    if rng.random() < 0.75:
        bzras = rng.sample(BZRAS, 2 if rng.random() < 0.12 else 1)
    others = rng.sample(CHRONIC, rng.randint(2, 7))
    roll = rng.random()
    if roll < 0.30:
        others += rng.sample(INTERACTING, 2 if roll < 0.08 else 1)
    if rng.random() < 0.2:
        others.append(rng.choice(ACUTE))
    return bzras, others


def _shares(rng: random.Random, size: int, bzras: list[Drug], others: list[Drug]) -> list[tuple[Drug, int]]:
    """How many medication resources each drug gets (BZRAs, refilled monthly, get more)."""
    weights = [3.0] * len(bzras) + [rng.uniform(0.6, 1.6) for _ in others]
    drugs = [*bzras, *others]
    counts = [1] * len(drugs)
    for _ in range(max(size - len(drugs), 0)):
        counts[rng.choices(range(len(drugs)), weights)[0]] += 1
    return list(zip(drugs, counts))[:size]  # a tiny history holds only the first drugs


def _timeline(rng: random.Random, today: date, drug: Drug, count: int, n: int,
              history: dict[str, list[dict[str, Any]]], who: dict[str, Any], reference: bool) -> None:
    """`count` resources for one drug: maybe a statement, then prescriptions and dispenses going back."""
    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    stopped = rng.random() < 0.15  # a drug taken in the past, not now
    offset = rng.randint(1, 25) + (rng.randint(120, 600) if stopped else 0)
    period = drug.supply_days if drug.supply_days >= 28 else rng.randint(30, 120)
    start = 0
    if rng.random() < 0.3:  # patient-reported use, as EHRs record it at intake
        begin = offset + period * (count // 2 + 1)
        history["statements"].append(fhir.medication_statement(
            f"ms-{n}-{drug.key}", drug, who, day(begin), "completed" if stopped else "active",
            day(offset) if stopped else None))
        start = 1
    for j in range(start, count):
        cycle = (j - start) // 2
        days_ago = offset + cycle * period + rng.randint(0, 4)
        rid = f"mr-{n}-{drug.key}-{cycle}"
        if (j - start) % 2 == 0:
            status = "active" if cycle == 0 and not stopped else "completed"
            ref = f"Medication/med-{n}-{drug.key}" if reference and cycle == 0 else None
            history["requests"].append(fhir.medication_request(rid, drug, who, day(days_ago), status, medication_ref=ref))
            if ref:
                history["medications"].append(fhir.medication(f"med-{n}-{drug.key}", drug))
        else:
            history["dispenses"].append(fhir.medication_dispense(f"md-{n}-{drug.key}-{cycle}", drug, who,
                                                                 day(max(days_ago - 1, 0)), rid))


def _conditions(rng: random.Random, today: date, who: dict[str, Any], on_bzra: bool) -> list[dict[str, Any]]:
    weights = [3.0 if likely and on_bzra else 1.0 for _, _, likely in CONDITIONS]
    chosen: set[int] = set()
    for _ in range(rng.randint(1, 6)):
        chosen.add(rng.choices(range(len(CONDITIONS)), weights)[0])
    return [fhir.condition(f"cond-{i}", who, CONDITIONS[i][0], CONDITIONS[i][1],
                           (today - timedelta(days=rng.randint(60, 4000))).isoformat()) for i in sorted(chosen)]


def make_case(seed: int, index: int, today: date) -> Case:
    rng = random.Random(f"{seed}:{index}")
    age = rng.choice((rng.randint(18, 44), rng.randint(45, 64), rng.randint(65, 79), rng.randint(65, 79), rng.randint(80, 95)))
    gender = rng.choice(("female", "female", "male"))
    name = f"{rng.choice(GIVEN[gender])} {rng.choice(FAMILIES)}"
    who = fhir.subject(PATIENT_MARK, name)
    bzras, others = _drugs(rng)
    history: dict[str, list[dict[str, Any]]] = {"statements": [], "requests": [], "dispenses": [], "medications": []}
    referenced = rng.randrange(len(bzras) + len(others)) if rng.random() < 0.1 else -1
    for n, (drug, count) in enumerate(_shares(rng, _history_size(rng), bzras, others)):
        _timeline(rng, today, drug, count, n, history, who, n == referenced)
    history["conditions"] = _conditions(rng, today, who, bool(bzras))
    birth = (today - timedelta(days=age * 365 + rng.randint(0, 364))).isoformat()
    given, family = name.split(" ")
    patient = fhir.patient(PATIENT_MARK, family, given, gender, birth, f"{100000 + index:06d}")
    continued = bzras and rng.random() < 0.7
    return Case(
        index=index, age=age, history=history, patient=patient,
        bzra_draft=bzras[0] if continued else rng.choice(BZRAS),
        bzra_supply_days=rng.choice((14, 28, 30, 30, 60, 90)),
        non_bzra_draft=BY_KEY[rng.choice(NON_BZRA_ORDER_KEYS)],
        selects=rng.choice((2, 3)),
        on_bzra=[d.key for d in bzras],
    )


def population(size: int, today: date, seed: int = DEFAULT_SEED) -> list[Case]:
    return [make_case(seed, index, today) for index in range(size)]


def with_sequences(size: int, today: date, seed: int = DEFAULT_SEED) -> tuple[list[Case], list[Case]]:
    """`size` patients for the single orders, and as many others (the next indexes of the same seed) for
    the select-then-sign sequences: the two populations `traffic.build` takes."""
    return population(size, today, seed), [make_case(seed, size + index, today) for index in range(size)]


def prefetch(case: Case, patient_id: str, search_id: str) -> dict[str, Any]:
    """The prefetch an EHR sends for the service's templates (searchsets, Medication by _include), each
    searchset with the id its search got (`search_id` and the resource type): an EHR that runs the
    searches again for each call sends the same history in Bundles with new ids each time."""
    h = case.history
    searches = {
        "medicationStatements": fhir.searchset(h["statements"], patient_id, "MedicationStatement"),
        "medicationRequests": fhir.searchset(h["requests"], patient_id, "MedicationRequest", h["medications"]),
        "medicationDispenses": fhir.searchset(h["dispenses"], patient_id, "MedicationDispense"),
        "conditions": fhir.searchset(h["conditions"], patient_id, "Condition"),
    }
    return {"patient": case.patient, **{key: {"id": f"{search_id}-{key}", **bundle} for key, bundle in searches.items()}}


def summary(cases: list[Case]) -> dict[str, Any]:
    """What the population holds: sizes, BZRA users, drugs ordered (reported with the results)."""
    sizes = sorted(case.medication_resources for case in cases)
    return {
        "patients": len(cases),
        "medication_resources": {"min": sizes[0], "median": sizes[len(sizes) // 2], "max": sizes[-1],
                                 "share_20_to_40": round(sum(20 <= s <= 40 for s in sizes) / len(sizes), 3)},
        "on_a_bzra": sum(bool(case.on_bzra) for case in cases),
        "on_two_bzras": sum(len(case.on_bzra) > 1 for case in cases),
        "bzra_orders": len({case.bzra_draft.key for case in cases}),
        "non_bzra_orders": len({case.non_bzra_draft.key for case in cases}),
        "selects_per_sign": round(sum(case.selects for case in cases) / len(cases), 2),
    }
