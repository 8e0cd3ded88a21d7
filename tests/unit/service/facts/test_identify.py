"""Medication identification and condition classification from EHR shapes."""

from __future__ import annotations


import pytest
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.medication import Medication
from hypothesis import given, settings
from hypothesis import strategies as st

from service.facts.identify import (
    MedicationIdentity,
    classify_condition,
    identify_concept,
    identify_medication,
    identify_text,
)
from service.knowledge import Knowledge, load_knowledge
from tests.support.paths import FIXTURES

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
FICTIONAL_CNK = "https://example.org/fhir/NamingSystem/fictional-cnk"


@pytest.fixture(scope="module")
def kn() -> Knowledge:
    return load_knowledge()


def cc(*codings: tuple[str, str], text: str | None = None) -> CodeableConcept:
    data: dict = {"coding": [{"system": s, "code": c} for s, c in codings]}
    if text:
        data["text"] = text
    return CodeableConcept.model_validate(data)


def medication(code: dict | None, ingredients: list[dict], form: str | None = None) -> Medication:
    data: dict = {"resourceType": "Medication", "id": "m1", "ingredient": ingredients}
    if code:
        data["code"] = code
    if form:
        data["form"] = {"text": form}
    return Medication.model_validate(data)


def ingredient(concept: dict, value: float, unit: str, per_value: float = 1, per_unit: str = "tablet") -> dict:
    return {
        "itemCodeableConcept": concept,
        "strength": {
            "numerator": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
            "denominator": {"value": per_value, "unit": per_unit},
        },
    }


# ---- codes ------------------------------------------------------------------------------------


def test_rxnorm_scd_gives_ingredient_strength_and_form(kn: Knowledge) -> None:
    ident = identify_concept(cc((RXNORM, "197901")), kn)
    assert (ident.bzra, ident.is_bzra, ident.strength_mg, ident.strength_per) == ("lorazepam", True, 1.0, "unit")
    assert (ident.dose_form, ident.matched_by, ident.matched_code) == ("tablet", "rxnorm-product", "197901")
    assert ident.strength_from == "rxnorm-product"


def test_rxnorm_branded_and_modified_release_products(kn: Knowledge) -> None:
    xanax = identify_concept(cc((RXNORM, "141928")), kn)
    assert (xanax.bzra, xanax.strength_mg) == ("alprazolam", 0.5)
    er = identify_concept(cc((RXNORM, "687024")), kn)
    assert er.modified_release is True and er.strength_mg == 1.0


def test_rxnorm_ingredient_with_strength_from_the_text(kn: Knowledge) -> None:
    ident = identify_concept(cc((RXNORM, "3322"), text="Diazepam 5 mg tablet"), kn)
    assert (ident.bzra, ident.matched_by, ident.strength_mg, ident.strength_from) == (
        "diazepam", "rxnorm-ingredient", 5.0, "text",
    )  # fmt: skip
    assert ident.dose_form == "tablet"
    bare = identify_concept(cc((RXNORM, "3322")), kn)
    assert bare.bzra == "diazepam" and bare.strength_mg is None


def test_atc_code_with_brand_text_and_decimal_comma(kn: Knowledge) -> None:
    ident = identify_concept(cc((ATC, "N05BA06"), text="Temesta 2,5 mg"), kn)
    assert (ident.bzra, ident.matched_by, ident.strength_mg) == ("lorazepam", "atc", 2.5)


def test_atc_code_text_naming_another_drug_gives_no_strength(kn: Knowledge) -> None:
    ident = identify_concept(cc((ATC, "N05BA06"), text="Xanax 0.5 mg"), kn)
    assert ident.bzra == "lorazepam" and ident.strength_mg is None


def test_unlisted_code_in_a_bzra_atc_group_is_still_a_bzra(kn: Knowledge) -> None:
    ident = identify_concept(cc((ATC, "N05CD99")), kn)  # not an assigned code: group membership only
    assert ident.is_bzra and ident.bzra is None and ident.matched_by == "atc-class"


def test_snomed_substance(kn: Knowledge) -> None:
    ident = identify_concept(cc((SNOMED, "387106007")), kn)
    assert (ident.bzra, ident.matched_by) == ("lorazepam", "snomed")


def test_code_priority_prefers_products_over_ingredients_and_atc(kn: Knowledge) -> None:
    ident = identify_concept(cc((ATC, "N05BA06"), (RXNORM, "197902")), kn)
    assert (ident.matched_by, ident.strength_mg) == ("rxnorm-product", 2.0)


def test_combination_product_lists_both_ingredients(kn: Knowledge) -> None:
    ident = identify_concept(cc((RXNORM, "856792")), kn)
    assert ident.bzra == "chlordiazepoxide" and ident.strength_mg == 10.0
    assert set(ident.ingredients) == {"chlordiazepoxide", "amitriptyline"}
    assert ident.comedication_classes == ("sedating_antidepressant",)


