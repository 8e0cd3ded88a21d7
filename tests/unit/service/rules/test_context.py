"""The facts as the rules read them: one dump per facts object, shared by the conditions and the cards."""

from __future__ import annotations

import gc

from service.knowledge.loader import load_knowledge
from service.rules import context
from service.rules.context import facts_data, sample_facts

KNOWLEDGE = load_knowledge()


def test_the_same_facts_are_dumped_once_and_other_facts_anew() -> None:
    facts = sample_facts(KNOWLEDGE)
    first = facts_data(facts)
    assert facts_data(facts) is first
    older = facts.model_copy(update={"gap_days": 30})
    assert facts_data(older)["gap_days"] == 30 and facts_data(facts) is not first
    assert facts_data(facts) == first


def test_a_dump_is_not_handed_to_facts_that_only_reuse_an_address() -> None:
    """Remembered by a weak reference: once the facts are gone, no other facts get their dump."""
    facts = sample_facts(KNOWLEDGE)
    facts_data(facts)
    del facts
    gc.collect()
    assert context._LAST_DUMP[0][0]() is None
    assert facts_data(sample_facts(KNOWLEDGE).model_copy(update={"gap_days": 31}))["gap_days"] == 31
