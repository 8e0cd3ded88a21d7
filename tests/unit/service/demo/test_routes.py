"""The demo without a browser: the patients are valid FHIR, their dates follow the calendar, each
story gets the cards it promises from the real hook endpoint, the demo routes exist only with --demo,
and the planner's calls to /taper explain bad input by field."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle

from service.app import create_app
from service.demo import catalog
from service.demo.catalog import FORMULARY, PATIENTS, PRODUCTS, load_bundle, patient_resource
from service.demo.dates import age_on, reference_day, shift_dates, shift_to, shift_value
from service.demo.routes import DEMO_DIR, DEMO_FILES
from service.planner.routes import PLANNER_DIR, PLANNER_FILES
from service.settings import Settings
from tests.support import builders as b
from tests.support.facts_support import TODAY

# Every file the two pages are made of: the demo's own, and the planner's (which the demo shares).
STATIC_FILES = {path.name: path for directory in (DEMO_DIR, PLANNER_DIR) for path in directory.iterdir()}

SIGN = "/cds-services/bzra-order-sign"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
SNOMED = "http://snomed.info/sct"
REASONS = {
    "insomnia": {"coding": [{"system": SNOMED, "code": "193462001", "display": "Insomnia"}], "text": "Insomnia"},
    "anxiety": {"coding": [{"system": SNOMED, "code": "197480006", "display": "Anxiety disorder"}], "text": "Anxiety"},
}

# What each story promises: the rules behind the cards, and the most urgent indicator (None: no card).
PROMISES: dict[str, tuple[set[str], str | None]] = {
    "sofie-janssens": (set(), None),
    "marc-peeters": ({"long-term-use", "order-too-long"}, "warning"),
    "ingrid-vos": ({"high-dose", "long-term-use", "order-too-long"}, "warning"),
    "jan-de-groot": ({"opioid-and-bzra"}, "critical"),
    "maria-claes": ({"older-adult", "long-term-use", "order-too-long"}, "warning"),
    "ahmed-el-amrani": ({"duplicate-bzra", "projected-use"}, "warning"),
    "peter-wouters": ({"substance-use-disorder"}, "warning"),
    "hilde-maes": ({"ongoing-taper"}, "info"),
    "lucas-dubois": (set(), None),
    "els-jacobs": ({"sedative-co-prescription"}, "warning"),
    "tom-hermans": ({"order-too-long"}, "info"),
    "georges-lambert": (set(), None),
    "nadia-haddad": ({"opioid-and-bzra"}, "critical"),
}
SEVERITY = {"info": 0, "warning": 1, "critical": 2}
FORM_WORDS = {"en": {"tablet": "tablet", "capsule": "capsule"}, "nl": {"tablet": "tablet", "capsule": "capsule"},
              "fr": {"tablet": "comprimé", "capsule": "gélule"}}  # i18n.js order.form.*, as the order screen writes them


@pytest.fixture
def demo_client() -> Iterator[TestClient]:
    settings = Settings(insecure_dev=True, demo=True, rules_reload=False)
    with TestClient(create_app(settings, today=lambda: TODAY)) as client:
        yield client


# ---- building the requests the demo page builds (mirrors static/ehr.js) ------------------------------


def _searchset(matches: list[dict[str, Any]], everything: list[dict[str, Any]]) -> dict[str, Any]:
    medications = {f"Medication/{r['id']}": r for r in everything if r["resourceType"] == "Medication"}
    included: list[dict[str, Any]] = []
    for resource in matches:
        medication = medications.get((resource.get("medicationReference") or {}).get("reference", ""))
        if medication is not None and medication not in included:
            included.append(medication)
    base = "http://demo.bzra-cds.invalid/fhir"
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}} for r in matches]
        + [{"fullUrl": f"{base}/Medication/{r['id']}", "resource": r, "search": {"mode": "include"}} for r in included],
    }


def prefetch_from(bundle: dict[str, Any]) -> dict[str, Any]:
    resources = [entry["resource"] for entry in bundle["entry"]]
    prefetch: dict[str, Any] = {"patient": patient_resource(bundle)}
    for key, kind in (
        ("medicationStatements", "MedicationStatement"),
        ("medicationRequests", "MedicationRequest"),
        ("medicationDispenses", "MedicationDispense"),
        ("conditions", "Condition"),
    ):
        prefetch[key] = _searchset([r for r in resources if r["resourceType"] == kind], resources)
    return prefetch


def draft_for(patient: catalog.DemoPatient, today: date, language: str) -> dict[str, Any]:
    draft = patient.draft
    product = PRODUCTS[draft.product]
    coding = [{"system": RXNORM, "code": product.rxnorm, "display": product.rxnorm_display}] if product.rxnorm else []
    coding.append({"system": ATC, "code": product.atc, "display": product.name["en"]})
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "draft-1",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"coding": coding, "text": f"{product.name[language]} {product.strength_mg:g} mg {FORM_WORDS[language][product.form]}"},
        "subject": {"reference": f"Patient/{patient.id}"},
        "authoredOn": today.isoformat(),
        "dosageInstruction": [{"text": draft.dose[language]}],
        "dispenseRequest": {"quantity": {"value": draft.quantity, "unit": product.form}, "numberOfRepeatsAllowed": draft.repeats},
    }
    if draft.reason in REASONS:
        order["reasonCode"] = [REASONS[draft.reason]]
    return order


def hook_request_for(patient: catalog.DemoPatient, bundle: dict[str, Any], today: date, language: str = "en") -> dict[str, Any]:
    return {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/demo-prescriber",
            "patientId": patient.id,
            "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft_for(patient, today, language)}]},
        },
        "prefetch": prefetch_from(bundle),
        "extension": {"bzra-cds.language": language},
    }


# ---- the patients --------------------------------------------------------------------------------------


def test_ten_to_fifteen_patients_each_with_a_file_a_story_and_a_draft() -> None:
    assert 10 <= len(PATIENTS) <= 15
    files = {path.stem for path in catalog.PATIENTS_DIR.glob("*.json")}
    assert files == {patient.id for patient in PATIENTS}
    assert set(PROMISES) == files
    for patient in PATIENTS:
        assert set(patient.story) == {"en", "nl", "fr"} and all(patient.story.values())
        assert set(patient.draft.dose) == {"en", "nl", "fr"}
        assert patient.draft.product in PRODUCTS and patient.draft.reason in ("insomnia", "anxiety", "other")


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda p: p.id)
def test_every_bundle_parses_as_fhir_r4b_as_stored_and_as_served(patient: catalog.DemoPatient) -> None:
    stored = load_bundle(patient.id)
    assert stored["type"] == "collection"
    Bundle.model_validate(stored)
    served = shift_to(stored, date(2031, 2, 28))
    parsed = Bundle.model_validate(served)
    kinds = {entry.resource.get_resource_type() for entry in parsed.entry}
    assert "Patient" in kinds
    person = patient_resource(served)
    assert person["id"] == patient.id and person["birthDate"] and person["name"][0]["given"]
    assert any(tag["code"] == "HTEST" for tag in stored["meta"]["tag"])  # marked as test data


def test_the_histories_have_the_shapes_ehrs_send() -> None:
    seen: set[str] = set()
    codes: set[str] = set()
    for patient in PATIENTS:
        text = json.dumps(load_bundle(patient.id))
        for resource in (e["resource"] for e in load_bundle(patient.id)["entry"]):
            seen.add(resource["resourceType"])
            if resource.get("contained"):
                seen.add("contained Medication")
            if resource.get("medicationReference", {}).get("reference", "").startswith("Medication/"):
                seen.add("referenced Medication")
            concept = resource.get("medicationCodeableConcept") or {}
            if concept and not concept.get("coding"):
                seen.add("text-only medication")
        for system in ("http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10", RXNORM, ATC):
            if f'"{system}"' in text:
                codes.add(system)
    assert {"Patient", "MedicationStatement", "MedicationRequest", "MedicationDispense", "Condition", "Medication"} <= seen
    assert {"contained Medication", "referenced Medication", "text-only medication"} <= seen
    assert codes == {"http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10", RXNORM, ATC}


def test_names_are_synthetic_and_wording_is_respectful() -> None:
    words = re.compile(r"\b(abuse|abuser|addict|addicts|addicted|junkie)\b", re.IGNORECASE)
    for patient in PATIENTS:
        for text in (*patient.story.values(), *patient.try_this.values()):
            assert not words.search(text), text
    for path in STATIC_FILES.values():
        assert not words.search(path.read_text(encoding="utf-8")), path.name


# ---- dates -----------------------------------------------------------------------------------------


def test_dates_move_by_whole_days_and_keep_their_time_and_zone() -> None:
    assert shift_value("2026-01-01", 10) == "2026-01-11"
    assert shift_value("2025-12-25T10:30:00+01:00", 10) == "2026-01-04T10:30:00+01:00"
    assert shift_value("2025-12-25T10:30:00.123Z", -1) == "2025-12-24T10:30:00.123Z"
    for unchanged in ("1950", "1950-04", "F10.2", "1 tablet at night", "2026-13-45", "lorazepam 2026-01-01"):
        assert shift_value(unchanged, 10) == unchanged
    nested = {"a": [{"b": "2026-01-01"}, 3, None, True], "c": "text"}
    assert shift_dates(nested, 1) == {"a": [{"b": "2026-01-02"}, 3, None, True], "c": "text"}


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2029, 2, 28), date(2035, 7, 1)])
def test_served_bundles_keep_their_story_on_any_day(today: date) -> None:
    for patient in PATIENTS:
        stored = load_bundle(patient.id)
        day = reference_day(stored)
        served = shift_to(stored, today)
        assert served["timestamp"].startswith(today.isoformat())
        assert age_on(patient_resource(served)["birthDate"], today) in {
            age_on(patient_resource(stored)["birthDate"], day) + d for d in (-1, 0, 1)
        }
        # every prescription keeps its distance from "today"
        for before, after in zip(stored["entry"], served["entry"]):
            authored = before["resource"].get("authoredOn")
            if authored:
                gap = day - date.fromisoformat(authored)
                assert today - date.fromisoformat(after["resource"]["authoredOn"]) == gap


def test_a_bundle_without_its_reference_day_is_refused() -> None:
    with pytest.raises(ValueError, match="timestamp"):
        shift_to({"resourceType": "Bundle", "type": "collection", "entry": []}, TODAY)


# ---- the stories against the real hook endpoint -------------------------------------------------------------


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda p: p.id)
def test_each_story_gets_the_cards_it_promises(demo_client: TestClient, patient: catalog.DemoPatient) -> None:
    bundle = demo_client.get(f"/demo/patients/{patient.id}").json()
    response = demo_client.post(SIGN, json=hook_request_for(patient, bundle, TODAY))
    assert response.status_code == 200, response.text
    body = response.json()
    rules, indicator = PROMISES[patient.id]
    assert b.rule_ids(body) == rules
    assert all(card["source"]["label"] not in b.DATA_CHECKS for card in body["cards"]), "the record should be complete"
    if indicator is None:
        assert body["cards"] == []
    else:
        assert max((card["indicator"] for card in body["cards"]), key=SEVERITY.get) == indicator


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_stories_work_in_dutch_and_french_too(demo_client: TestClient, language: str) -> None:
    for patient in PATIENTS:
        bundle = demo_client.get(f"/demo/patients/{patient.id}").json()
        body = demo_client.post(SIGN, json=hook_request_for(patient, bundle, TODAY, language)).json()
        assert b.rule_ids(body) == PROMISES[patient.id][0], (patient.id, language)


def test_the_opioid_story_is_critical_and_advises_reconsidering_the_start(demo_client: TestClient) -> None:
    patient = catalog.PATIENTS_BY_ID["jan-de-groot"]
    bundle = demo_client.get(f"/demo/patients/{patient.id}").json()
    [card] = demo_client.post(SIGN, json=hook_request_for(patient, bundle, TODAY)).json()["cards"]
    assert card["indicator"] == "critical" and "reconsider starting diazepam" in card["summary"]
    [suggestion] = card["suggestions"]  # no taper for a drug he has never taken
    assert [a["type"] for a in suggestion["actions"]] == ["delete"] and suggestion["actions"][0]["resourceId"] == "MedicationRequest/draft-1"


def test_every_formulary_product_is_identified_by_the_knowledge_base(demo_client: TestClient) -> None:
    from cds_hooks import HookRequest
    from service.cli.records import collect_record, pipeline_for
    from service.knowledge.configured import load_configured_knowledge

    settings = Settings(insecure_dev=True)
    pipeline = pipeline_for(settings, load_configured_knowledge(settings), TODAY)
    patient = catalog.PATIENTS_BY_ID["lucas-dubois"]
    bundle = shift_to(load_bundle(patient.id), TODAY)
    for product in FORMULARY:
        request = hook_request_for(patient, bundle, TODAY)
        draft = request["context"]["draftOrders"]["entry"][0]["resource"]
        coding = [{"system": RXNORM, "code": product.rxnorm, "display": product.rxnorm_display}] if product.rxnorm else []
        text = f"{product.name['en']} {product.strength_mg:g} mg {product.form}"  # as the order screen writes it
        draft["medicationCodeableConcept"] = {"coding": [*coding, {"system": ATC, "code": product.atc}], "text": text}
        hook = HookRequest.model_validate(request)
        facts = pipeline.facts(collect_record(pipeline, hook), hook.hook)
        assert facts.draft.is_bzra == product.bzra, product.id
        if product.bzra:
            assert facts.draft.strength_mg == product.strength_mg, product.id


# ---- routes --------------------------------------------------------------------------------------------


def test_demo_routes_serve_the_page_the_files_and_the_patients(demo_client: TestClient) -> None:
    page = demo_client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'src="demo/static/demo.js"' in page.text
    for name in DEMO_FILES:
        response = demo_client.get(f"/demo/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/javascript" if name.endswith(".js") else "text/css")
    listing = demo_client.get("/demo/patients").json()
    assert listing["today"] == TODAY.isoformat()
    assert [p["id"] for p in listing["patients"]] == [p.id for p in PATIENTS]
    first = listing["patients"][0]
    assert first["name"] == "Sofie Janssens" and first["age"] == 34 and set(first["story"]) == {"en", "nl", "fr"}
    assert {p["id"] for p in listing["formulary"]} == set(PRODUCTS)
    bundle = demo_client.get("/demo/patients/maria-claes")
    assert bundle.headers["content-type"].startswith("application/fhir+json")
    assert bundle.json()["timestamp"].startswith(TODAY.isoformat())


def test_unknown_demo_files_and_patients_are_404(demo_client: TestClient) -> None:
    assert demo_client.get("/demo/patients/someone-real").status_code == 404
    assert demo_client.get("/demo/patients/someone-real").json()["error"] == "not_found"
    for name in ("../routes.py", "..%2Froutes.py", "planner.html", "nope.js", "demo.html"):
        assert demo_client.get(f"/demo/static/{name}").status_code == 404, name
    assert demo_client.get("/planner/static/demo.js").status_code == 404  # the planner serves only its own files


def test_without_demo_the_demo_routes_do_not_exist(client: TestClient) -> None:
    for path in ("/", "/demo/patients", "/demo/patients/maria-claes", "/demo/static/demo.js", "/demo/static/style.css"):
        assert client.get(path).status_code == 404, path
    # the taper planner is the cards' SMART app: it is there in every mode
    assert client.get("/planner").status_code == 200
    assert client.get("/planner/config").json()["demo"] is False


def test_every_static_file_is_served_by_a_page_and_loads_nothing_from_elsewhere() -> None:
    shipped = set(STATIC_FILES)
    assert shipped == DEMO_FILES | PLANNER_FILES | {"demo.html", "planner.html"}
    assert sum(1 for directory in (DEMO_DIR, PLANNER_DIR) for _ in directory.iterdir()) == len(shipped)  # each file once
    for name in shipped:
        text = STATIC_FILES[name].read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://""", text), name  # no CDN
        assert "innerHTML =" not in text and "insertAdjacentHTML" not in text and "eval(" not in text, name


