"""The Belgian and Dutch product files hold only real, sourced, well-formed products.

The taper planner builds each market's plans from `service/knowledge/data/markets/<market>.yaml`. These
checks read the files directly (plain YAML) and the drug and dose-form ids from the knowledge loader, so
a typo, an unsourced value or a strength from another country fails here, not in a prescriber's plan.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from service.knowledge import DATA_DIR, Knowledge, load_knowledge
from tests.support.paths import ROOT

MARKETS_DIR = DATA_DIR / "markets"
MARKETS = ("BE", "NL")
STATUSES = {"marketed", "withdrawn", "unconfirmed"}
GRADES = {"primary", "primary_reproduction", "secondary", "title_only"}
EQUAL_PARTS = {1, 2, 4}
LIQUID_FORMS = {"oral_liquid"}
ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
CNK = re.compile(r"^\d{4}-?\d{3}$")
PRODUCT_KEYS = {
    "drug", "product", "generic", "company", "form", "mg", "mg_per_ml", "modified_release", "equal_parts",
    "equal_parts_quote", "pack_sizes", "cnk", "status", "withdrawn_on", "sources", "note",
}  # fmt: skip
REQUIRED_PRODUCT_KEYS = {"drug", "product", "generic", "form", "modified_release", "equal_parts", "status", "sources"}
SOURCE_KEYS = {"title", "url", "publisher", "date", "year", "grade", "note"}

# The five molecules most used in Belgium (FAGG 2022, gebruikvanpsychofarmaca.be).
BE_MOST_USED = ("alprazolam", "zolpidem", "lormetazepam", "lorazepam", "diazepam")
# Strengths the Dutch taper must be able to use (issue 16: diazepam 5 and 10 mg and clonazepam 0.5 and
# 2 mg were missing, so plans became 15-20 tablets of 2 mg or switched clonazepam to diazepam).
NL_REQUIRED = {"diazepam": {2, 5, 10}, "clonazepam": {0.5, 2}}
# Oral strengths sold in the United States that no Belgian or Dutch source lists: Ativan 2 mg, Klonopin
# 1 mg, Restoril 7.5/15/22.5/30 mg, Tranxene T-Tab 3.75/7.5/15 mg, Ambien CR 6.25/12.5 mg, and the
# molecules with no BE or NL product at all (estazolam, quazepam, eszopiclone).
US_ONLY_STRENGTHS = {
    ("lorazepam", "tablet", 2), ("clonazepam", "tablet", 1),
    ("temazepam", "capsule", 7.5), ("temazepam", "capsule", 15), ("temazepam", "capsule", 22.5),
    ("temazepam", "capsule", 30),
    ("clorazepate", "tablet", 3.75), ("clorazepate", "tablet", 7.5), ("clorazepate", "tablet", 15),
    ("zolpidem", "tablet", 6.25), ("zolpidem", "tablet", 12.5),
}  # fmt: skip
US_ONLY_DRUGS = {"estazolam", "quazepam", "eszopiclone"}


@pytest.fixture(scope="module")
def kn() -> Knowledge:
    return load_knowledge()


def load_market(market: str) -> dict[str, Any]:
    with (MARKETS_DIR / f"{market.lower()}.yaml").open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict), f"{market}: the file is not a YAML mapping"
    return data


@pytest.fixture(scope="module", params=MARKETS)
def market(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load_market(request.param)


def products(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["products"]


def label(product: dict[str, Any]) -> str:
    amount = product.get("mg", product.get("mg_per_ml"))
    return f"{product.get('drug')} {product.get('product')} {product.get('form')} {amount}"


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) pair in a parsed YAML tree, so nested sections can be checked too."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


def marketed_strengths(data: dict[str, Any], drug: str, form: str) -> set[float]:
    return {
        p["mg"]
        for p in products(data)
        if p["drug"] == drug and p["form"] == form and p["status"] == "marketed" and not p["modified_release"]
    }


# ---- the file as a whole ------------------------------------------------------------------------


def test_files_parse_with_header(market: dict[str, Any]) -> None:
    assert market["schema_version"] == 1
    assert market["market"] in MARKETS
    assert set(market["country"]) == {"en", "nl", "fr"}
    assert isinstance(market["checked"], str) and ISO_DATE.match(market["checked"])
    assert market["products"], "a market file without products"
    assert set(market) <= {"schema_version", "market", "country", "checked", "sources", "products", "finer_forms"}


def test_each_file_is_named_after_its_market() -> None:
    for market in MARKETS:
        assert load_market(market)["market"] == market


def test_no_nulls_anywhere(market: dict[str, Any]) -> None:
    nulls = [path for path, value in walk(market) if value is None]
    assert not nulls, f"omit unknown values instead of writing null: {nulls}"


def test_sources_are_complete(market: dict[str, Any]) -> None:
    for tag, source in market["sources"].items():
        assert re.match(r"^[A-Z0-9][A-Z0-9-]*$", tag), tag
        assert set(source) <= SOURCE_KEYS, (tag, set(source) - SOURCE_KEYS)
        assert source.get("title") and source.get("url"), tag
        assert source["grade"] in GRADES, tag
        if "date" in source:
            assert isinstance(source["date"], str) and ISO_DATE.match(source["date"]), tag


def test_every_cited_source_exists_and_every_source_is_cited(market: dict[str, Any]) -> None:
    tags = set(market["sources"])
    cited: set[str] = set()
    for path, value in walk(market):
        if path.endswith(".sources") and isinstance(value, list):
            assert value, f"{path}: empty source list"
            missing = set(value) - tags
            assert not missing, f"{path}: unknown source tags {missing}"
            cited |= set(value)
    assert tags - cited == set(), f"sources nobody cites: {tags - cited}"


# ---- each product ------------------------------------------------------------------------------


def test_products_have_only_known_fields(market: dict[str, Any]) -> None:
    for product in products(market):
        assert REQUIRED_PRODUCT_KEYS <= set(product), (label(product), REQUIRED_PRODUCT_KEYS - set(product))
        assert set(product) <= PRODUCT_KEYS, (label(product), set(product) - PRODUCT_KEYS)
        assert isinstance(product["generic"], bool) and isinstance(product["modified_release"], bool)
        assert product["status"] in STATUSES, label(product)


def test_drugs_are_bzra_ids(market: dict[str, Any], kn: Knowledge) -> None:
    unknown = {p["drug"] for p in products(market)} - set(kn.drugs)
    assert not unknown, f"not drug ids of bzra.yaml: {unknown}"


def test_forms_are_known_oral_dose_forms(market: dict[str, Any], kn: Knowledge) -> None:
    for product in products(market):
        form = kn.dose_forms.get(product["form"])
        assert form is not None, f"{label(product)}: unknown dose form"
        assert form.route == "oral", f"{label(product)}: not an oral form"


def test_every_product_cites_a_source(market: dict[str, Any]) -> None:
    for product in products(market):
        assert product["sources"] and set(product["sources"]) <= set(market["sources"]), label(product)


def test_amounts_match_the_form(market: dict[str, Any]) -> None:
    for product in products(market):
        if product["form"] in LIQUID_FORMS:
            assert "mg" not in product and product.get("mg_per_ml", 0) > 0, label(product)
        else:
            assert "mg_per_ml" not in product and product.get("mg", 0) > 0, label(product)


def test_equal_parts_are_quoted(market: dict[str, Any]) -> None:
    for product in products(market):
        assert product["equal_parts"] in EQUAL_PARTS, label(product)
        if product["equal_parts"] > 1:
            assert product.get("equal_parts_quote", "").strip(), f"{label(product)}: equal_parts needs its quote"
            assert not product["modified_release"], f"{label(product)}: a modified-release tablet is not split"
            assert product["form"] not in LIQUID_FORMS | {"capsule"}, label(product)
        else:
            assert "equal_parts_quote" not in product, f"{label(product)}: a quote without equal parts"


def test_status_fields_agree(market: dict[str, Any]) -> None:
    for product in products(market):
        if "withdrawn_on" in product:
            assert product["status"] == "withdrawn", label(product)
            assert isinstance(product["withdrawn_on"], str) and ISO_DATE.match(product["withdrawn_on"])


def test_packs_and_codes_are_well_formed(market: dict[str, Any]) -> None:
    for product in products(market):
        for size in product.get("pack_sizes", []):
            assert isinstance(size, int) and size > 0, label(product)
        for code in product.get("cnk", []):
            assert market["market"] == "BE", f"{label(product)}: CNK codes are Belgian"
            assert isinstance(code, str) and CNK.match(code), f"{label(product)}: CNK {code!r}"


def test_no_product_is_listed_twice(market: dict[str, Any]) -> None:
    keys = Counter(
        (p["drug"], p["product"], p["form"], p.get("mg"), p.get("mg_per_ml"), p["modified_release"])
        for p in products(market)
    )
    assert [key for key, count in keys.items() if count > 1] == []


# ---- what the planner needs per market --------------------------------------------------------


@pytest.mark.parametrize("drug", BE_MOST_USED)
def test_most_used_belgian_molecules_have_a_marketed_immediate_release_product(drug: str) -> None:
    be = load_market("BE")
    assert marketed_strengths(be, drug, "tablet"), f"no marketed immediate-release {drug} tablet in BE"


@pytest.mark.parametrize(("drug", "strengths"), sorted(NL_REQUIRED.items()))
def test_dutch_diazepam_and_clonazepam_strengths(drug: str, strengths: set[float]) -> None:
    nl = load_market("NL")
    assert strengths <= marketed_strengths(nl, drug, "tablet")


def test_no_us_only_strength(market: dict[str, Any]) -> None:
    for product in products(market):
        key = (product["drug"], product["form"], product.get("mg"))
        assert key not in US_ONLY_STRENGTHS, f"{market['market']}: {label(product)} is a US-only strength"
        assert product["drug"] not in US_ONLY_DRUGS, f"{market['market']}: {label(product)}"


def test_clonazepam_is_flagged_as_epilepsy_only_in_belgium() -> None:
    for product in products(load_market("BE")):
        if product["drug"] == "clonazepam":
            assert "epilepsy" in product.get("note", "").lower(), label(product)


# ---- finer forms --------------------------------------------------------------------------------


def test_belgian_magistral_programme_facts() -> None:
    capsules = load_market("BE")["finer_forms"]["magistral_capsules"]
    schedules = capsules["schedules"]
    assert schedules["steps"] == [5, 7, 10]
    assert schedules["days_per_step"] == [10, 20, 30]
    assert schedules["stabilisation"]["max_periods"] == 2
    assert capsules["eligibility"]["max_ddd_multiple"] == 3
    assert "modified_release" in capsules["source_product"]["not_from"]
    for schedule in capsules["step_doses"]["by_schedule"]:
        percents = schedule["percent_of_start"]
        assert len(percents) == schedule["steps"] and percents[0] == 100
        assert percents == sorted(percents, reverse=True), "a taper schedule never goes up"


def test_pack_rules_have_limits() -> None:
    for market in MARKETS:
        rules = load_market(market)["finer_forms"]["pack_rules"]
        assert rules, market
        for rule in rules:
            assert rule["max_units"] > 0 and set(rule["rule"]) == {"en", "nl", "fr"}, rule["id"]


def test_dutch_tapering_strip_molecules_are_marketed_in_nl(kn: Knowledge) -> None:
    nl = load_market("NL")
    strips = nl["finer_forms"]["tapering_strips"]
    assert strips["strip_days"] == 28
    marketed = {p["drug"] for p in products(nl) if p["status"] == "marketed"}
    for molecule in strips["molecules"]:
        assert molecule["drug"] in kn.drugs and molecule["drug"] in marketed, molecule["drug"]


def test_the_package_ships_the_market_files() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"data/markets/*.yaml"' in pyproject
