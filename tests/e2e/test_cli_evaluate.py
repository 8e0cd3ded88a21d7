"""`bzra-cds evaluate`: the cards a request would get and why each rule fired or not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from tests.support.paths import ROOT

EXAMPLE = ROOT / "examples" / "order-sign-request.json"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", "evaluate", *args], capture_output=True, text=True, timeout=120)


def test_text_output_lists_cards_and_every_rule_with_its_values() -> None:
    result = run(str(EXAMPLE), "--today", "2026-11-23")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Cards (1):" in out and "[warning] This order would raise the daily dose from 5 to 25 mg diazepam-equivalent" in out
    assert "suggestion: Prescribe 28 tablets (14 days), without repeats" in out
    assert "fired         long-term-use (v2): when is true" in out
    assert "history.bzra_continuous_days = 83" in out
    assert "not fired     opioid-and-bzra (v2): when is false" in out


def test_json_output_in_dutch() -> None:
    result = run(str(EXAMPLE), "--today", "2026-11-23", "--format", "json", "--language", "nl")
    data = json.loads(result.stdout)
    assert data["cards"][0]["summary"].startswith("Dit voorschrift zou de dagdosis verhogen van 5 naar 25 mg")
    statuses = {rule["id"]: rule["status"] for rule in data["rules"]}
    assert statuses["high-dose-from-order"] == "fired" and statuses["high-dose"] == "not fired"
    assert statuses["opioid-and-bzra"] == "not fired"


def test_a_broken_rule_set_is_refused_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "override-reasons.yaml").write_text("system: x\nreasons: {a: {display: {en: A}}}\n")
    (tmp_path / "bad.yaml").write_text("rules: [")
    result = run(str(EXAMPLE), "--rules", str(tmp_path))
    assert result.returncode == 2 and "rules lint" in result.stderr and "Traceback" not in result.stderr
