"""The card link that opens the taper planner: a SMART link carrying the plan in `appContext`."""

from __future__ import annotations

import json
from datetime import date

import pytest

from service.planner.links import plan_context, plan_link, planner_link


def test_planner_link_is_a_smart_link_with_the_plan_in_app_context() -> None:
    link = planner_link(
        "https://cds.example.org/",
        {"drug": "lorazepam", "dose": 3.0, "pace": "slow", "start": date(2026, 11, 23), "holds": [2], "switch_to": None, "patient": "Patient/p1"},
        "nl",
    )
    assert link.type == "smart" and link.url == "https://cds.example.org/planner"
    assert "afbouwplanner" in link.label
    assert json.loads(link.appContext) == {
        "drug": "lorazepam",
        "dose": 3.0,
        "pace": "slow",
        "start": "2026-11-23",
        "holds": [2],
        "patient": "p1",
        "language": "nl",
    }
    wire = link.wire()
    assert set(wire) == {"label", "url", "type", "appContext"}
    assert planner_link("http://x", {"drug": "zolpidem", "dose": "10"}, "de").label.startswith("Adjust")  # unknown language: English
    with pytest.raises(ValueError, match="unknown plan parameter"):
        planner_link("http://x", {"drug": "zolpidem", "dose": 10, "colour": "blue"}, "en")


@pytest.mark.parametrize("patient", ["p1", "Patient/p1", "élodie-\"1\"", "", None])
@pytest.mark.parametrize("language", ["nl", "de"])
def test_a_plan_link_for_a_patient_is_the_planner_link_with_that_patient(patient: str | None, language: str) -> None:
    """Written once per plan, the link's context is the very JSON `plan_context` gives with the patient."""
    plan = {"drug": "lorazepam", "dose": 2, "also_taking": [{"drug": "zolpidem", "dose": 10}], "holds": ["3"], "start": "2026-12-07"}
    expected = planner_link("http://x/", {**plan, "patient": patient}, language)
    assert plan_link("http://x/", plan, language).for_patient(patient) == expected
    assert json.loads(expected.appContext or "") == plan_context({**plan, "patient": patient}, language)


def test_a_plan_link_checks_the_plan_once_when_made() -> None:
    with pytest.raises(ValueError, match="colour"):
        plan_link("http://x", {"drug": "zolpidem", "colour": "blue"}, "en")
