"""The drugs the benchmark's patients take and are prescribed, coded as EHRs code them.

Three families, because an EHR calls the service for every medication order:
* BZRAs (benzodiazepines and Z-drugs): the orders the service exists for.
* Co-medication that the rules read in the history (opioids, gabapentinoids, sedating antidepressants).
* Common drugs that no rule is about, ordered far more often than BZRAs (the non-BZRA scenario's orders).

Codes are RxNorm clinical drugs (SCD) and ATC codes; zopiclone is not marketed in the US, so it carries
only its ATC code and text, as a European EHR sends it. These are load-test inputs, not clinical data:
the service's own knowledge files decide what each code means.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Drug:
    key: str
    rxnorm: str | None
    display: str
    atc: str
    form: str  # "tablet" or "capsule": the dose unit
    per_take: float  # units per take
    takes_a_day: int
    when: str | None = None  # FHIR timing event code, e.g. "HS" (at bedtime)
    as_needed: bool = False
    supply_days: int = 30  # a usual prescription's length

    @property
    def units_a_day(self) -> float:
        return self.per_take * self.takes_a_day

    def dose_text(self, per_take: float | None = None) -> str:
        amount = self.per_take if per_take is None else per_take
        unit = self.form if amount == 1 else f"{self.form}s"
        when = {"HS": "at bedtime", "MORN": "in the morning", "EVE": "in the evening"}.get(self.when or "")
        often = when or {1: "once a day", 2: "twice a day", 3: "three times a day", 4: "four times a day"}[self.takes_a_day]
        return f"{amount:g} {unit} {often}" + (" if needed" if self.as_needed else "")


BZRAS: tuple[Drug, ...] = (
    Drug("lorazepam", "197901", "lorazepam 1 MG Oral Tablet", "N05BA06", "tablet", 1, 2),
    Drug("lorazepam-2.5", "199275", "lorazepam 2.5 MG Oral Tablet", "N05BA06", "tablet", 1, 1, "HS"),
    Drug("zolpidem", "854873", "zolpidem tartrate 10 MG Oral Tablet", "N05CF02", "tablet", 1, 1, "HS"),
    Drug("zolpidem-5", "854876", "zolpidem tartrate 5 MG Oral Tablet", "N05CF02", "tablet", 1, 1, "HS"),
    Drug("diazepam", "197591", "diazepam 5 MG Oral Tablet", "N05BA01", "tablet", 1, 2),
    Drug("oxazepam", "198057", "oxazepam 10 MG Oral Capsule", "N05BA04", "capsule", 1, 3),
    Drug("alprazolam", "308048", "alprazolam 0.5 MG Oral Tablet", "N05BA12", "tablet", 1, 2, as_needed=True),
    Drug("zopiclone", None, "zopiclone 7.5 mg tablet", "N05CF01", "tablet", 1, 1, "HS"),
    Drug("lormetazepam", "199763", "lormetazepam 1 MG Oral Tablet", "N05CD06", "tablet", 1, 1, "HS"),
    Drug("temazepam", "198241", "temazepam 15 MG Oral Capsule", "N05CD07", "capsule", 1, 1, "HS"),
)

# Drugs the co-prescription rules look for in the history.
INTERACTING: tuple[Drug, ...] = (
    Drug("oxycodone", "1049621", "oxycodone hydrochloride 5 MG / acetaminophen 325 MG Oral Tablet", "N02AJ17",
         "tablet", 1, 4, as_needed=True, supply_days=7),
    Drug("tramadol", "835603", "tramadol hydrochloride 50 MG Oral Tablet", "N02AX02", "tablet", 1, 3,
         as_needed=True, supply_days=14),
    Drug("gabapentin", "310431", "gabapentin 300 MG Oral Capsule", "N02BF01", "capsule", 1, 3),
    Drug("pregabalin", "483440", "pregabalin 75 MG Oral Capsule", "N02BF02", "capsule", 1, 2),
    Drug("mirtazapine", "311725", "mirtazapine 15 MG Oral Tablet", "N06AX11", "tablet", 1, 1, "HS"),
    Drug("trazodone", "856377", "trazodone hydrochloride 50 MG Oral Tablet", "N06AX05", "tablet", 1, 1, "HS"),
)

# Common drugs no rule is about: chronic medication in histories, and the non-BZRA orders.
COMMON: tuple[Drug, ...] = (
    Drug("metformin", "861007", "metformin hydrochloride 500 MG Oral Tablet", "A10BA02", "tablet", 1, 2, supply_days=90),
    Drug("amlodipine", "197361", "amlodipine 5 MG Oral Tablet", "C08CA01", "tablet", 1, 1, supply_days=90),
    Drug("atorvastatin", "617310", "atorvastatin 20 MG Oral Tablet", "C10AA05", "tablet", 1, 1, "EVE", supply_days=90),
    Drug("simvastatin", "314231", "simvastatin 20 MG Oral Tablet", "C10AA01", "tablet", 1, 1, "EVE", supply_days=90),
    Drug("lisinopril", "314076", "lisinopril 10 MG Oral Tablet", "C09AA03", "tablet", 1, 1, supply_days=90),
    Drug("losartan", "979485", "losartan potassium 50 MG Oral Tablet", "C09CA01", "tablet", 1, 1, supply_days=90),
    Drug("hydrochlorothiazide", "310798", "hydrochlorothiazide 25 MG Oral Tablet", "C03AA03", "tablet", 1, 1, supply_days=90),
    Drug("metoprolol", "866436", "metoprolol succinate 50 MG Extended Release Oral Tablet", "C07AB02", "tablet", 1, 1,
         supply_days=90),
    Drug("sertraline", "312940", "sertraline 50 MG Oral Tablet", "N06AB06", "tablet", 1, 1),
    Drug("omeprazole", "198053", "omeprazole 20 MG Delayed Release Oral Capsule", "A02BC01", "capsule", 1, 1, "MORN"),
    Drug("pantoprazole", "314200", "pantoprazole 40 MG Delayed Release Oral Tablet", "A02BC02", "tablet", 1, 1, "MORN"),
    Drug("levothyroxine", "966222", "levothyroxine sodium 0.05 MG Oral Tablet", "H03AA01", "tablet", 1, 1, "MORN",
         supply_days=90),
    Drug("paracetamol", "313782", "acetaminophen 325 MG Oral Tablet", "N02BE01", "tablet", 2, 3, as_needed=True),
    Drug("amoxicillin", "308191", "amoxicillin 500 MG Oral Capsule", "J01CA04", "capsule", 1, 3, supply_days=7),
    Drug("azithromycin", "308460", "azithromycin 250 MG Oral Tablet", "J01FA10", "tablet", 1, 1, supply_days=5),
    Drug("prednisone", "312617", "prednisone 20 MG Oral Tablet", "H02AB07", "tablet", 2, 1, supply_days=5),
    Drug("ibuprofen", "197806", "ibuprofen 400 MG Oral Tablet", "M01AE01", "tablet", 1, 3, as_needed=True, supply_days=10),
)

# What the non-BZRA scenario orders: the most common prescriptions of a general practice.
NON_BZRA_ORDER_KEYS: tuple[str, ...] = (
    "amoxicillin", "metformin", "atorvastatin", "omeprazole", "amlodipine", "lisinopril", "levothyroxine",
    "simvastatin", "losartan", "pantoprazole", "hydrochlorothiazide", "azithromycin", "prednisone", "ibuprofen",
)

BY_KEY: dict[str, Drug] = {drug.key: drug for drug in (*BZRAS, *INTERACTING, *COMMON)}
