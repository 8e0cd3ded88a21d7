"""The demo routes without a browser: the page, its files and the patients exist only with --demo, the
planner's calls to /taper explain bad input by field, and the served dates use the app's today."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.demo import catalog
from service.demo.catalog import PATIENTS, PRODUCTS
from service.demo.routes import DEMO_DIR, DEMO_FILES
from service.planner.routes import PLANNER_DIR, PLANNER_FILES
from service.settings import Settings
from tests.support import builders as b
from tests.support.builders import SIGN
from tests.support.demo_support import PROMISES, STATIC_FILES, hook_request_for
from tests.support.facts_support import TODAY

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
