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


# ---- only the paths a template reads key its text ------------------------------------------------


def test_a_text_is_kept_across_values_it_does_not_read(renderings: list[str]) -> None:
    """`draft.mg` read, `draft.drug` not (no `| drug` filter): another drug is the same text."""
    source = "{{ draft.mg | num }} mg, {{ params['n'] }}"
    first = render(source, context(4))
    other = context(4, names={"x": {"en": "x"}})
    other["draft"]["drug"] = "lorazepam"
    assert render(source, other) == first == "2 mg, 4"
    assert render(source, context(4, mg=3.0)) == "3 mg, 4"
    assert len(renderings) == 2


@pytest.mark.parametrize(
    "source, change",
    [
        ("{{ history.get('other') }}", {"other": 7}),  # a dict's own method: the dict is read whole
        ("{{ history.get('other') }}", {"other": 0, "more": 1}),
        ("{% for e in history.uses %}{{ e.mg }}{% endfor %}", {"other": 0, "uses": [{"mg": 2}]}),
        ("{{ history.uses[0].mg }}", {"other": 0, "uses": [{"mg": 2}, {"mg": 3}]}),
        ("{% set h = history %}{{ h.other }}", {"other": 9}),
        ("{{ history.missing is defined }}", {"other": 0, "missing": 1}),  # a path not there: the value whole
    ],
)
def test_what_a_template_reads_beyond_a_path_is_read_whole(source: str, change: dict[str, Any]) -> None:
    """Loops, indexes, methods and names bound in the template read the whole value; a change in it
    renders again, with the right text."""
    base = context(5)
    base["history"] = {"other": 0, "uses": [{"mg": 1}, {"mg": 3}]}
    changed = context(5)
    changed["history"] = change
    assert render(source, base) == texts._compiled(source).render(**base).strip()
    assert render(source, changed) == texts._compiled(source).render(**changed).strip()
    assert texts._rendering_key(source, base) != texts._rendering_key(source, changed)


def test_the_paths_read_are_the_longest_attribute_chains() -> None:
    reads = texts._reads("{% if history.days > params.max %}{{ draft.mg | num }}{% endif %}{{ draft.drug | drug }}")
    assert reads.tree == {"draft": {"drug": None, "mg": None}, "history": {"days": None}, "params": {"max": None}}
    assert reads.filter_reads == ("drug_names", LANGUAGE_KEY)


def test_a_key_named_like_a_dict_method_does_not_narrow_the_read() -> None:
    """Jinja finds `history.items` on the dict before its "items" key: the whole dict is read."""
    source = "{{ history.items() | list | length }}"
    small, large = context(6), context(6)
    small["history"] = {"items": 1, "a": 1}
    large["history"] = {"items": 1, "a": 1, "b": 2}
    assert (render(source, small), render(source, large)) == ("2", "3")


def test_a_text_that_reads_only_the_language_is_kept_per_language(renderings: list[str]) -> None:
    source = "{{ 1234.5 | num }} (no facts read)"
    assert render(source, context(7)) == render(source, context(8)) == "1234.5 (no facts read)"
    assert render(source, context(7, language="fr")) == "1234,5 (no facts read)"
    assert len(renderings) == 2
