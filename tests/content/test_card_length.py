"""Cards short enough to read while prescribing, in every language.

Over the hook answers of the demo patients, every rule test case and the README's example, in en,
nl and fr (`tests/support/shipped_texts.py`): no card detail is longer than 1,000 characters; a merged card
shows the lead finding in a few short sentences and each other finding as one line, without repeating
its summary; the taper table is not in the card (it lives in the planner and the handout, one link
away). How merged cards stay short is described in the README ("Writing rules").
"""

from __future__ import annotations

import re

import pytest

from tests.support import shipped_texts
from tests.support.shipped_texts import LANGUAGES

MAX_DETAIL = 1_000  # characters of a card's detail, any language
MAX_FINDING = 600  # characters of a paragraph: the lead finding's text, or a note a suggestion adds
MAX_SENTENCES = 5  # sentences of a paragraph
MAX_LINE = 140  # characters of the one line of each other finding (a CDS Hooks summary is < 140)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_NUMBER_DOT = re.compile(r"\b(?:et al|p\. ex|bv|e\.g|i\.e)\.", re.IGNORECASE)


def _cards(language: str) -> list[tuple[str, dict]]:
    return [
        (f"{answer.where} [{language}] card {i}", card)
        for answer in shipped_texts.answers()
        if answer.language == language
        for i, card in enumerate(answer.response.get("cards", []))
    ]


def _rules(card: dict) -> list[dict]:
    return card.get("extension", {}).get("bzra-cds.rules", [])


def _paragraphs_and_lines(detail: str) -> tuple[list[str], list[str]]:
    """The paragraphs of a detail (the lead finding's, a note a suggestion adds), and its one-line
    findings ("- ..." lines)."""
    paragraphs = [p for p in detail.split("\n\n") if p.strip()]
    lines = [line[2:] for p in paragraphs if p.startswith("- ") for line in p.split("\n")]
    return [p for p in paragraphs if not p.startswith("- ")], lines


def test_the_answers_hold_merged_cards_in_every_language() -> None:
    """The cases below include cards that merge several findings, so the checks have something to hold."""
    for language in LANGUAGES:
        merged = [card for _, card in _cards(language) if len(_rules(card)) >= 3]
        assert len(merged) >= 5, language


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_card_detail_is_longer_than_1000_characters(language: str) -> None:
    too_long = [(len(card.get("detail") or ""), where) for where, card in _cards(language) if len(card.get("detail") or "") > MAX_DETAIL]
    assert not too_long, sorted(too_long, reverse=True)[:10]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_card_does_not_repeat_its_summary(language: str) -> None:
    for where, card in _cards(language):
        detail = card.get("detail") or ""
        first = detail.split("\n", 1)[0].strip("*- ")
        assert first != card["summary"].strip(), where
        assert card["summary"] not in detail, where


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lead_finding_in_a_few_short_sentences_each_other_finding_in_one_line(language: str) -> None:
    for where, card in _cards(language):
        paragraphs, lines = _paragraphs_and_lines(card.get("detail") or "")
        for paragraph in paragraphs:
            sentences = len(_SENTENCE_END.findall(_NUMBER_DOT.sub("", paragraph)))
            assert len(paragraph) <= MAX_FINDING and sentences <= MAX_SENTENCES, (where, len(paragraph), sentences, paragraph)
        assert all(len(line) <= MAX_LINE for line in lines), (where, lines)
        assert len(lines) <= max(len(_rules(card)) + 2, 8), (where, lines)  # the findings and a note or two; the data card's list


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_taper_table_lives_in_the_planner_and_the_handout_not_in_the_card(language: str) -> None:
    for where, card in _cards(language):
        assert "|---" not in (card.get("detail") or ""), where
        if any(s["label"] for s in card.get("suggestions", []) if "taper" in json_kinds(s)):
            assert any(link.get("type") == "smart" for link in card.get("links", [])), where


def json_kinds(suggestion: dict) -> str:
    """'taper' when a suggestion creates a MedicationRequest (a taper plan)."""
    creates = [a.get("resource", {}).get("resourceType") for a in suggestion.get("actions", []) if a.get("type") == "create"]
    return "taper" if "MedicationRequest" in creates else ""
