"""FHIR R4 resources as EHRs send them (US Core-like shapes), for any patient and drug of the benchmark.

`bench/patients.py` builds the one fixed patient of the older scenarios; these builders take the patient
and the drug as arguments, so `bench/population.py` can make many different patients from them.
"""

from __future__ import annotations

from typing import Any

from bench.drug_table import Drug

BASE = "https://ehr.example.org/fhir"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ORDERABLE = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
FORM_CODES = {"tablet": ("TAB", "385055001", "Tablet"), "capsule": ("CAP", "385049006", "Capsule")}


def concept(drug: Drug) -> dict[str, Any]:
    coding = [{"system": RXNORM, "code": drug.rxnorm, "display": drug.display}] if drug.rxnorm else []
    coding.append({"system": ATC, "code": drug.atc})
    return {"coding": coding, "text": drug.display}


def quantity(amount: float, drug: Drug) -> dict[str, Any]:
    code = FORM_CODES[drug.form][0]
    return {"value": amount, "unit": drug.form, "system": ORDERABLE, "code": code}


def dosage(drug: Drug, per_take: float | None = None) -> dict[str, Any]:
    repeat: dict[str, Any] = {"frequency": drug.takes_a_day, "period": 1, "periodUnit": "d"}
    if drug.when:
        repeat["when"] = [drug.when]
    result: dict[str, Any] = {
        "sequence": 1,
        "text": drug.dose_text(per_take),
        "timing": {"repeat": repeat},
        "route": {"coding": [{"system": SNOMED, "code": "26643006", "display": "Oral route"}]},
        "doseAndRate": [{
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/dose-rate-type", "code": "ordered"}]},
            "doseQuantity": quantity(drug.per_take if per_take is None else per_take, drug),
        }],
    }
    if drug.as_needed:
        result["asNeededBoolean"] = True
    return result


def subject(patient_id: str, name: str) -> dict[str, Any]:
    return {"reference": f"Patient/{patient_id}", "display": name}


def medication_request(rid: str, drug: Drug, who: dict[str, Any], authored: str, status: str, *,
                       supply_days: int | None = None, per_take: float | None = None,
                       medication_ref: str | None = None) -> dict[str, Any]:
    days = supply_days or drug.supply_days
    per = drug.per_take if per_take is None else per_take
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest"]},
        "status": status,
        "intent": "order",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                                  "code": "community"}]}],
        "subject": who,
        "encounter": {"reference": f"Encounter/enc-{rid}"},
        "authoredOn": authored,
        "requester": {"reference": "Practitioner/gp-1", "display": "Dr. Sam Prescriber"},
        "dosageInstruction": [dosage(drug, per_take)],
        "dispenseRequest": {
            "validityPeriod": {"start": authored},
            "numberOfRepeatsAllowed": 0,
            "quantity": quantity(per * drug.takes_a_day * days, drug),
            "expectedSupplyDuration": {"value": days, "unit": "days", "system": UCUM, "code": "d"},
        },
    }
    if medication_ref:
        resource["medicationReference"] = {"reference": medication_ref}
    else:
        resource["medicationCodeableConcept"] = concept(drug)
    return resource


def medication_dispense(rid: str, drug: Drug, who: dict[str, Any], handed_over: str, prescription: str,
                        supply_days: int | None = None) -> dict[str, Any]:
    days = supply_days or drug.supply_days
    return {
        "resourceType": "MedicationDispense",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": concept(drug),
        "subject": who,
        "performer": [{"actor": {"reference": "Practitioner/pharmacist-1", "display": "Pat Pharmacist"}}],
        "authorizingPrescription": [{"reference": f"MedicationRequest/{prescription}"}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "RF",
                             "display": "Refill"}]},
        "quantity": quantity(drug.units_a_day * days, drug),
        "daysSupply": {"value": days, "unit": "Day", "system": UCUM, "code": "d"},
        "whenPrepared": handed_over + "T09:20:00-05:00",
        "whenHandedOver": handed_over + "T10:05:00-05:00",
        "dosageInstruction": [dosage(drug)],
    }


def medication_statement(rid: str, drug: Drug, who: dict[str, Any], start: str, status: str = "active",
                         end: str | None = None) -> dict[str, Any]:
    period: dict[str, Any] = {"start": start}
    if end:
        period["end"] = end
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": status,
        "medicationCodeableConcept": concept(drug),
        "subject": who,
        "effectivePeriod": period,
        "dateAsserted": start,
        "informationSource": {"reference": who["reference"]},
        "dosage": [dosage(drug)],
    }


def medication(rid: str, drug: Drug) -> dict[str, Any]:
    _, snomed, name = FORM_CODES[drug.form]
    return {
        "resourceType": "Medication",
        "id": rid,
        "code": concept(drug),
        "form": {"coding": [{"system": SNOMED, "code": snomed, "display": name}]},
    }


def condition(rid: str, who: dict[str, Any], code: str, display: str, onset: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                           "code": "confirmed"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                  "code": "problem-list-item"}]}],
        "code": {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display},
        "subject": who,
        "onsetDateTime": onset,
        "recordedDate": onset,
    }


def patient(patient_id: str, family: str, given: str, gender: str, birth_date: str, mrn: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
        "identifier": [{"system": "https://ehr.example.org/mrn", "value": mrn}],
        "name": [{"family": family, "given": [given]}],
        "gender": gender,
        "birthDate": birth_date,
        "address": [{"city": "Springfield", "country": "US"}],
    }


def searchset(resources: list[dict[str, Any]], patient_id: str, kind: str,
              included: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    entries = [{"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
               for r in resources]
    entries += [{"fullUrl": f"{BASE}/Medication/{m['id']}", "resource": m, "search": {"mode": "include"}}
                for m in included or []]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": f"{BASE}/{kind}?patient={patient_id}"}],
    }
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = entries
    return bundle
