"""The feedback service owns the suppression policy (issue 19): which override reasons suppress comes
from the rule set's data (rules/override-reasons.yaml), and a suppression made clears the pipeline's
memory of who is suppressed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from service.feedback import FeedbackService
from service.knowledge.configured import load_configured_knowledge
from service.rules.holder import RuleHolder
from service.settings import Settings
from service.store import Store
from tests.support.store_support import NOW, card, hashed, make_call, overridden

pytestmark = pytest.mark.anyio
SETTINGS = Settings(insecure_dev=True, rules_reload=False)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", tmp_path / "spool")
    yield opened
    await opened.close()


def _rules(loaded: bool = True) -> RuleHolder:
    holder = RuleHolder(SETTINGS.rules_dir, load_configured_knowledge(SETTINGS), SETTINGS.rules_overrides_file)
    if loaded:
        holder.reload()
    return holder


def _service(store: Store, rules: RuleHolder, forgotten: list[str]) -> FeedbackService:
    return FeedbackService(rules, store, 30, lambda: forgotten.append("forgotten"))


async def test_the_suppressing_reasons_are_the_ones_the_data_marks(store: Store) -> None:
    data = yaml.safe_load((Path(SETTINGS.rules_dir) / "override-reasons.yaml").read_text(encoding="utf-8"))
    marked = {code for code, reason in data["reasons"].items() if reason.get("suppresses")}
    assert marked and marked != set(data["reasons"])  # some suppress, some do not
    assert _service(store, _rules(), []).suppressing_codes() == marked
    assert _service(store, _rules(loaded=False), []).suppressing_codes() == set()  # no rules in service yet


@pytest.mark.parametrize(("code", "suppressions"), [("tapering-supervised", 1), ("patient-not-ready", 0)])
async def test_an_override_suppresses_only_with_a_suppressing_reason(store: Store, code: str, suppressions: int) -> None:
    shown = card("long-term-use")
    store.record_call(make_call(cards=(shown,), fired=(("long-term-use", 1),), patient=hashed()))
    forgotten: list[str] = []
    outcome = await _service(store, _rules(), forgotten).record("bzra-order-sign", [overridden(shown.uuid, code)], NOW)
    assert (outcome.stored, outcome.suppressions_created) == (1, suppressions)
    assert [s.rule_id for s in await store.list_suppressions(now=NOW)] == ["long-term-use"] * suppressions
    assert forgotten == ["forgotten"] * suppressions  # the pipeline asks the store again only when it changed
