"""One market per plan: the market files' loader, a plan for every BZRA marketed in each market, and a
clear error (at start-up, or 422 on the request) for a market that does not exist."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.knowledge.configured import ConfigurationError
from service.knowledge.loader import load_knowledge
from service.settings import Settings
from service.taper.markets import MARKETS_DIR, MarketError, known_markets, load_market
from service.taper.plan import TaperRequest, make_plan
from tests.support.facts_support import TODAY

KNOWLEDGE = load_knowledge()
START = date(2026, 12, 1)


def _usual_dose(drug: str, market: str) -> float:
    """A usual daily dose: the marketed strength nearest to 10 mg diazepam-equivalent, at most one unit."""
    strengths = sorted({p.mg for p in load_market(market, KNOWLEDGE).products_for(drug)[0] if p.mg})
    eq = KNOWLEDGE.eq10(drug, "ashton")
    wanted = min(eq[1].value, strengths[-1]) if eq else strengths[-1]
    return min(strengths, key=lambda mg: abs(mg - wanted))


@pytest.mark.parametrize("market", ["BE", "NL", "US"])
def test_every_marketed_bzra_gets_a_plan_with_at_least_three_steps_before_zero(market: str) -> None:
    made = []
    for drug in load_market(market, KNOWLEDGE).marketed_drugs():
        dose = _usual_dose(drug, market)
        plan = make_plan(TaperRequest(drug, dose, market=market, start=START), KNOWLEDGE)
        before_zero = [s for s in plan.steps if s.kind != "stop"]
        assert len(before_zero) >= 3, (market, drug, dose, [s.dose_mg for s in plan.steps])
        assert plan.market == market and plan.steps[-1].dose_mg == 0
        made.append(drug)
    assert len(made) >= 12, made


@pytest.mark.parametrize("market", ["BE", "NL", "US"])
def test_a_plan_uses_its_own_market_s_products_only(market: str) -> None:
    own = load_market(market, KNOWLEDGE)
    for drug, dose in (("lorazepam", 3.0), ("diazepam", 20.0), ("alprazolam", 1.0)):
        plan = make_plan(TaperRequest(drug, dose, market=market, start=START, protocol="cks_ashton"), KNOWLEDGE)
        for step in plan.steps:
            for intake in step.intakes:
                strengths = {p.mg for p in own.products if p.drug == intake.drug and p.is_solid}
                assert {strength for strength, _ in intake.units} <= strengths, (market, intake)


def test_belgian_lorazepam_3_mg_no_longer_fails_and_no_us_strength_appears() -> None:
    # issue 16: '--market BE' exited with "no marketed oral strengths of lorazepam or of diazepam in BE"
    plan = make_plan(TaperRequest("lorazepam", 3, market="BE", start=START), KNOWLEDGE)
    strengths = {strength for s in plan.steps for i in s.intakes for strength, _ in i.units}
    assert strengths <= {1.0, 2.5} and 2.0 not in strengths  # Temesta/Lorazepam EG 1 and 2.5 mg; 2 mg is US only
    dutch = make_plan(TaperRequest("temazepam", 10, market="NL", start=START), KNOWLEDGE)
    assert {strength for s in dutch.steps for i in s.intakes for strength, _ in i.units} <= {10.0, 20.0}  # no 7.5 mg (US)


def test_known_markets_and_an_unknown_one() -> None:
    assert set(known_markets()) >= {"BE", "NL", "US"}
    assert load_market("be", KNOWLEDGE).market == "BE"
    with pytest.raises(MarketError, match="unknown market 'XX'; known markets: BE, NL, US"):
        load_market("XX")


def test_a_broken_market_file_names_file_and_line(tmp_path: Path) -> None:
    text = (MARKETS_DIR / "be.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "be.yaml"
    broken.write_text(text.replace("drug: zolpidem", "drug: zolpidemm", 1), encoding="utf-8")
    with pytest.raises(MarketError) as caught:
        load_market("BE", KNOWLEDGE, directory=tmp_path)
    line = next(i for i, l in enumerate(broken.read_text().splitlines(), 1) if "zolpidemm" in l)
    assert re.search(rf"be\.yaml:{line}:\d+: unknown drug 'zolpidemm'", str(caught.value))
    quote = next(line for line in text.splitlines() if line.strip().startswith("equal_parts_quote:") and line.count('"') in (0, 2))
    broken.write_text(text.replace(quote + "\n", "", 1), encoding="utf-8")
    with pytest.raises(MarketError, match="equal_parts above 1 needs equal_parts_quote"):
        load_market("BE", KNOWLEDGE, directory=tmp_path)
    broken.write_text(text.replace("sources: [BE-STN]", "sources: [NOWHERE]", 1), encoding="utf-8")
    with pytest.raises(MarketError, match="unknown source 'NOWHERE'"):
        load_market("BE", KNOWLEDGE, directory=tmp_path)


def test_an_unknown_market_or_protocol_stops_the_service_at_start_up() -> None:
    for settings, setting in (
        (Settings(insecure_dev=True, rules_reload=False, market="XX"), "BZRA_MARKET"),
        (Settings(insecure_dev=True, rules_reload=False, taper_protocol="fastest"), "BZRA_TAPER_PROTOCOL"),
        (Settings(insecure_dev=True, rules_reload=False, market="NL", taper_protocol="riziv_inami"), "BZRA_TAPER_PROTOCOL"),
    ):
        with pytest.raises(ConfigurationError) as caught:
            create_app(settings)
        assert str(caught.value).startswith(f"{setting}: "), caught.value


@pytest.mark.parametrize(("language", "words"), [("en", "unknown market 'XX'"), ("nl", "onbekende markt 'XX'"), ("fr", "marché inconnu « XX »")])
def test_an_unknown_market_on_the_request_is_a_422_naming_the_field(language: str, words: str) -> None:
    with TestClient(create_app(Settings(insecure_dev=True, rules_reload=False), today=lambda: TODAY)) as client:
        response = client.post("/taper", json={"drug": "lorazepam", "dose": "3 mg", "market": "XX", "language": language})
    assert response.status_code == 422
    assert response.json()["fields"] == [{"field": "market", "problem": response.json()["message"]}]
    assert words in response.json()["message"]