def test_mapped_national_product_code() -> None:
    kn = load_knowledge(extra=[FIXTURES / "knowledge_overlay"])
    ident = identify_concept(cc((FICTIONAL_CNK, "0000001")), kn)
    assert (ident.bzra, ident.strength_mg, ident.dose_form, ident.matched_by) == (
        "lorazepam", 2.5, "tablet", "product-code",
    )  # fmt: skip
    opioid = identify_concept(cc((FICTIONAL_CNK, "0000002")), kn)
    assert not opioid.is_bzra and opioid.comedication_classes == ("opioid_analgesic",)
    assert identify_concept(cc((FICTIONAL_CNK, "9999999")), kn) == MedicationIdentity()


def test_dict_input_is_accepted(kn: Knowledge) -> None:
    ident = identify_concept({"coding": [{"system": RXNORM, "code": "197901"}]}, kn)
    assert ident.bzra == "lorazepam"


# ---- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bzra", "mg", "form"),
    [
        ("Lorazepam 1 mg tablet", "lorazepam", 1.0, "tablet"),
        ("zolpidem 10mg", "zolpidem", 10.0, None),
        ("Temesta 2,5 mg", "lorazepam", 2.5, None),
        ("Xanax 0.5mg", "alprazolam", 0.5, None),
        ("STILNOCT 10 MG FILMOMHULDE TABLET", "zolpidem", 10.0, "tablet"),
        ("Seresta 10 mg comprimé", "oxazepam", 10.0, "tablet"),
        ("Imovane 7,5 mg", "zopiclone", 7.5, None),
        ("Tranxène 5 mg gélules", "clorazepate", 5.0, "capsule"),
        ("Rivotril 500 µg", "clonazepam", 0.5, None),
        ("clonazepam 250 mcg", "clonazepam", 0.25, None),
        ("Halcion 125 microgram", "triazolam", 0.125, None),
    ],
)
def test_text_generic_brand_decimal_comma_and_micrograms(
    kn: Knowledge, text: str, bzra: str, mg: float, form: str | None
) -> None:
    ident = identify_text(text, kn)
    assert (ident.bzra, ident.strength_mg, ident.dose_form, ident.matched_by) == (bzra, mg, form, "text")


def test_text_liquid_strength_is_per_ml(kn: Knowledge) -> None:
    ident = identify_text("Diazepam 2 mg/5 ml drank", kn)
    assert (ident.strength_mg, ident.strength_per, ident.dose_form) == (pytest.approx(0.4), "mL", "oral_liquid")


def test_text_strength_belongs_to_the_bzra_in_a_combination(kn: Knowledge) -> None:
    ident = identify_text("amitriptyline 25 mg / chlordiazepoxide 10 mg", kn)
    assert (ident.bzra, ident.strength_mg) == ("chlordiazepoxide", 10.0)


def test_text_modified_release_flag(kn: Knowledge) -> None:
    assert identify_text("Xanax XR 1 mg", kn).modified_release is True
    assert identify_text("Xanax 1 mg", kn).modified_release is None


# ---- Medication resources ---------------------------------------------------------------------


def test_medication_ingredient_strength_is_used(kn: Knowledge) -> None:
    med = medication(
        {"text": "Lorazepam tablet"},
        [ingredient({"coding": [{"system": SNOMED, "code": "387106007"}]}, 1, "mg")],
        form="tablet",
    )
    ident = identify_medication(med, kn)
    assert (ident.bzra, ident.strength_mg, ident.strength_per) == ("lorazepam", 1.0, "unit")
    assert (ident.strength_from, ident.dose_form) == ("medication.ingredient.strength", "tablet")


def test_medication_ingredient_strength_beats_the_code(kn: Knowledge) -> None:
    med = medication(
        {"coding": [{"system": RXNORM, "code": "197902"}]},
        [ingredient({"text": "lorazepam"}, 1, "mg")],
    )
    ident = identify_medication(med, kn)
    assert ident.strength_mg == 1.0 and ident.matched_by == "rxnorm-product"


def test_medication_microgram_strength_and_ingredient_only_identification(kn: Knowledge) -> None:
    med = medication(None, [ingredient({"text": "clonazepam"}, 500, "ug")])
    ident = identify_medication(med, kn)
    assert (ident.bzra, ident.strength_mg) == ("clonazepam", 0.5)
    assert ident.matched_by == "medication-ingredient/text"


def test_medication_per_ml_strength(kn: Knowledge) -> None:
    med = medication(
        {"text": "diazepam oral solution"},
        [ingredient({"text": "diazepam"}, 10, "mg", per_value=5, per_unit="mL")],
        form="oral solution",
    )
    ident = identify_medication(med, kn)
    assert (ident.strength_mg, ident.strength_per, ident.dose_form) == (2.0, "mL", "oral_liquid")


def test_medication_with_two_ingredients_collects_classes(kn: Knowledge) -> None:
    med = medication(
        None,
        [
            ingredient({"coding": [{"system": RXNORM, "code": "7804"}]}, 5, "mg"),
            ingredient({"text": "naloxone"}, 2.5, "mg"),
        ],
    )
    ident = identify_medication(med, kn)
    assert not ident.is_bzra and ident.ingredients == ("oxycodone",)
    assert ident.comedication_classes == ("opioid_analgesic",) and ident.strength_mg == 5.0


