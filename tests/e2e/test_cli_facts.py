"""`bzra-cds facts` in a subprocess: the facts of a request as text and JSON, and errors as one line with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import builders as b
from tests.support.facts_support import contained_alprazolam_order, request_with, zolpidem_statement


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, timeout=60)


def test_facts_command_prints_text_and_json(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request_with([zolpidem_statement("2026-09-21")], drafts=[contained_alprazolam_order()])))
    text = run_cli("facts", str(path), "--today", "2026-11-23")
    assert text.returncode == 0, text.stderr
    assert "continuous use up to the order date: 63 days" in text.stdout
    assert "1.5 mg/day × 10 / 0.5 mg" in text.stdout
    data = json.loads(run_cli("facts", str(path), "--today", "2026-11-23", "--format", "json").stdout)
    assert data["draft"]["de_mg_per_day"] == pytest.approx(30.0)
    assert data["history"]["bzra_continuous_days"] == 63


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ('{"hook": "order-sign"}', "not a CDS Hooks request: hookInstance"),
        (json.dumps(b.hook_request(prefetch={})), "not prefetched and no fhirServer"),
    ],
)
def test_facts_command_errors_exit_2_with_a_message(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "request.json"
    if content is not None:
        path.write_text(content)
    result = run_cli("facts", str(path))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
