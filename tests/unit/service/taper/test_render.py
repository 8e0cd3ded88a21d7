"""A taper plan as text, Markdown and JSON, in three languages."""

from __future__ import annotations

import re

import pytest

from service.taper.render import plan_json, plan_markdown, plan_text
from tests.support.taper_support import plan_for


def test_text_and_markdown_in_three_languages(kn):
    plan = plan_for(kn, "lorazepam", 3, protocol="cks_ashton")
    text = plan_text(plan, "en")
    assert text.startswith("Taper plan: lorazepam 3 mg a day, switch to diazepam (protocol: NICE CKS after Ashton")
    assert "products marketed in Belgium" in text and "Sources:" in text and "lorazepam 2 mg (2 × 1 mg) + diazepam 10 mg" in text
    nl = plan_markdown(plan, "nl")
    assert "| Stap | Wat | Van | Tot en met | Gemiddeld per dag | Wat wordt ingenomen |" in nl and "producten in de handel in België" in nl
    assert "0,29 mg" in nl or "0,29" in nl  # decimal comma
    fr = plan_text(plan, "fr")
    assert "Schéma de diminution : lorazépam 3 mg par jour, relais par diazépam" in fr and "commercialisés en Belgique" in fr
    assert re.search(r"\d\.\d", fr.split("Sources")[0].replace("1.6", "")) is None  # no decimal point in French numbers


def test_json_states_each_step_with_its_average_intakes_and_drug_free_days(kn):
    data = plan_json(plan_for(kn, "zolpidem", 10), "nl")
    step = data["steps"][1]
    assert step["dose_mg"] == pytest.approx(7.1429) and step["free_days_per_week"] == 2
    assert step["intakes"] == [{"drug": "zolpidem", "mg": 10.0, "days_per_week": 5, "form": "tablet",
                                "units": [{"strength": 10.0, "count": 1.0}]}]
    assert "2 dagen per week zonder middel" in step["taken"]
    assert data["protocol"] == "deprescribing_org" and data["market"] == "BE" and data["market_name"] == "België"