def test_every_ui_string_exists_in_english_dutch_and_french() -> None:
    source = STATIC_FILES["i18n.js"].read_text(encoding="utf-8")
    tables = re.split(r"\n  (en|nl|fr): \{\n", source)[1:]
    keys = {tables[i]: set(re.findall(r'^\s+"([\w.]+)":', tables[i + 1], re.MULTILINE)) for i in range(0, len(tables), 2)}
    assert set(keys) == {"en", "nl", "fr"}
    assert keys["en"] == keys["nl"] == keys["fr"]
    used = set()
    for name in ("demo.html", "planner.html", "demo.js", "planner.js"):
        text = STATIC_FILES[name].read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n="([\w.]+)"', text))
        used |= set(re.findall(r'\bt\("([\w.]+)"', text))
    assert used <= keys["en"], used - keys["en"]


# ---- the planner's calls -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"drug": "lorazepam", "dose": ""}, "dose"),
        ({"drug": "lorazepam", "dose": "0"}, "dose"),
        ({"drug": "lorazepam", "dose": 0}, "dose"),
        ({"drug": "lorazepam", "dose": "-2"}, "dose"),
        ({"drug": "lorazepam", "dose": "plenty"}, "dose"),
        ({"drug": "lorazepam"}, "dose"),
        ({"drug": "paracetamol", "dose": "3"}, "drug"),
        ({"drug": "", "dose": "3"}, "drug"),
        ({"drug": "lorazepam", "dose": "3", "pace": "fast"}, "pace"),
        ({"drug": "lorazepam", "dose": "3", "start": "someday"}, "start"),
        ({"drug": "lorazepam", "dose": "3", "holds": [99]}, "holds"),
        ({"drug": "lorazepam", "dose": "3", "switch_to": "oxazepam"}, "switch_to"),
        ({"drug": "lorazepam", "dose": "3", "language": "de"}, "language"),
    ],
)
def test_bad_planner_input_is_a_422_naming_the_field(demo_client: TestClient, body: dict[str, Any], field: str) -> None:
    response = demo_client.post("/taper", json={"pace": "standard", "language": "en", **body})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["error"] in ("invalid_taper", "invalid_request") and problem["message"]
    assert [f["field"] for f in problem["fields"]] == [field]


