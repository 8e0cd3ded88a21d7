"""`bzra-cds taper`: formats, languages, and one-line errors with exit status 2 for every bad input."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest

from service.taper.cli import add_taper_command, main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Through a parser built the way service/cli.py builds it."""
    parser = argparse.ArgumentParser(prog="bzra-cds")
    commands = parser.add_subparsers(dest="command", required=True)
    add_taper_command(commands)
    args = parser.parse_args(["taper", *argv])
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _plain_settings(monkeypatch):
    for name in ("BZRA_SETTINGS_FILE", "BZRA_KNOWLEDGE_DIR", "BZRA_EQUIVALENCE_TABLE", "BZRA_LANGUAGE",
                 "BZRA_TAPER_PACE", "BZRA_MARKET"):
        monkeypatch.delenv(name, raising=False)


def test_text(capsys):
    code, out, err = run(capsys, "--drug", "lorazepam", "--dose", "3mg/day", "--start", "2026-12-01", "--market", "US")
    assert code == 0 and err == ""
    assert out.startswith("Taper plan: lorazepam 3 mg a day (pace: standard)")
    assert "2026-12-01  2026-12-14  2.5 mg" in out and "Sources:" in out


def test_json_with_switch_holds_and_markets(capsys):
    code, out, _ = run(
        capsys, "--drug", "Xanax", "--dose", "1,5 mg", "--switch-to", "diazepam", "--start", "2026-12-01",
        "--hold", "2", "--market", "nl", "--format", "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["drug"] == "alprazolam" and data["taper_drug"] == "diazepam" and data["switched"]
    assert data["steps"][0]["kind"] == "switch" and data["steps"][0]["dose_mg"] == 30
    assert data["steps"][2]["kind"] == "hold" and data["markets"] == ["NL"]
    assert all(t["strength_mg"] == 2.0 for s in data["steps"] for t in s["tablets"])  # NL: 2 mg diazepam only


def test_markdown_in_dutch_and_slow(capsys):
    code, out, _ = run(capsys, "--drug", "diazepam", "--dose", "20 mg", "--pace", "slow", "--format", "markdown",
                       "--language", "nl", "--start", "2026-12-01")
    assert code == 0
    assert "| Stap | Van | Tot en met | Dosis per dag | Tabletten per dag |" in out and "tempo: langzaam" in out


def test_fhir(capsys):
    code, out, _ = run(capsys, "--drug", "zolpidem", "--dose", "10mg", "--format", "fhir", "--patient", "Patient/7",
                       "--start", "2026-12-01")
    assert code == 0
    resource = MedicationRequest.model_validate(json.loads(out))
    assert resource.subject.reference == "Patient/7" and len(resource.dosageInstruction) == 2


def test_html_with_contacts(capsys):
    code, out, _ = run(capsys, "--drug", "oxazepam", "--dose", "30 mg", "--format", "html", "--language", "fr",
                       "--contact", "Médecin <b>=+32 9 123 45 67", "--start", "2026-12-01")
    assert code == 0
    assert out.startswith("<!DOCTYPE html>") and '<html lang="fr">' in out
    assert "Médecin &lt;b&gt;" in out and "<b>" not in out


def test_other_table(capsys):
    code, out, _ = run(capsys, "--drug", "lorazepam", "--dose", "2mg", "--switch-to", "Diazepam", "--table", "denmark",
                       "--format", "json", "--start", "2026-12-01")
    assert code == 0 and json.loads(out)["steps"][0]["dose_mg"] == 10


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--drug", "lorazepan", "--dose", "3mg"], "unknown drug 'lorazepan'; did you mean lorazepam?"),
        (["--drug", "lorazepam", "--dose", "abc mg"], "cannot read the dose 'abc mg'"),
        (["--drug", "lorazepam", "--dose", "0 mg"], "more than 0"),
        (["--drug", "lorazepam", "--dose", "-3 mg"], "more than 0"),
        (["--drug", "lorazepam", "--dose", "0.25mg", "--market", "US"], "too small to taper with the marketed strengths"),
        (["--drug", "lorazepam", "--dose", "3mg", "--switch-to", "oxazepam"], "--switch-to can only be diazepam"),
        (["--drug", "lorazepam", "--dose", "3mg", "--table", "nope"], "--table must be one of ashton"),
        (["--drug", "lorazepam", "--dose", "3mg", "--pace", "fast"], "--pace must be one of standard, slow"),
        (["--drug", "lorazepam", "--dose", "3mg", "--format", "pdf"], "--format must be one of"),
        (["--drug", "lorazepam", "--dose", "3mg", "--language", "de"], "--language must be one of en, nl, fr"),
        (["--drug", "lorazepam", "--dose", "3mg", "--start", "1/12/2026"], "--start must be a date"),
        (["--drug", "lorazepam", "--dose", "3mg", "--hold", "x"], "--hold takes a step number"),
        (["--drug", "lorazepam", "--dose", "3mg", "--hold", "40"], "cannot hold after step 40"),
        (["--drug", "lorazepam", "--dose", "3mg", "--market", "Netherlands"], "--market takes a two-letter"),
        (["--drug", "lorazepam", "--dose", "3mg", "--market", "BE"], "no marketed oral strengths of lorazepam or of diazepam in BE"),
        (["--drug", "lorazepam", "--dose", "3mg", "--contact", "nobody"], "--contact takes LABEL="),
        (["--drug", "remimazolam", "--dose", "5mg"], "procedural sedation"),
        (["--dose", "3mg"], "missing --drug"),
        (["--drug", "lorazepam"], "missing --dose"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("bzra-cds: ") and err.count("\n") == 1 and words in err
    assert "Traceback" not in err


def test_settings_give_the_default_pace_and_market(capsys, monkeypatch):
    monkeypatch.setenv("BZRA_TAPER_PACE", "slow")
    monkeypatch.setenv("BZRA_MARKET", "NL")
    code, out, _ = run(capsys, "--drug", "lorazepam", "--dose", "2mg", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["pace"] == "slow" and data["markets"] == ["NL"]
    code, out, _ = run(capsys, "--drug", "lorazepam", "--dose", "2mg", "--format", "json", "--pace", "standard",
                       "--market", "US")
    data = json.loads(out)
    assert data["pace"] == "standard" and data["markets"] == ["US"]


def test_main_accepts_the_word_taper_or_not(capsys):
    assert main(["--drug", "lorazepam", "--dose", "1mg", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["drug"] == "lorazepam"
    assert main(["taper", "--drug", "nobody", "--dose", "1mg"]) == 2
    assert capsys.readouterr().err.startswith("bzra-cds: unknown drug")


def test_module_entry_point():
    ok = subprocess.run(
        [sys.executable, "-m", "service.taper.cli", "--drug", "temazepam", "--dose", "20 mg", "--start", "2026-12-01"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("Taper plan: temazepam 20 mg a day")
    bad = subprocess.run(
        [sys.executable, "-m", "service.taper.cli", "--drug", "lorazepam", "--dose", "abc mg"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        "bzra-cds: cannot read the dose 'abc mg'; write the daily dose like '3 mg/day', '0.5 mg' or '500 µg/day'"
    ]
