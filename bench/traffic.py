"""The request bodies of the traffic scenarios, written as files for wrk and the open-loop generator.

Three kinds of traffic on the same population (`bench/population.py`), each an ordered list of
(path, body file) in an index file that the load generators cycle through:

* `bzra`: one order-sign per patient, a BZRA draft order, prefetch complete.
* `non_bzra`: the same patients, each ordering a common non-BZRA drug (coded as an EHR codes it).
* `select_sign`: other patients of the same population, each with two or three order-select calls (the
  prescriber edits the draft: first the dose, then the quantity) and then the order-sign, all with the
  same history (`bench/sign_phases.py` also sends them in batches, to time the signs alone).

Markers, replaced by the load generators: `__UNIQUE__` (a fresh UUID per request: the hookInstance, and
the ids of the prefetch's search Bundles, new on each call as when an EHR runs the searches again) and
`__CYCLE__` (in the patient id: a number that changes each time the generator wraps around the list, so
no patient is sent twice in a run, while the calls of one select-then-sign sequence share their patient).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench import resources as fhir
from bench.drug_table import Drug
from bench.population import PATIENT_MARK, Case, prefetch

UNIQUE = "__UNIQUE__"
CYCLE = "__CYCLE__"
SIGN_PATH = "/cds-services/bzra-order-sign"
SELECT_PATH = "/cds-services/bzra-order-select"


@dataclass(frozen=True)
class Call:
    path: str
    body: bytes
    patient: int  # the case's index
    hook: str


def draft_order(drug: Drug, today: date, supply_days: int, per_take: float | None = None) -> dict[str, Any]:
    order = fhir.medication_request("draft-1", drug, fhir.subject(PATIENT_MARK, ""), today.isoformat(), "draft",
                                    supply_days=supply_days, per_take=per_take)
    del order["meta"], order["encounter"]
    order["subject"] = {"reference": f"Patient/{PATIENT_MARK}"}
    return order


def hook_body(case: Case, hook: str, draft: dict[str, Any]) -> bytes:
    context: dict[str, Any] = {
        "userId": "Practitioner/gp-1",
        "patientId": PATIENT_MARK,
        "encounterId": "enc-today",
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft}]},
    }
    if hook == "order-select":
        context["selections"] = ["MedicationRequest/draft-1"]
    request = {"hook": hook, "hookInstance": UNIQUE, "context": context, "prefetch": prefetch(case, PATIENT_MARK, UNIQUE)}
    patient_id = f"bench-{case.index:04d}-{CYCLE}"
    return json.dumps(request, separators=(",", ":")).replace(PATIENT_MARK, patient_id).encode()


def select_then_sign(case: Case, today: date) -> list[Call]:
    """The prescriber picks the drug, edits the dose, maybe the quantity, then signs."""
    drug, days = case.bzra_draft, case.bzra_supply_days
    edits = [(drug.per_take, 30), (drug.per_take * 2 if drug.per_take < 2 else drug.per_take / 2, 30),
             (drug.per_take, days)][: case.selects]
    calls = [Call(SELECT_PATH, hook_body(case, "order-select", draft_order(drug, today, d, p)), case.index, "order-select")
             for p, d in edits]
    last_per_take, last_days = edits[-1]
    sign = hook_body(case, "order-sign", draft_order(drug, today, last_days, last_per_take))
    return [*calls, Call(SIGN_PATH, sign, case.index, "order-sign")]


def build(cases: list[Case], sequence_cases: list[Case], today: date) -> dict[str, list[Call]]:
    sequences = [select_then_sign(case, today) for case in sequence_cases]
    return {
        "bzra": [Call(SIGN_PATH, hook_body(c, "order-sign", draft_order(c.bzra_draft, today, c.bzra_supply_days)),
                      c.index, "order-sign") for c in cases],
        "non_bzra": [Call(SIGN_PATH, hook_body(c, "order-sign", draft_order(c.non_bzra_draft, today, c.non_bzra_draft.supply_days)),
                          c.index, "order-sign") for c in cases],
        "select_sign": [call for sequence in sequences for call in sequence],
    }


def write(traffic: dict[str, list[Call]], directory: Path) -> dict[str, Path]:
    """Each body once on disk (shared between lists) and one index file per kind: `PATH<TAB>FILE` lines."""
    directory.mkdir(parents=True, exist_ok=True)
    names: dict[int, Path] = {}
    indexes: dict[str, Path] = {}
    for kind, calls in traffic.items():
        lines = []
        for call in calls:
            path = names.get(id(call))
            if path is None:
                path = names[id(call)] = directory / f"{len(names):05d}.json"
                path.write_bytes(call.body)
            lines.append(f"{call.path}\t{path}")
        indexes[kind] = directory / f"{kind}.index"
        indexes[kind].write_text("\n".join(lines) + "\n")
    return indexes


def fill(call: Call, unique: str, cycle: str) -> bytes:
    return call.body.replace(UNIQUE.encode(), unique.encode()).replace(CYCLE.encode(), cycle.encode())


def sizes(traffic: dict[str, list[Call]]) -> dict[str, dict[str, int]]:
    return {kind: {"calls": len(calls), "median_body_bytes": sorted(len(c.body) for c in calls)[len(calls) // 2]}
            for kind, calls in traffic.items()}
