"""The demo end to end in a real browser: Debian's Chromium, headless, driven by Playwright, against
the real `bzra-cds serve --demo` process.

A prescriber signs a prescription for a demo patient, sees the cards, accepts a suggestion, opens
the taper planner, changes the pace and checks the new plan. The screenshots for the README are
written to docs/screenshots/. The SMART launch of the planner runs against a fake EHR made of
Playwright routes (discovery, authorize, token, FHIR write).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)"
)

from playwright.sync_api import Browser, Locator, Page, Route, expect, sync_playwright  # noqa: E402

from tests.support.paths import ROOT  # noqa: E402
from tests.support.service_process import running_service  # noqa: E402

SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EHR = "https://ehr.example.org/fhir"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS"}
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # module-scoped, so it starts before the per-test data directory exists: it gets its own
    data = tmp_path_factory.mktemp("demo-data")
    with running_service("--demo", env={"BZRA_DATA_DIR": str(data)}) as (base, _process):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1300}, locale="en-GB")
    context.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors  # no script error on any page


def open_patient(page: Page, base: str, patient_id: str) -> None:
    page.goto(f"{base}/")
    page.locator(f"button[data-patient-id='{patient_id}']").click()
    expect(page.locator("#patient-view")).to_be_visible()


def sign(page: Page) -> None:
    page.get_by_role("button", name="Sign the prescription").click()
    expect(page.locator("#cards-status")).not_to_have_text(re.compile("Asking the service"))


def unlabelled_controls(page: Page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map((el) => el.id || el.name || el.outerHTML)"""
    )


def sign_and_check_the_hook_request(page: Page) -> None:
    """Sign the draft; the browser must send a CDS Hooks order-sign call with the draft and the prefetch."""
    with page.expect_request(lambda r: r.url.endswith("/cds-services/bzra-order-sign") and r.method == "POST") as sent:
        sign(page)
    request = json.loads(sent.value.post_data)
    assert request["hook"] == "order-sign" and re.fullmatch(r"[0-9a-f-]{36}", request["hookInstance"])
    assert request["context"]["patientId"] == "ingrid-vos" and request["context"]["userId"].startswith("Practitioner/")
    [draft] = [e["resource"] for e in request["context"]["draftOrders"]["entry"]]
    assert draft["resourceType"] == "MedicationRequest" and draft["status"] == "draft"
    assert draft["medicationCodeableConcept"]["coding"][0] == {
        "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "197901", "display": "lorazepam 1 MG Oral Tablet"}
    assert set(request["prefetch"]) == {"patient", "medicationStatements", "medicationRequests", "medicationDispenses", "conditions"}
    assert all(request["prefetch"][k]["type"] == "searchset" for k in request["prefetch"] if k != "patient")


def the_high_dose_card(page: Page) -> Locator:
    """The one card Ingrid Vos gets: a short high-dose warning (screenshot for the README)."""
    cards = page.locator("article.card")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card).to_have_attribute("data-indicator", "warning")
    expect(card.locator("h3")).to_have_text(re.compile(r"High dose: 30 mg/day diazepam-equivalent"))
    expect(page.locator("#cards-status")).to_have_text(re.compile(r"^1 card: Warning: High dose"))
    expect(card.locator(".detail table")).to_have_count(0)  # the taper table lives in the planner and the handout
    expect(card.locator(".detail li")).to_have_count(2)  # the other findings, one line each
    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "demo-cards.png"), full_page=True)
    return card


def accept_the_quantity_suggestion(page: Page, card: Locator) -> None:
    """Accepting sends feedback, changes the order and disables the card's other suggestion."""
    with page.expect_request(lambda r: "/feedback?language=" in r.url) as feedback:
        card.get_by_role("button", name=re.compile("Prescribe 42 tablets")).click()
    body = json.loads(feedback.value.post_data)["feedback"][0]
    assert body["outcome"] == "accepted" and body["card"] and body["acceptedSuggestions"][0]["id"]
    assert re.match(r"\d{4}-\d{2}-\d{2}T", body["outcomeTimestamp"])
    expect(card.locator("[data-feedback=sent]")).to_be_visible()
    expect(card.locator(".outcome")).to_contain_text("Accepted: Prescribe 42 tablets")
    changed = page.locator("#orders .order[data-state=changed]")
    expect(changed).to_contain_text("Quantity: 42 tablets; repeats: 0")
    expect(card.get_by_role("button", name=re.compile("Refer for specialised support"))).to_be_disabled()


