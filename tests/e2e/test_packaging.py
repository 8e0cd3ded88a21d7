"""A non-editable install serves the default rules from inside the installed package, not a checkout.

In `.ci/run`, BZRA_TEST_INSTALLED_VENV names a fresh virtual environment where `pip install
--constraint constraints.txt .` ran (the dependencies from PyPI, as the image installs them). Without
it, this test builds the wheel from the files the Dockerfile copies and installs it alone in a fresh
venv that borrows the test environment's dependencies (no network).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tests.support import builders as b
from tests.support.paths import ROOT
from tests.support.rules_support import shipped_rule_count
from tests.support.service_process import running_service

INSTALLED_VENV = "BZRA_TEST_INSTALLED_VENV"
PACKAGE_SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "cds_hooks", "service", "rules")


def _copy_sources(target: Path) -> None:
    target.mkdir()
    for name in PACKAGE_SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "shipped_rules"))
        else:
            shutil.copy2(source, target / name)


def _install_wheel_alone(work: Path) -> Path:
    sources, dist, venv = work / "source", work / "dist", work / "venv"
    _copy_sources(sources)
    quiet = {"check": True, "capture_output": True, "timeout": 300}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(sources)], **quiet)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], **quiet)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(dist.glob("bzra_cds-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", "--no-index", str(wheel)], **quiet)
    return venv


@pytest.fixture(scope="module")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get(INSTALLED_VENV)
    return Path(given) if given else _install_wheel_alone(tmp_path_factory.mktemp("package"))


def test_an_installed_package_answers_a_hook_call_with_the_shipped_rules(
    installed_venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BZRA_DATA_DIR")  # the default data directory is the point too
    monkeypatch.delenv("BZRA_RULES_DIR", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    site = next(installed_venv.glob("lib/python*/site-packages"))
    located = subprocess.run(
        [str(installed_venv / "bin" / "python"), "-c", "import service; print(service.__file__)"],
        capture_output=True, text=True, check=True, cwd=elsewhere,
    )
    assert Path(located.stdout.strip()).is_relative_to(site)  # the installed copy, not a checkout

    with running_service("--insecure-dev", program=[str(installed_venv / "bin" / "bzra-cds")], cwd=elsewhere) as (base, _):
        rules = httpx.get(f"{base}/readyz", timeout=10).json()["checks"]["rules"]
        assert rules["ok"] and rules["rules"] == shipped_rule_count(), rules
        assert Path(rules["directory"]) == site / "service" / "shipped_rules"

        prefetch = b.full_prefetch()
        prefetch["patient"] = b.patient(birth_date="1950-01-01")
        answer = httpx.post(f"{base}/cds-services/bzra-order-sign", json=b.hook_request(prefetch=prefetch), timeout=10)
        assert answer.status_code == 200
        assert "older-adult" in b.rule_ids(answer.json())

    assert (elsewhere / "var").is_dir()  # the embedded database lives in the working directory ...
    assert not (site / "var").exists()  # ... never inside site-packages


def test_constraints_pin_every_dependency_at_the_version_the_suite_runs_on() -> None:
    """constraints.txt (what the image installs) is the tested environment: `make constraints` re-pins."""
    from importlib.metadata import PackageNotFoundError, requires, version

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pins = dict(line.split("==", 1) for line in lines if line and not line.startswith("#"))
    pinned = {canonicalize_name(name): pin for name, pin in pins.items()}
    direct = [Requirement(text) for text in requires("bzra-cds") or []]
    runtime = [r for r in direct if r.marker is None or r.marker.evaluate({"extra": ""})]
    missing = [r.name for r in runtime if canonicalize_name(r.name) not in pinned]
    assert not missing, f"not pinned in constraints.txt (run `make constraints`): {missing}"
    for name, pin in pinned.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        assert installed == pin, f"{name}: tested with {installed}, pinned {pin} (run `make install-test`)"
