"""`bzra-cds rules lint` and `bzra-cds rules test` in a subprocess: a table, and the exit status a CI job can act on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.rules_support import SHIPPED, minimal_rule, rules_dir


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, timeout=120)


def test_lint_command_exit_codes(tmp_path: Path) -> None:
    good = run_cli("rules", "lint")
    assert good.returncode == 0 and "11 rules, no problems" in good.stdout
    bad_dir = rules_dir(tmp_path, extra={"rule.yaml": minimal_rule(when='"history.nope > 1"')})
    bad = run_cli("rules", "lint", str(bad_dir))
    assert bad.returncode == 1
    assert "rule.yaml:11:" in bad.stdout and "unknown fact name 'history.nope'" in bad.stdout
    missing = run_cli("rules", "lint", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "rules directory not found" in missing.stderr


def test_rules_test_command_prints_a_table_and_fails_on_a_failing_case(tmp_path) -> None:
    ok = subprocess.run([sys.executable, "-m", "service.cli", "rules", "test"], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASS" in ok.stdout and " 0 failed" in ok.stdout
    import shutil

    directory = tmp_path / "rules"
    shutil.copytree(SHIPPED, directory)
    (directory / "older-adult.test.yaml").write_text(
        "tests:\n  - name: a wrong expectation\n    age: 30\n    orders:\n      - {drug: zolpidem 10 mg tablet, dose: 1 tablet at night, quantity: 7}\n    expect:\n      fires: [older-adult]\n"
    )
    bad = subprocess.run([sys.executable, "-m", "service.cli", "rules", "test", str(directory)], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1
    assert "FAIL  a wrong expectation" in bad.stdout and "expected older-adult to fire" in bad.stdout