def open_the_planner(page: Page, card: Locator) -> Page:
    """The card's link opens the planner in a new tab, on the patient's drug at the standard pace."""
    with page.context.expect_page() as opened:
        card.locator("a[data-planner]").click()
    planner = opened.value
    expect(planner.locator("#plan")).to_be_visible()
    expect(planner.locator("#plan")).to_have_attribute("data-pace", "standard")
    expect(planner.locator("#drug")).to_have_value("lorazepam")
    expect(planner.locator("#patient-line")).to_have_text("Patient: ingrid-vos")
    expect(planner.locator("#plan-summary")).to_contain_text("lorazepam 3 mg a day to zero")
    expect(planner.locator("#chart path.chart-line")).to_have_count(1)
    return planner


def slow_down_and_hold_a_step(planner: Page, base: str) -> None:
    """A slower pace holds the same steps longer, an extra hold longer still, and the handout follows."""
    standard_days = int(planner.locator("#plan").get_attribute("data-total-days"))
    standard_rows = planner.locator("#plan-rows tr").count()
    planner.get_by_label(re.compile("^Slow")).check()
    expect(planner.locator("#plan")).to_have_attribute("data-pace", "slow")
    expect(planner.locator("#plan-summary")).to_contain_text("slow pace")
    slow_days = int(planner.locator("#plan").get_attribute("data-total-days"))
    assert slow_days > standard_days  # the same steps, each held longer
    assert planner.locator("#plan-rows tr").count() == standard_rows

    planner.get_by_role("button", name=re.compile(r"More time at step 2 ")).click()
    expect(planner.locator("#plan-rows tr[data-kind=hold]")).to_have_count(1)
    expect(planner.locator("#holds-text")).to_have_text("After step(s): 2")
    assert int(planner.locator("#plan").get_attribute("data-total-days")) > slow_days  # the held step lasts again
    handout = planner.locator("#handout").get_attribute("href")
    assert "pace=slow" in handout and "hold=2" in handout and "drug=lorazepam" in handout
    printed = planner.request.get(f"{base}/{handout}")
    assert printed.status == 200 and "<table>" in printed.text()


def test_sign_see_cards_accept_open_the_planner_and_change_the_pace(demo_server: str, page: Page) -> None:
    open_patient(page, demo_server, "ingrid-vos")
    expect(page.locator("#patient-name")).to_have_text("Ingrid Vos")
    expect(page.locator("#meds table tbody tr")).to_have_count(4)
    expect(page.locator("#dose")).to_have_value("1 tablet three times a day")
    sign_and_check_the_hook_request(page)
    card = the_high_dose_card(page)
    accept_the_quantity_suggestion(page, card)
    planner = open_the_planner(page, card)
    slow_down_and_hold_a_step(planner, demo_server)
    planner.set_viewport_size({"width": 1300, "height": 1000})
    planner.screenshot(path=str(SCREENSHOTS / "planner.png"), full_page=True)
    assert unlabelled_controls(planner) == []
    assert unlabelled_controls(page) == []


def test_a_taper_suggestion_replaces_the_draft_and_a_referral_waits(demo_server: str, page: Page) -> None:
    open_patient(page, demo_server, "marc-peeters")
    sign(page)
    card = page.locator("article.card").first
    card.get_by_role("button", name=re.compile("Taper zolpidem 10 mg a day")).click()
    expect(page.locator("#orders .order[data-state=removed]")).to_contain_text("zolpidem 10 mg tablet")
    taper = page.locator("#orders .order[data-state=taper]")
    expect(taper).to_contain_text("Taper plan, a new order")
    expect(taper.locator("ol li").first).to_contain_text("Step 1 (reduce):")

    open_patient(page, demo_server, "peter-wouters")
    expect(page.locator("#orders")).to_have_text("No orders yet.")
    sign(page)
    page.get_by_role("button", name=re.compile("Refer for specialised support")).click()
    expect(page.locator("#referrals li.referral")).to_contain_text("Referral to specialised care")


