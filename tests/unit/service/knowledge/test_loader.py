"""The shipped knowledge files load, say what the rules need, and bad files fail with file:line."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from service.knowledge import Knowledge, KnowledgeError, load_knowledge
from service.knowledge.models import Eq10
from tests.support.paths import FIXTURES

ALL_BZRAS = [
    "alprazolam", "bromazepam", "brotizolam", "chlordiazepoxide", "clobazam", "clonazepam",
    "clorazepate", "clotiazepam", "cloxazolam", "diazepam", "estazolam", "ethyl_loflazepate",
    "flunitrazepam", "flurazepam", "halazepam", "ketazolam", "loprazolam", "lorazepam",
    "lormetazepam", "medazepam", "midazolam", "nitrazepam", "nordazepam", "oxazepam", "prazepam",
    "quazepam", "temazepam", "tetrazepam", "triazolam", "zaleplon", "zolpidem", "zopiclone",
    "eszopiclone", "etizolam", "remimazolam",
]  # fmt: skip
TABLES = ["ashton", "scotland", "denmark", "norway", "who2009", "va_dod", "novadic_nl"]
ATC = re.compile(r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$")


@pytest.fixture(scope="module")
def kn() -> Knowledge:
    return load_knowledge()


def write(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


# ---- the shipped data -------------------------------------------------------------------------


@pytest.mark.parametrize("drug_id", ALL_BZRAS)
def test_every_bzra_loads_with_an_atc_code_and_names(kn: Knowledge, drug_id: str) -> None:
    drug = kn.drug(drug_id)
    assert drug is not None
    assert drug.atc and all(ATC.match(code) for code in drug.atc)
    assert drug.display.en and drug.display.nl and drug.display.fr
    assert drug.group in ("benzodiazepine", "z-drug")


def test_no_extra_drugs_and_z_drugs_are_grouped(kn: Knowledge) -> None:
    assert sorted(kn.drugs) == sorted(ALL_BZRAS)
    assert {d for d, v in kn.drugs.items() if v.group == "z-drug"} == {
        "zaleplon", "zolpidem", "zopiclone", "eszopiclone",
    }  # fmt: skip


def test_ashton_is_the_default_and_every_table_is_selectable(kn: Knowledge) -> None:
    assert kn.default_equivalence_table == "ashton"
    for table_id in TABLES:
        table = kn.table(table_id)
        assert table is not None and table.title and table.url and table.range_reduction
    assert kn.eq10("lorazepam") == ("ashton", Eq10(value=1, original="1"))
    assert kn.eq10("lorazepam", "denmark")[1].value == 2
    assert kn.eq10("lorazepam", "va_dod")[1].value == 2


def test_per_five_mg_sources_are_doubled_and_ranges_reduced_to_midpoint(kn: Knowledge) -> None:
    scot = kn.eq10("chlordiazepoxide", "scotland")[1]
    assert scot.value == 25 and "per 5 mg" in scot.original
    bromazepam = kn.eq10("bromazepam", "ashton")[1]
    assert (bromazepam.low, bromazepam.value, bromazepam.high) == (5, 5.5, 6)
    assert kn.eq10_span("oxazepam") == (20, 50)


def test_missing_figure_falls_back_and_says_which_table_was_used(kn: Knowledge) -> None:
    assert kn.eq10("brotizolam", "ashton") == ("novadic_nl", kn.drugs["brotizolam"].eq10["novadic_nl"])
    assert kn.eq10("brotizolam", "ashton", use_fallback=False) is None
    assert kn.eq10("midazolam")[0] == "who2009"


def test_edge_cases_from_the_research_are_flagged(kn: Knowledge) -> None:
    assert kn.drugs["remimazolam"].has_edge_case("procedural_sedation_only")
    assert kn.drugs["midazolam"].has_edge_case("parenteral_is_procedural")
    assert kn.drugs["etizolam"].has_edge_case("no_equivalence_value")
    assert kn.eq10("etizolam") is None and kn.eq10("ethyl_loflazepate") is None
    assert kn.drugs["clonazepam"].has_edge_case("epilepsy_use_no_switch")
    assert kn.drugs["tetrazepam"].atc == ["M03BX07"]


def test_verified_and_unverified_rxnorm_ingredients(kn: Knowledge) -> None:
    for drug_id, code in [("diazepam", "3322"), ("clobazam", "21241"), ("midazolam", "6960"), ("oxazepam", "7781")]:
        ref = kn.drugs[drug_id].rxnorm_ingredient
        assert ref is not None and ref.code == code and ref.verified
    assert kn.drugs["alprazolam"].rxnorm_ingredient.verified is False


def test_rxnorm_products_carry_strength_and_form(kn: Knowledge) -> None:
    drug_id, product = kn.rxnorm_product["197901"]
    assert (drug_id, product.strength, product.form) == ("lorazepam", 1, "tablet")
    assert kn.rxnorm_product["309843"][1].unit == "mg/mL"


def test_half_life_classes_and_unknown_scoring_stays_null(kn: Knowledge) -> None:
    assert kn.drugs["diazepam"].half_life.cls == "long"
    assert kn.drugs["oxazepam"].half_life.cls == "short"
    assert kn.drugs["lorazepam"].half_life.sps_label == "short"
    assert any(s.scored is None for s in kn.drugs["lorazepam"].strengths)


def test_gabapentinoids_match_both_atc_versions_and_exclusions_hold(kn: Knowledge) -> None:
    assert kn.classes_for_atc("N02BF01") == ("gabapentinoid",)
    assert kn.classes_for_atc("N03AX12") == ("gabapentinoid",)
    assert kn.classes_for_atc("N03AX16") == ("gabapentinoid",)
    assert kn.classes_for_atc("N05AN01") == ()  # lithium is not an antipsychotic here
    assert kn.classes_for_atc("R05DA09") == ()  # dextromethorphan
    assert kn.classes_for_atc("R05DA04") == ("opioid_antitussive",)
    assert kn.classes_for_atc("M03BX07") == ()  # tetrazepam is a BZRA, not a muscle relaxant


def test_condition_prefixes_exclusions_and_parents(kn: Knowledge) -> None:
    assert kn.condition_groups_for("icd10_cm", "F10.20") == ("alcohol_use_disorder",)
    assert kn.condition_groups_for("icd10_who", "F10.0") == ()
    assert set(kn.condition_groups_for("icd10_who", "F10.3")) == {"alcohol_withdrawal", "alcohol_use_disorder"}
    assert set(kn.condition_groups_for("snomed", "78275009")) == {"sleep_apnoea", "respiratory_depression_risk"}


def test_display_text_uses_respectful_language(kn: Knowledge) -> None:
    names = [n for d in kn.drugs.values() for n in d.display.all()]
    names += [n for c in kn.comedication_classes.values() for n in c.display.all()]
    names += [n for g in kn.condition_groups.values() for n in g.display.all()]
    banned = re.compile(r"abus|addict|verslaaf|toxicoman", re.IGNORECASE)
    assert names and not [n for n in names if banned.search(n)]


def test_every_table_cited_by_a_drug_and_every_source_exists(kn: Knowledge) -> None:
    for drug in kn.drugs.values():
        assert set(drug.eq10) <= set(kn.equivalence_tables)
        assert set(drug.sources) <= set(kn.sources)


# ---- overlays ---------------------------------------------------------------------------------


def test_overlay_adds_and_overrides_by_id(tmp_path: Path) -> None:
    write(
        tmp_path,
        "local.yaml",
        """
        drugs:
          lorazepam:
            display: {en: lorazepam (local), nl: lorazepam, fr: lorazépam}
            group: benzodiazepine
            atc: [N05BA06]
            eq10:
              ashton: {value: 1, original: "1"}
          test_only_bzra:
            display: {en: fictional test benzodiazepine}
            group: benzodiazepine
            atc: [N05BA90]
        """,
    )
    kn = load_knowledge(extra=[tmp_path])
    assert kn.drugs["lorazepam"].display.en == "lorazepam (local)"
    assert kn.drugs["lorazepam"].rxnorm_products == []  # replaced whole, not merged
    assert kn.drug_by_atc["N05BA90"] == "test_only_bzra"
    assert "diazepam" in kn.drugs


def test_overlay_fixture_with_product_codes_loads() -> None:
    kn = load_knowledge(extra=[FIXTURES / "knowledge_overlay"])
    item = kn.mapped_product("https://example.org/fhir/NamingSystem/fictional-cnk", "0000001")
    assert item is not None and item.ingredient == "lorazepam" and item.strength == 2.5


# ---- malformed files --------------------------------------------------------------------------


def load_error(tmp_path: Path, body: str) -> KnowledgeError:
    path = write(tmp_path, "broken.yaml", body)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(extra=[path])
    return info.value


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, "drugs:\n  lorazepam:\n    atc: [N05BA06\n    group: benzodiazepine\n")
    message = str(error)
    assert "broken.yaml:4:" in message
    assert "YAML syntax error" in message
    assert error.problems[0].line == 4


def test_wrong_type_at_a_known_line_names_file_line_and_field(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        """
        drugs:
          test_only_bzra:
            display: {en: fictional}
            group: benzodiazepine
            atc: [N05BA90]
            eq10:
              ashton: {value: lots, original: "x"}
        """,
    )
    [problem] = error.problems
    assert problem.file.endswith("broken.yaml")
    assert problem.line == 7
    assert "drugs.test_only_bzra.eq10.ashton.value" in problem.message
    assert "broken.yaml:7:" in str(error)


def test_unknown_field_is_rejected_at_its_line(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        """
        drugs:
          test_only_bzra:
            display: {en: fictional}
            group: benzodiazepine
            atc: [N05BA90]
            halflife: 12
        """,
    )
    assert error.problems[0].line == 6
    assert "unknown field" in error.problems[0].message


def test_missing_required_field_points_at_the_entry(tmp_path: Path) -> None:
    error = load_error(tmp_path, "drugs:\n  test_only_bzra:\n    display: {en: fictional}\n    atc: [N05BA90]\n")
    assert error.problems[0].line == 2
    assert "group" in error.problems[0].message


def test_unknown_references_are_reported_where_they_are_used(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        """
        drugs:
          test_only_bzra:
            display: {en: fictional}
            group: benzodiazepine
            atc: [N05BA90]
            sources: [NO_SUCH_SOURCE]
            eq10:
              my_table: {value: 1, original: "1"}
        """,
    )
    by_line = {p.line: p.message for p in error.problems}
    assert "unknown source 'NO_SUCH_SOURCE'" in by_line[6]
    assert "unknown equivalence table 'my_table'" in by_line[8]


def test_duplicate_keys_and_duplicate_codes_are_errors(tmp_path: Path) -> None:
    error = load_error(tmp_path, "drugs:\n  a_drug: {}\n  a_drug: {}\n")
    assert "duplicate key 'a_drug'" in str(error) and error.problems[0].line == 3
    error = load_error(
        tmp_path,
        "drugs:\n  test_only_bzra:\n    display: {en: x}\n    group: benzodiazepine\n    atc: [N05BA06]\n",
    )
    assert "already used by 'lorazepam'" in str(error) and error.problems[0].line == 5


# ---- thresholds and exemptions -----------------------------------------------------------------


def test_thresholds_and_exemptions_are_sourced_data() -> None:
    kn = load_knowledge()
    dependence = kn.use_thresholds.dependence
    assert (dependence.more_than_days, dependence.min_days_per_week) == (28, 4)
    assert (kn.use_thresholds.course_limits.insomnia_days, kn.use_thresholds.course_limits.other_days) == (14, 28)
    assert {"seizure_disorder", "alcohol_withdrawal", "end_of_life"} <= set(kn.exemptions)
    for exemption in kn.exemptions.values():
        assert exemption.sources and all(source in kn.sources for source in exemption.sources)
        assert all(group in kn.condition_groups for group in exemption.condition_groups)
    assert "ASAM_2025" in dependence.sources and "POTTIE_2018" in dependence.sources


def test_an_exemption_naming_an_unknown_condition_group_is_refused(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        "exemptions:\n  rbd:\n    display: {en: REM sleep behaviour disorder}\n    condition_groups: [rem_sleep_behaviour]\n    sources: [ASAM_2025]\n",
    )
    assert "broken.yaml:4:24:" in str(error) and "unknown condition group 'rem_sleep_behaviour'" in str(error)


def test_a_deployment_can_change_a_threshold(tmp_path: Path) -> None:
    write(
        tmp_path,
        "local.yaml",
        """
        use_thresholds:
          dependence: {more_than_days: 21, min_days_per_week: 4, sources: [ASAM_2025]}
          ongoing_taper: {window_days: 90, min_reductions: 1, sources: [ASAM_2025]}
          course_limits: {insomnia_days: 7, other_days: 28, sources: [NHG_M23]}
        """,
    )
    kn = load_knowledge(extra=[tmp_path])
    assert kn.use_thresholds.dependence.more_than_days == 21 and kn.use_thresholds.course_limits.insomnia_days == 7