# ---- co-medication and non-BZRAs --------------------------------------------------------------


def test_opioid_is_classified(kn: Knowledge) -> None:
    by_code = identify_concept(cc((RXNORM, "7804")), kn)
    assert by_code.comedication_classes == ("opioid_analgesic",) and not by_code.is_bzra
    by_atc = identify_concept(cc((ATC, "N02AX02")), kn)
    assert by_atc.ingredients == ("tramadol",) and by_atc.comedication_classes == ("opioid_analgesic",)
    codeine = identify_text("codeine 30 mg", kn)
    assert set(codeine.comedication_classes) == {"opioid_analgesic", "opioid_antitussive"}
    assert identify_concept(cc((ATC, "N07BC02")), kn).comedication_classes == ("opioid_analgesic", "moud")


@pytest.mark.parametrize("atc", ["N02BF01", "N03AX12"])
def test_gabapentin_under_both_atc_codes(kn: Knowledge, atc: str) -> None:
    ident = identify_concept(cc((ATC, atc)), kn)
    assert ident.ingredients == ("gabapentin",) and ident.comedication_classes == ("gabapentinoid",)


@pytest.mark.parametrize("atc", ["R05DA07", "R05DA09", "N05AN01", "N02BE01"])
def test_excluded_and_unrelated_atc_codes_give_nothing(kn: Knowledge, atc: str) -> None:
    # noscapine, dextromethorphan, lithium, paracetamol
    assert identify_concept(cc((ATC, atc)), kn) == MedicationIdentity()


def test_non_bzra_text_gives_nothing(kn: Knowledge) -> None:
    assert identify_text("Paracetamol 500 mg tablet", kn) == MedicationIdentity()
    assert identify_text("dextromethorphan 15 mg", kn) == MedicationIdentity()
    assert not identify_text("Paracetamol 500 mg tablet", kn).recognised


@pytest.mark.parametrize(
    "value",
    [
        None,
        {},
        {"coding": "not a list"},
        {"coding": [{"system": RXNORM}]},
        {"coding": [{"system": "urn:nonsense", "code": "197901"}], "text": "!!!"},
        {"coding": [{"system": ATC, "code": "   "}]},
        42,
    ],
)
def test_garbage_gives_nothing_and_no_exception(kn: Knowledge, value: object) -> None:
    assert identify_concept(value, kn) == MedicationIdentity()  # type: ignore[arg-type]


def test_garbage_medication_and_text(kn: Knowledge) -> None:
    assert identify_medication(None, kn) == MedicationIdentity()
    assert identify_text("x" * 10_000 + " 5 mg", kn) == MedicationIdentity()
    assert identify_text(None, kn) == MedicationIdentity()


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_any_text_never_raises(text: str) -> None:
    ident = identify_text(text, _shared())
    assert isinstance(ident, MedicationIdentity)
    assert ident.strength_mg is None or ident.strength_mg > 0


_KN: list[Knowledge] = []


def _shared() -> Knowledge:
    if not _KN:
        _KN.append(load_knowledge())
    return _KN[0]


# ---- conditions -------------------------------------------------------------------------------


def test_condition_icd10_cm_prefix_and_parent(kn: Knowledge) -> None:
    result = classify_condition(cc((ICD10CM, "F10.239")), kn)
    assert set(result.groups) == {"alcohol_use_disorder", "alcohol_withdrawal"}
    assert ("alcohol_withdrawal", "icd10_cm", "F10.239") in result.matches


def test_condition_who_and_cm_differ(kn: Knowledge) -> None:
    assert classify_condition(cc((ICD10, "F100")), kn).groups == ()  # WHO acute intoxication
    assert "alcohol_withdrawal" in classify_condition(cc((ICD10, "F10.3")), kn)
    assert "falls" in classify_condition(cc((ICD10CM, "Z91.81")), kn)
    assert "falls" not in classify_condition(cc((ICD10, "Z91.81")), kn)


def test_condition_snomed_and_order_reasons(kn: Knowledge) -> None:
    apnoea = classify_condition(cc((SNOMED, "78275009")), kn)
    assert set(apnoea.groups) == {"sleep_apnoea", "respiratory_depression_risk"}
    assert classify_condition(cc((ICD10CM, "G47.00")), kn).groups == ("insomnia",)
    assert classify_condition(cc((ICD10, "F41.1")), kn).groups == ("anxiety",)
    assert "epilepsy" in classify_condition(cc((ICD10CM, "G40.909")), kn)


def test_condition_garbage(kn: Knowledge) -> None:
    assert classify_condition(None, kn).groups == ()
    assert classify_condition({"coding": 5}, kn).groups == ()
    assert classify_condition(cc(("urn:x", "F10.2")), kn).groups == ()
