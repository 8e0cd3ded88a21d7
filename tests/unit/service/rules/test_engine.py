"""The engine: which rules fire and why, merged cards, languages, overrides."""

from __future__ import annotations

import re
from pathlib import Path

from service.knowledge.loader import load_knowledge
from service.rules.engine import evaluate
from service.rules.loader import load_rule_set
from service.rules.models import RuleTestCase
from service.rules.shorthand import request_for_case
from tests.support.facts_support import facts_for
from tests.support.rules_support import SHIPPED, minimal_rule, rules_dir

KNOWLEDGE = load_knowledge()
SHIPPED_SET, _ = load_rule_set(SHIPPED, KNOWLEDGE)


def facts_of(**case: object):
    test_case = RuleTestCase.model_validate({"name": "t", "expect": {"fires": ["x"]}, **case})
    return facts_for(request_for_case(test_case, KNOWLEDGE))


LONG_TERM_HIGH_DOSE_OLDER = facts_of(
    age=80,
    history=[{"drug": "lorazepam 1 mg tablet", "dose": "1 tablet three times a day", "start": "2026-06-01"}],
    orders=[{"drug": "lorazepam 1 mg tablet", "dose": "1 tablet three times a day", "quantity": 90, "reason": "anxiety"}],
)


def test_overlapping_findings_merge_into_one_card_led_by_the_most_important() -> None:
    evaluation = evaluate(SHIPPED_SET, LONG_TERM_HIGH_DOSE_OLDER, "order-sign", "en")
    assert {"long-term-use", "high-dose", "older-adult", "order-too-long"} <= set(evaluation.fired)
    [card] = evaluation.cards
    assert card.indicator == "warning"
    assert card.summary.startswith("High dose: 30 mg/day")  # highest priority leads
    lines = card.detail.split("\n")  # the lead's detail, then each other finding as one line: its summary
    assert lines[0].startswith("In use now: lorazepam 3 mg a day") and "High dose" not in card.detail
    assert any(re.fullmatch(r"- Continuous use for \d+ days: beyond the 28-day guideline limit", line) for line in lines)
    assert any(line.startswith("- Patient aged 80: ") for line in lines)
    assert card.selectionBehavior is None or card.suggestions  # no suggestions yet without a factory
    rules = [r["id"] for r in card.extension["bzra-cds.rules"]]
    assert rules[0] == "high-dose" and set(rules) == {"high-dose", "long-term-use", "older-adult", "order-too-long"}
    assert evaluation.card_rules[card.uuid] == rules
    codes = [c.code for c in card.overrideReasons]
    assert len(codes) == len(set(codes)) and "tapering-supervised" in codes


def test_cards_are_sorted_most_severe_first() -> None:
    facts = facts_of(
        age=40,
        history=[{"drug": "oxycodone 5 mg tablet", "dose": "1 tablet four times a day", "start": "2026-11-10"}],
        orders=[{"drug": "zolpidem 10 mg tablet", "dose": "1 tablet at night", "quantity": 30, "reason": "insomnia"}],
    )
    evaluation = evaluate(SHIPPED_SET, facts, "order-sign", "en")
    assert [c.indicator for c in evaluation.cards] == ["critical", "info"]


def test_texts_in_dutch_and_french() -> None:
    dutch = evaluate(SHIPPED_SET, LONG_TERM_HIGH_DOSE_OLDER, "order-sign", "nl").cards[0]
    french = evaluate(SHIPPED_SET, LONG_TERM_HIGH_DOSE_OLDER, "order-sign", "fr").cards[0]
    assert dutch.summary.startswith("Hoge dosis: 30 mg/dag")
    assert french.summary.startswith("Dose élevée : 30 mg/jour")
    assert "Patiënt van 80 jaar" in dutch.detail
    assert dutch.overrideReasons[0].display != french.overrideReasons[0].display


def test_every_outcome_says_why() -> None:
    evaluation = evaluate(SHIPPED_SET, LONG_TERM_HIGH_DOSE_OLDER, "order-sign", "en")
    by_id = {o.rule.id: o for o in evaluation.outcomes}
    assert by_id["long-term-use"].values["history.bzra_continuous_days"] == 175
    assert by_id["opioid-and-bzra"].status == "not fired"
    assert evaluate(SHIPPED_SET, LONG_TERM_HIGH_DOSE_OLDER, "patient-view", "en").outcomes[0].status == "skipped"


def test_an_unknown_value_means_not_evaluated_rather_than_a_crash(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, extra={"r.yaml": minimal_rule(when='"draft.de_mg_per_day >= 20.0"')})
    rule_set, problems = load_rule_set(directory, KNOWLEDGE)
    assert problems == []
    facts = facts_of(orders=[{"drug": "lorazepam 1 mg tablet", "dose": "as discussed", "quantity": 10}])
    [outcome] = evaluate(rule_set, facts, "order-sign", "en").outcomes
    assert outcome.status == "not evaluated" and "unknown" in outcome.reason


def test_deployment_overrides_disable_rules_and_change_thresholds(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("rules:\n  older-adult:\n    enabled: false\n  high-dose:\n    parameters:\n      high_dose_de_mg: 40\n")
    rule_set, problems = load_rule_set(SHIPPED, KNOWLEDGE, overrides)
    assert problems == []
    evaluation = evaluate(rule_set, LONG_TERM_HIGH_DOSE_OLDER, "order-sign", "en")
    by_id = {o.rule.id: o for o in evaluation.outcomes}
    assert by_id["older-adult"].status == "skipped" and "disabled" in by_id["older-adult"].reason
    assert by_id["high-dose"].status == "not fired"  # 30 mg is under the deployment's 40 mg
    assert by_id["long-term-use"].status == "fired"


def test_summaries_stay_under_140_characters(tmp_path: Path) -> None:
    long_summary = "Very long summary " * 12 + "{{ patient.age }}"
    directory = rules_dir(tmp_path, extra={"r.yaml": minimal_rule(summary=long_summary)})
    rule_set, _ = load_rule_set(directory, KNOWLEDGE)
    [card] = evaluate(rule_set, LONG_TERM_HIGH_DOSE_OLDER, "order-sign", "en").cards
    assert len(card.summary) < 140 and card.summary.endswith("…")


def test_a_condition_is_given_only_the_facts_it_reads() -> None:
    from service.rules.context import project, read_tree
    from service.rules.expressions import Condition

    condition = Condition.compile(
        "history.bzra_continuous_days > params.days && conditions['insomnia'] && draft_classes.exists(c, c in comedication)"
    )
    tree = read_tree(condition.paths())
    assert tree == {"history": {"bzra_continuous_days": None}, "params": {"days": None},
                    "conditions": None, "draft_classes": None, "comedication": None}  # x['key'] reads x whole
    data = {
        "history": {"bzra_continuous_days": 40, "episodes": [{"drug": "x"}]},
        "conditions": {"insomnia": True, "epilepsy": False},
        "draft_classes": ["opioid"],
        "comedication": {"opioid": True},
        "patient": {"age": 80},
    }
    picked = project(data, tree)
    assert picked == {"history": {"bzra_continuous_days": 40}, "conditions": {"insomnia": True, "epilepsy": False},
                      "draft_classes": ["opioid"], "comedication": {"opioid": True}}
    assert condition.evaluate({**picked, "params": {"days": 28}}) == (True, None)
    assert read_tree([("history", "episodes"), ("history",)]) == {"history": None}  # read whole wins