def test_the_planner_changes_the_plan_with_pace_holds_and_switch(demo_client: TestClient) -> None:
    def plan(**changes: Any) -> dict[str, Any]:
        body = {"drug": "lorazepam", "dose": "3", "pace": "standard", "start": "2026-11-23", "language": "nl", "patient": "ingrid-vos", **changes}
        response = demo_client.post("/taper", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    standard = plan()
    slow = plan(pace="slow")
    assert slow["plan"]["pace"] == "slow" and slow["plan"]["total_days"] > standard["plan"]["total_days"]
    held = plan(holds=[2])
    assert [s["kind"] for s in held["plan"]["steps"]][2] == "hold"
    assert held["plan"]["total_days"] == standard["plan"]["total_days"] + standard["plan"]["interval_days"]
    switched = plan(switch_to="diazepam")
    assert switched["plan"]["switched"] and switched["plan"]["taper_drug"] == "diazepam"
    assert standard["medicationRequest"]["subject"] == {"reference": "Patient/ingrid-vos"}
    assert "Stap" in standard["markdown"]  # the language reaches the texts


def test_the_served_dates_use_the_apps_today_not_the_wall_clock() -> None:
    later = TODAY + timedelta(days=400)
    settings = Settings(insecure_dev=True, demo=True, rules_reload=False)
    with TestClient(create_app(settings, today=lambda: later)) as client:
        listing = client.get("/demo/patients").json()
        assert listing["today"] == later.isoformat()
        bundle = client.get("/demo/patients/ingrid-vos").json()
        patient = catalog.PATIENTS_BY_ID["ingrid-vos"]
        body = client.post(SIGN, json=hook_request_for(patient, bundle, later)).json()
        assert b.rule_ids(body) == PROMISES["ingrid-vos"][0]
