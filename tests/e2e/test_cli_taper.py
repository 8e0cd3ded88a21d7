"""`python -m service.cli taper` in a subprocess: a plan on stdout, a bad dose as one line on stderr with exit status 2."""

from __future__ import annotations

import subprocess
import sys

from tests.support.paths import ROOT


def test_module_entry_point():
    ok = subprocess.run(
        [sys.executable, "-m", "service.cli", "taper", "--drug", "temazepam", "--dose", "20 mg", "--market", "NL",
         "--start", "2026-12-01"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("Taper plan: temazepam 20 mg a day")
    bad = subprocess.run(
        [sys.executable, "-m", "service.cli", "taper", "--drug", "lorazepam", "--dose", "abc mg"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        "bzra-cds: cannot read the dose 'abc mg'; write the daily dose like '3 mg/day', '0.5 mg' or '500 µg/day'"
    ]
