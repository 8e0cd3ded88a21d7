"""Card texts rendered once per template and values read: the same inputs never render twice."""

from __future__ import annotations

from typing import Any

import pytest

from service.rules import texts
from service.rules.texts import LANGUAGE_KEY, TemplateProblem, render

TEMPLATE = "{{ draft.drug | drug }} {{ draft.mg | num }} mg (unique-{{ params.n }})"


@pytest.fixture
def renderings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources actually rendered by Jinja (not taken from the cache)."""
    done: list[str] = []
    compiled = texts._compiled

    class Counting:
        def __init__(self, source: str) -> None:
            self.template, self.source = compiled(source), source

        def render(self, **context: Any) -> str:
            done.append(self.source)
            return str(self.template.render(**context))

    monkeypatch.setattr(texts, "_compiled", Counting)
    return done


def context(n: int, mg: float = 2.0, language: str = "en", names: dict[str, Any] | None = None, other: int = 0) -> dict[str, Any]:
    return {
        "draft": {"drug": "diazepam", "mg": mg},
        "params": {"n": n},
        "drug_names": names or {"diazepam": {"en": "diazepam", "fr": "diazépam"}},
        "history": {"other": other},
        LANGUAGE_KEY: language,
    }


def test_the_same_values_are_rendered_once(renderings: list[str]) -> None:
    first = render(TEMPLATE, context(1))
    assert render(TEMPLATE, context(1, other=5)) == first  # a value the template does not read
    assert len(renderings) == 1


def test_any_value_read_renders_again(renderings: list[str]) -> None:
    base = render(TEMPLATE, context(2))
    assert render(TEMPLATE, context(2, mg=2.5)) == "diazepam 2.5 mg (unique-2)" != base
    assert render(TEMPLATE, context(2, language="fr")) == "diazépam 2 mg (unique-2)"  # the language the filters read
    assert render(TEMPLATE, context(2, names={"diazepam": {"en": "Valium"}})).startswith("Valium")  # drug_names, read by | drug
    assert len(renderings) == 4


def test_an_unknown_name_still_fails_after_a_good_rendering() -> None:
    render(TEMPLATE, context(3))
    broken = context(3)
    del broken["params"]
    with pytest.raises(TemplateProblem):
        render(TEMPLATE, broken)


def test_a_kept_text_is_keyed_by_a_digest_of_the_values_it_read() -> None:
    """A card text reads whole fact lists; the kept texts must not hold their JSON as keys."""
    context = {LANGUAGE_KEY: "en", "uses": [{"drug": "lorazepam", "mg": n} for n in range(200)]}
    source = "{{ uses | length }} uses"
    assert render(source, context) == "200 uses"
    key = texts._rendering_key(source, context)
    assert key is not None and len(key[1]) == 32
