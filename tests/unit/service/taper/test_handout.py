"""The patient's handout: HTML that escapes everything and explains the plan, in three languages."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from service.taper.handout import plan_handout_html
from tests.support.taper_support import START, plan_for


class _Tags(HTMLParser):
    VOID = {"meta", "br", "link", "img", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(tag)

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


def test_handout_html_escapes_everything_and_explains_the_plan(kn):
    plan = plan_for(kn, "lorazepam", 2, protocol="nhg_lumc", table="novadic_nl")
    evil = '<script>alert("x")</script>'
    page = plan_handout_html(plan, "en", [(f"GP {evil}", "+32 9 123 45 67"), ("Bad", "javascript:alert(1)")], made_on=START)
    tags = _Tags()
    tags.feed(page)
    assert not tags.problems and not tags.stack and "<script>" not in page and "&lt;script&gt;" in page
    assert '<a href="tel:+3291234567">' in page and 'href="javascript' not in page
    text = " ".join(tags.text)
    for phrase in ("Your schedule", "First you change to diazepam", "stop lorazepam 2 mg", "for 7 days", "products marketed in Belgium"):
        assert phrase in text, phrase
    assert page.count("<tr>") + page.count('<tr class="stop">') == len(plan.steps) + 1
    for word in ("abuse", "addict", "misuse"):
        assert word not in page.lower()


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("nl", ("Uw schema", "Stop niet plots", "1 tablet van 10 mg, op 5 dagen per week", "2 dagen per week zonder middel")),
        ("fr", ("Votre calendrier", "N'arrêtez pas brusquement", "1 comprimé de 10 mg, 5 jours par semaine", "2 jours par semaine sans médicament")),
    ],
)
def test_handout_in_dutch_and_french_with_drug_free_days(kn, language, phrases):
    page = html.unescape(plan_handout_html(plan_for(kn, "zolpidem", 10), language, made_on=START))
    for phrase in phrases:
        assert phrase in page, phrase
