"""`bzra-cds taper`: formats, languages, and one-line errors with exit status 2 for every bad input."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest

from service.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Through `bzra-cds taper`, in this process."""
    code = main(["taper", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _plain_settings(monkeypatch):
    for name in ("BZRA_SETTINGS_FILE", "BZRA_KNOWLEDGE_DIR", "BZRA_EQUIVALENCE_TABLE", "BZRA_LANGUAGE",
                 "BZRA_TAPER_PACE", "BZRA_MARKET", "BZRA_TAPER_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)


def test_text(capsys):
    code, out, err = run(capsys, "--drug", "lorazepam", "--dose", "3mg/day", "--start", "2026-12-01", "--market", "US")
    assert code == 0 and err == ""
    assert out.startswith("Taper plan: lorazepam 3 mg a day (protocol: deprescribing.org (Pottie 2018); pace: standard; "
                          "products marketed in the United States)")
    assert "1 Dec 2026" in out and "Sources:" in out


def test_belgian_lorazepam_plans_where_it_used_to_fail(capsys):
    code, out, err = run(capsys, "--drug", "lorazepam", "--dose", "3mg/day", "--market", "BE", "--start", "2026-12-01")
    assert code == 0 and err == "" and "products marketed in Belgium" in out and "Temesta" in out


def test_json_with_switch_holds_market_and_protocol(capsys):
    code, out, _ = run(
        capsys, "--drug", "Xanax", "--dose", "1,5 mg", "--switch-to", "diazepam", "--start", "2026-12-01",
        "--hold", "3", "--market", "nl", "--protocol", "cks_ashton", "--format", "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["drug"] == "alprazolam" and data["taper_drug"] == "diazepam" and data["switched"]
    assert data["steps"][0]["kind"] == "cross" and data["steps"][1]["kind"] == "switch"
    assert data["steps"][3]["kind"] == "hold" and data["market"] == "NL" and data["protocol"] == "cks_ashton"


def test_markdown_in_dutch_and_slow(capsys):
    code, out, _ = run(capsys, "--drug", "diazepam", "--dose", "20 mg", "--pace", "slow", "--format", "markdown",
                       "--language", "nl", "--start", "2026-12-01")
    assert code == 0
    assert "| Stap | Wat | Van | Tot en met | Gemiddeld per dag | Wat wordt ingenomen |" in out and "tempo: traag" in out


def test_fhir_cross_taper_prints_both_requests(capsys):
    code, out, _ = run(capsys, "--drug", "lorazepam", "--dose", "3mg", "--protocol", "cks_ashton", "--format", "fhir",
                       "--patient", "Patient/7", "--start", "2026-12-01")
    assert code == 0
    resources = json.loads(out)
    assert len(resources) == 2
    for resource in resources:
        assert MedicationRequest.model_validate(resource).subject.reference == "Patient/7"


def test_fhir_single_request(capsys):
    code, out, _ = run(capsys, "--drug", "zolpidem", "--dose", "10mg", "--format", "fhir", "--start", "2026-12-01")
    assert code == 0
    MedicationRequest.model_validate(json.loads(out))


def test_magistral_capsules_in_belgium(capsys):
    code, out, _ = run(capsys, "--drug", "lormetazepam", "--dose", "2mg", "--protocol", "riziv_inami", "--language", "fr",
                       "--start", "2026-12-01")
    assert code == 0 and "R/ Gélules magistrales de lormétazépam 1,55 mg" in out


def test_tapering_strips_in_the_netherlands(capsys):
    code, out, _ = run(capsys, "--drug", "zopiclone", "--dose", "7.5mg", "--market", "NL", "--form", "strips",
                       "--language", "nl", "--start", "2026-12-01")
    assert code == 0 and "Te bestellen taperingstrips" in out and "Strip 1: 1 dec 2026 tot en met 28 dec 2026" in out


def test_html_with_contacts(capsys):
    code, out, _ = run(capsys, "--drug", "oxazepam", "--dose", "30 mg", "--format", "html", "--language", "fr",
                       "--contact", "Médecin <b>=+32 9 123 45 67", "--start", "2026-12-01", "--market", "NL")
    assert code == 0
    assert out.startswith("<!DOCTYPE html>") and '<html lang="fr">' in out
    assert "Médecin &lt;b&gt;" in out and "<b>" not in out


def test_several_drugs_at_once(capsys):
    code, out, _ = run(capsys, "--drug", "lorazepam", "--dose", "2mg", "--also", "zolpidem:10", "--format", "json",
                       "--start", "2026-12-01")
    data = json.loads(out)
    assert code == 0 and data["switch_reason"] == "several" and data["steps"][0]["dose_mg"] == 25


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--drug", "lorazepan", "--dose", "3mg"], "unknown drug 'lorazepan'; did you mean lorazepam?"),
        (["--drug", "lorazepam", "--dose", "abc mg"], "cannot read the dose 'abc mg'"),
        (["--drug", "lorazepam", "--dose", "0 mg"], "more than 0"),
        (["--drug", "lorazepam", "--dose", "-3 mg"], "more than 0"),
        (["--drug", "lorazepam", "--dose", "0.25mg"], "less than the smallest dose"),
        (["--drug", "lorazepam", "--dose", "3mg", "--switch-to", "oxazepam"], "switch_to is 'diazepam', 'none'"),
        (["--drug", "lorazepam", "--dose", "3mg", "--table", "nope"], "unknown equivalence table 'nope'"),
        (["--drug", "lorazepam", "--dose", "3mg", "--pace", "fast"], "unknown pace 'fast'; choose standard, slow"),
        (["--drug", "lorazepam", "--dose", "3mg", "--protocol", "fast"], "unknown protocol 'fast'"),
        (["--drug", "lorazepam", "--dose", "3mg", "--format", "pdf"], "--format must be one of"),
        (["--drug", "lorazepam", "--dose", "3mg", "--language", "de"], "unknown language 'de'"),
        (["--drug", "lorazepam", "--dose", "3mg", "--start", "1/12/2026"], "the start must be a date"),
        (["--drug", "lorazepam", "--dose", "3mg", "--hold", "x"], "a hold names a step number"),
        (["--drug", "lorazepam", "--dose", "3mg", "--hold", "40"], "cannot hold after step 40"),
        (["--drug", "lorazepam", "--dose", "3mg", "--market", "Netherlands"], "unknown market 'Netherlands'"),
        (["--drug", "lorazepam", "--dose", "3mg", "--form", "strips"], "tapering strips are not offered in Belgium"),
        (["--drug", "lorazepam", "--dose", "3mg", "--also", "zolpidem"], "--also takes DRUG:DOSE"),
        (["--drug", "lorazepam", "--dose", "3mg", "--contact", "nobody"], "--contact takes LABEL="),
        (["--drug", "remimazolam", "--dose", "5mg"], "procedural sedation"),
        (["--drug", "diazepam", "--dose", "864000000000mg"], "not a plausible daily dose"),
        (["--dose", "3mg"], "missing --drug"),
        (["--drug", "lorazepam"], "missing --dose"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("bzra-cds: ") and err.count("\n") == 1 and words in err
    assert "Traceback" not in err


def test_errors_in_the_chosen_language(capsys):
    code, _, err = run(capsys, "--drug", "lorazepam", "--dose", "abc", "--language", "nl")
    assert code == 2 and "de dosis 'abc' is niet leesbaar" in err
    code, _, err = run(capsys, "--drug", "lorazepam", "--dose", "3mg", "--form", "strips", "--language", "fr")
    assert code == 2 and "ne sont pas proposées en Belgique" in err


def test_settings_give_the_defaults(capsys, monkeypatch):
    monkeypatch.setenv("BZRA_TAPER_PACE", "slow")
    monkeypatch.setenv("BZRA_MARKET", "NL")
    monkeypatch.setenv("BZRA_TAPER_PROTOCOL", "nhg_lumc")
    monkeypatch.setenv("BZRA_LANGUAGE", "fr")
    code, out, _ = run(capsys, "--drug", "lorazepam", "--dose", "2mg", "--format", "json")
    data = json.loads(out)
    assert code == 0 and (data["pace"], data["market"], data["protocol"]) == ("slow", "NL", "nhg_lumc")
    assert data["market_name"] == "Pays-Bas"
    code, out, _ = run(capsys, "--drug", "lorazepam", "--dose", "2mg", "--format", "json", "--pace", "standard",
                       "--market", "US", "--protocol", "deprescribing_org")
    data = json.loads(out)
    assert (data["pace"], data["market"], data["protocol"]) == ("standard", "US", "deprescribing_org")


def test_main_runs_taper(capsys):
    assert main(["taper", "--drug", "lorazepam", "--dose", "1mg", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["drug"] == "lorazepam"
    assert main(["taper", "--drug", "nobody", "--dose", "1mg"]) == 2
    assert capsys.readouterr().err.startswith("bzra-cds: unknown drug")