def test_an_override_sends_its_reason_as_feedback(demo_server: str, page: Page) -> None:
    open_patient(page, demo_server, "jan-de-groot")
    sign(page)
    card = page.locator("article.card")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-indicator", "critical")
    expect(card.locator(".indicator")).to_have_text("Critical")
    card.locator("details.override-box > summary").click()
    card.get_by_role("button", name="Dismiss with this reason").click()
    expect(card.locator(".field-error")).to_have_text("Choose a reason first.")
    card.get_by_label("Reason").select_option(label="Benefits outweigh the risks for this patient")
    card.get_by_label("Comment (optional)").fill("Short course agreed; reviewed with the pain team")
    with page.expect_request(lambda r: "/feedback?language=" in r.url) as feedback:
        card.get_by_role("button", name="Dismiss with this reason").click()
    body = json.loads(feedback.value.post_data)["feedback"][0]
    assert body["outcome"] == "overridden" and "acceptedSuggestions" not in body
    assert body["overrideReason"]["reason"]["code"] == "benefit-outweighs-risk"
    assert body["overrideReason"]["reason"]["system"] == "urn:bzra-cds:override-reason"
    assert body["overrideReason"]["userComment"] == "Short course agreed; reviewed with the pain team"
    expect(card.locator("[data-feedback=sent]")).to_be_visible()
    expect(card.locator(".outcome")).to_contain_text("Dismissed: Benefits outweigh the risks")


def test_keyboard_only_and_no_cards_for_a_patient_without_bzra(demo_server: str, page: Page) -> None:
    page.goto(f"{demo_server}/")
    page.locator("button[data-patient-id='lucas-dubois']").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#patient-name")).to_have_text("Lucas Dubois")
    expect(page.locator("#patient-name")).to_be_focused()
    page.locator("#sign").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cards-status")).to_have_text(re.compile("^No advice"))
    expect(page.locator("article.card")).to_have_count(0)


def test_order_form_errors_are_explained_next_to_the_field(demo_server: str, page: Page) -> None:
    open_patient(page, demo_server, "tom-hermans")
    page.get_by_label("Dose instructions").fill("")
    page.get_by_label("Quantity").fill("0")
    page.get_by_role("button", name="Sign the prescription").click()
    expect(page.locator("#dose-error")).to_contain_text("Write the dose instructions")
    expect(page.locator("#quantity-error")).to_contain_text("quantity of 1 or more")
    expect(page.locator("#dose")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#dose")).to_be_focused()
    page.get_by_role("button", name="Back to the story's prescription").click()
    sign(page)
    expect(page.locator("article.card[data-indicator=info]")).to_have_count(1)


def test_the_pages_speak_dutch_and_french(demo_server: str, page: Page) -> None:
    open_patient(page, demo_server, "maria-claes")
    page.get_by_label("Language").select_option("nl")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("button", name="Voorschrift ondertekenen")).to_be_visible()
    expect(page.locator("#dose")).to_have_value("1 tablet voor het slapen")
    page.get_by_role("button", name="Voorschrift ondertekenen").click()
    expect(page.locator("article.card h3")).to_contain_text("onafgebroken gebruik")
    expect(page.locator("article.card .indicator")).to_have_text("Waarschuwing")

    page.goto(f"{demo_server}/planner?drug=oxazepam&dose=30&language=fr")
    expect(page.locator("h1")).to_have_text("Planificateur de diminution")
    expect(page.locator("#plan-summary")).to_contain_text("rythme standard")
    expect(page.locator("#notes")).to_contain_text("un relais par le diazépam")  # the service's notes, in French


def test_the_planner_explains_bad_input_next_to_the_field(demo_server: str, page: Page) -> None:
    page.goto(f"{demo_server}/planner?drug=lorazepam&dose=0")
    expect(page.locator("#dose-error")).to_contain_text("Enter the daily dose in mg, more than 0.")
    expect(page.locator("#dose-error .from-service")).to_contain_text("more than 0 mg")
    expect(page.locator("#dose")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#plan")).to_be_hidden()

    page.get_by_label("Daily dose now (mg a day)").fill("")
    page.get_by_role("button", name="Make the plan").click()
    expect(page.locator("#dose-error")).to_contain_text("no dose given")

    page.get_by_label("Medicine taken now").fill("paracetamol")
    page.get_by_label("Daily dose now (mg a day)").fill("3")
    page.get_by_role("button", name="Make the plan").click()
    expect(page.locator("#drug-error")).to_contain_text("Name a benzodiazepine or Z-drug this service knows.")
    expect(page.locator("#drug-error .from-service")).to_contain_text("unknown drug 'paracetamol'")
    expect(page.locator("#drug")).to_be_focused()
    expect(page.locator("#dose-error")).to_be_empty()

    page.get_by_label("Medicine taken now").fill("Temesta")  # a brand name is understood
    page.get_by_role("button", name="Make the plan").click()
    expect(page.locator("#plan")).to_be_visible()
    expect(page.locator("#drug-error")).to_be_empty()


def test_a_failing_service_gives_a_readable_message(demo_server: str, page: Page) -> None:
    open_patient(page, demo_server, "els-jacobs")
    page.route("**/cds-services/bzra-order-sign", lambda route: route.abort())
    page.get_by_role("button", name="Sign the prescription").click()
    expect(page.locator("#cards-status")).to_have_text(
        "The advice could not be fetched: The service could not be reached. Check the connection and try again."
    )
    page.unroute("**/cds-services/bzra-order-sign")
    page.route("**/cds-services/bzra-order-sign", lambda route: route.fulfill(status=502, body="<html>Bad gateway</html>"))
    page.get_by_role("button", name="Sign the prescription").click()
    expect(page.locator("#cards-status")).to_contain_text("The service answered with an error (HTTP 502).")

    page.route("**/taper", lambda route: route.fulfill(status=500, content_type="text/plain", body="Internal Server Error"))
    page.goto(f"{demo_server}/planner?drug=lorazepam&dose=2")
    expect(page.locator("#page-error")).to_have_text("The service answered with an error (HTTP 500).")
    expect(page.locator("h1")).to_have_text("Taper planner")


def test_markdown_from_a_card_is_rendered_safely(demo_server: str, page: Page) -> None:
    page.goto(f"{demo_server}/")
    html = page.evaluate(
        """async () => {
            const { markdownToHtml } = await import('./demo/static/markdown.js');
            return {
              evil: markdownToHtml('<img src=x onerror="window.pwned=1"> **bold <b>x</b>** [js](javascript:alert(1)) [ok](https://example.org)'),
              blocks: markdownToHtml('One\\ntwo\\n\\n- a\\n- **b**\\n\\n1. first\\n\\n| A | B |\\n|---|---|\\n| 1 \\\\| 2 | *x* |'),
            };
        }"""
    )
    assert "<img" not in html["evil"] and "&lt;img src=x" in html["evil"]
    assert "<strong>bold &lt;b&gt;x&lt;/b&gt;</strong>" in html["evil"]
    assert 'href="javascript' not in html["evil"]
    assert '<a href="https://example.org/" rel="noopener noreferrer" target="_blank">ok</a>' in html["evil"]
    assert html["blocks"].startswith("<p>One two</p><ul><li>a</li><li><strong>b</strong></li></ul><ol><li>first</li></ol><table>")
    assert '<th scope="col">A</th>' in html["blocks"] and "<td>1 | 2</td><td><em>x</em></td>" in html["blocks"]
    assert page.evaluate("window.pwned") is None


def test_pkce_and_authorize_url_follow_the_specs(demo_server: str, page: Page) -> None:
    page.goto(f"{demo_server}/planner")
    result = page.evaluate(
        """async () => {
            const smart = await import('./planner/static/smart.js');
            const url = new URL(smart.authorizeUrl({
              authorizationEndpoint: 'https://ehr.example.org/auth?tenant=1', clientId: 'c', redirectUri: 'https://app/planner',
              scope: 'launch openid', state: 's', launch: 'l', aud: 'https://ehr.example.org/fhir', challenge: 'x' }));
            let refused = null;
            try { smart.checkServerUrl('http://ehr.example.org/fhir'); } catch (e) { refused = e.message; }
            return {
              challenge: await smart.pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
              verifier: smart.randomString(32),
              params: Object.fromEntries(url.searchParams),
              refused,
              local: smart.checkServerUrl('http://localhost:8090/fhir/'),
              context: smart.parseAppContext('{"drug":"zolpidem"}'),
              badContext: smart.parseAppContext('not json'),
            };
        }"""
    )
    assert result["challenge"] == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636, appendix B
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", result["verifier"])
    assert result["params"] == {
        "tenant": "1", "response_type": "code", "client_id": "c", "redirect_uri": "https://app/planner", "scope": "launch openid",
        "state": "s", "aud": "https://ehr.example.org/fhir", "code_challenge": "x", "code_challenge_method": "S256", "launch": "l",
    }
    assert "must use https" in result["refused"] and result["local"] == "http://localhost:8090/fhir"
    assert result["context"] == {"drug": "zolpidem"} and result["badContext"] is None


class FakeEhr:
    """A SMART EHR made of Playwright routes: discovery, authorize, token and the FHIR write; notes what it got."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def install(self, page: Page) -> None:
        page.route(f"{EHR}/.well-known/smart-configuration", self.smart_configuration)
        page.route("https://ehr.example.org/auth/authorize*", self.authorize)
        page.route("https://ehr.example.org/auth/token", self.token)
        page.route(f"{EHR}/MedicationRequest", self.write)

    def smart_configuration(self, route: Route) -> None:
        route.fulfill(
            json={
                "authorization_endpoint": "https://ehr.example.org/auth/authorize",
                "token_endpoint": "https://ehr.example.org/auth/token",
                "code_challenge_methods_supported": ["S256"],
                "capabilities": ["launch-ehr", "client-public"],
            },
            headers=CORS,
        )

    def authorize(self, route: Route) -> None:
        query = {k: v[0] for k, v in parse_qs(urlparse(route.request.url).query).items()}
        self.seen["authorize"] = query
        route.fulfill(status=302, headers={"Location": f"{query['redirect_uri']}?code=code-123&state={query['state']}"})

    def token(self, route: Route) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=CORS)
            return
        self.seen["token"] = {k: v[0] for k, v in parse_qs(route.request.post_data).items()}
        route.fulfill(
            json={
                "access_token": "access-token-1",
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "launch patient/MedicationRequest.write openid fhirUser",
                "patient": "p-123",
                "appContext": json.dumps({"drug": "lorazepam", "dose": 3, "pace": "slow", "language": "en"}),
            },
            headers=CORS,
        )

    def write(self, route: Route) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=CORS)
            return
        self.seen["write"] = {"auth": route.request.headers.get("authorization"), "body": json.loads(route.request.post_data)}
        route.fulfill(status=201, json={**json.loads(route.request.post_data), "id": "mr-777"}, headers={**CORS, "Location": f"{EHR}/MedicationRequest/mr-777/_history/1"})


def check_the_authorization_code_flow_with_pkce(seen: dict[str, Any], base: str) -> None:
    """The planner asked for the right scopes and audience, and its verifier matches its challenge."""
    authorize_query = seen["authorize"]
    assert authorize_query["client_id"] == "bzra-planner" and authorize_query["launch"] == "launch-abc"
    assert authorize_query["scope"] == "launch patient/MedicationRequest.write openid fhirUser"
    assert authorize_query["aud"] == EHR and authorize_query["redirect_uri"] == f"{base}/planner"
    assert authorize_query["code_challenge_method"] == "S256"
    token_form = seen["token"]
    assert token_form["grant_type"] == "authorization_code" and token_form["code"] == "code-123"
    assert token_form["client_id"] == "bzra-planner" and token_form["redirect_uri"] == f"{base}/planner"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(token_form["code_verifier"].encode()).digest()).rstrip(b"=").decode()
    assert challenge == authorize_query["code_challenge"]  # PKCE: the verifier matches the challenge


def test_a_smart_ehr_launch_writes_the_plan_to_the_ehr(browser: Browser) -> None:
    with running_service(env={"BZRA_SMART_CLIENT_ID": "bzra-planner", "BZRA_AUDIT_SECRET": "a-test-audit-secret-0123456789"}) as (base, _process):
        context = browser.new_context(viewport={"width": 1300, "height": 1000})
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        ehr = FakeEhr()
        ehr.install(page)

        page.goto(f"{base}/planner?iss={EHR}&launch=launch-abc")
        expect(page.locator("#launch-status")).to_have_text("Connected to the EHR for patient p-123.")
        assert "code=" not in page.url  # the code is not left in the address bar
        check_the_authorization_code_flow_with_pkce(ehr.seen, base)

        expect(page.locator("#plan")).to_have_attribute("data-pace", "slow")  # the plan from appContext
        expect(page.locator("#patient-line")).to_have_text("Patient: p-123")
        page.get_by_role("button", name="Write the plan to the EHR").click()
        expect(page.locator("#write-status")).to_have_text("The plan was written to the EHR as MedicationRequest/mr-777.")
        written = ehr.seen["write"]
        assert written["auth"] == "Bearer access-token-1"
        assert written["body"]["resourceType"] == "MedicationRequest" and written["body"]["subject"] == {"reference": "Patient/p-123"}
        assert len(written["body"]["dosageInstruction"]) > 3
        context.close()


def test_a_launch_without_a_client_id_still_plans(demo_server: str, page: Page) -> None:
    page.goto(f"{demo_server}/planner?iss={EHR}&launch=launch-abc&drug=zolpidem&dose=10")
    expect(page.locator("#launch-status")).to_contain_text("no SMART client id (BZRA_SMART_CLIENT_ID)")
    expect(page.locator("#plan")).to_be_visible()
    expect(page.get_by_role("button", name="Write the plan to the EHR")).to_be_hidden()


def test_a_smart_link_on_a_card_opens_the_planner_with_its_app_context(demo_server: str, page: Page) -> None:
    open_patient(page, demo_server, "marc-peeters")
    sign(page)
    links = page.locator("article.card a[data-planner]")
    expect(links).to_have_count(1)  # the card's own smart link, not one made from the handout
    expect(links).to_have_attribute("data-planner", "smart")
    expect(links).to_contain_text("Adjust the taper plan with the patient")
    with page.context.expect_page() as opened:
        links.click()
    planner = opened.value
    expect(planner.locator("#plan")).to_have_attribute("data-pace", "standard")
    expect(planner.locator("#drug")).to_have_value("zolpidem")
    expect(planner.locator("#patient-line")).to_have_text("Patient: marc-peeters")


# ---- short cards in an EHR column, the right advice for the patients of issue 15, nl and fr ---------------

EHR_COLUMN_PX = 590  # the width an EHR gives the CDS panel beside the order (issue 16)
# A card must fit in about one screen: a 1080-pixel-high display shows about 900 px of a page once
# the browser's and the EHR's bars are drawn, so a card no taller than that is read without scrolling
# through it. Main's merged cards reached 1,980 px.
CARD_MAX_PX = 900
PATIENTS_WITH_CARDS = ("marc-peeters", "ingrid-vos", "jan-de-groot", "maria-claes", "ahmed-el-amrani", "peter-wouters",
                       "hilde-maes", "els-jacobs", "tom-hermans", "nadia-haddad")
SIGN_LABEL = {"en": "Sign the prescription", "nl": "Voorschrift ondertekenen", "fr": "Signer la prescription"}


def sign_in(page: Page, base: str, patient_id: str, language: str) -> None:
    """Open the patient with the page in `language` and sign the story's prescription."""
    page.goto(f"{base}/?language={language}")
    page.locator(f"button[data-patient-id='{patient_id}']").click()
    with page.expect_response(lambda r: r.url.endswith("/cds-services/bzra-order-sign") and r.request.method == "POST"):
        page.get_by_role("button", name=SIGN_LABEL[language]).click()
    expect(page.locator("article.card").first).to_be_visible()


def card_heights(page: Page) -> list[int]:
    """Each card's height with the cards laid out in an EHR column of EHR_COLUMN_PX."""
    page.evaluate(f"document.getElementById('cards').style.width = '{EHR_COLUMN_PX}px'")
    return page.evaluate("[...document.querySelectorAll('article.card')].map((c) => Math.round(c.getBoundingClientRect().height))")


def test_every_card_fits_about_one_screen_in_an_ehr_column_in_every_language(demo_server: str, page: Page) -> None:
    measured: dict[str, list[int]] = {}
    for language in ("en", "nl", "fr"):
        for patient_id in PATIENTS_WITH_CARDS:
            sign_in(page, demo_server, patient_id, language)
            measured[f"{patient_id} [{language}]"] = card_heights(page)
    print("\ncard heights (px) in a 590 px column:", json.dumps(measured, indent=1))  # shown with -s
    too_tall = {where: heights for where, heights in measured.items() if max(heights) > CARD_MAX_PX}
    assert not too_tall, too_tall
    assert all(heights for heights in measured.values())


def suggestion_labels(page: Page) -> list[str]:
    return page.locator("article.card button.accept").all_inner_texts()


def test_the_demo_patients_of_issue_15_get_the_right_advice(demo_server: str, page: Page) -> None:
    # Jan de Groot: no BZRA yet, oxycodone in use: reconsider the start, never a taper.
    open_patient(page, demo_server, "jan-de-groot")
    sign(page)
    labels = suggestion_labels(page)
    assert labels == ["Do not start diazepam now: remove this draft order"], labels
    page.get_by_role("button", name=re.compile("Do not start diazepam now")).click()
    expect(page.locator("#orders .order[data-state=removed]")).to_contain_text("diazepam 5 mg tablet")
    expect(page.locator("#orders .order[data-state=taper]")).to_have_count(0)

    # Els Jacobs: a first short course of lorazepam next to pregabalin: no taper.
    open_patient(page, demo_server, "els-jacobs")
    sign(page)
    assert not [label for label in suggestion_labels(page) if "aper" in label], suggestion_labels(page)

    # Ahmed El Amrani: ten days of oxazepam: no taper at all, so no 18-week one.
    open_patient(page, demo_server, "ahmed-el-amrani")
    sign(page)
    labels = suggestion_labels(page)
    assert not [label for label in labels if "aper" in label or "week" in label], labels

    # Nadia Haddad: the tramadol draft stays; the taper of her clonazepam is created beside it.
    open_patient(page, demo_server, "nadia-haddad")
    sign(page)
    card = page.locator("article.card").first
    expect(card).to_have_attribute("data-indicator", "critical")
    card.get_by_role("button", name=re.compile("Taper clonazepam")).click()
    expect(page.locator("#orders .order[data-state=taper]")).to_contain_text("clonazepam")
    expect(page.locator("#orders .order[data-state=draft]")).to_contain_text("tramadol")
    expect(page.locator("#orders .order[data-state=removed]")).to_have_count(0)

    # Maria Claes: any switch to diazepam is named on the button; without it, the plan is of zolpidem.
    open_patient(page, demo_server, "maria-claes")
    sign(page)
    card = page.locator("article.card").first
    [taper_label] = [label for label in suggestion_labels(page) if "aper" in label]
    card.get_by_role("button", name=re.compile("Taper")).click()
    created = page.locator("#orders .order[data-state=taper]")
    if "diazepam" in taper_label:
        assert "switch" in taper_label.lower(), taper_label
    else:
        expect(created.locator("strong")).not_to_contain_text("diazepam")
        expect(created).to_contain_text("zolpidem")


SCREENSHOT_PATIENTS = ("maria-claes", "jan-de-groot")  # a merged card with a taper; a critical card that advises not starting
INDICATOR_WORDS = {"nl": ("Waarschuwing", "Dringend"), "fr": ("Avertissement", "Critique")}


def test_screenshots_of_the_same_demo_patients_in_dutch_and_french(demo_server: str, page: Page) -> None:
    """The README's docs/screenshots/cards-<patient>-<nl|fr>.png; this test makes them again."""
    page.set_viewport_size({"width": 1280, "height": 1000})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("nl", "fr"):
        for patient_id in SCREENSHOT_PATIENTS:
            sign_in(page, demo_server, patient_id, language)
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("article.card .indicator").first).to_have_text(re.compile("|".join(INDICATOR_WORDS[language]), re.I))
            page.evaluate("window.scrollTo(0, 0)")
            page.locator("#patient-view").screenshot(path=str(SCREENSHOTS / f"cards-{patient_id}-{language}.png"))
    written = sorted(path.name for path in SCREENSHOTS.glob("cards-*-*.png"))
    assert written == sorted(f"cards-{p}-{lang}.png" for p in SCREENSHOT_PATIENTS for lang in ("nl", "fr"))
