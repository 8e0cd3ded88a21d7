"""The tests mirror the code, so a newcomer finds a module's tests from its name (README "Tests").

`tests/unit/<package path>/test_<module>.py` holds the unit tests of `<package path>/<module>.py`, and
`test_<module>_<aspect>.py` beside it the property, fuzz or memo tests of the same module. Files at the
top of `tests/unit/` check the code base as a whole (this layout, its import layers). The other groups
sit next to `unit/`: `content/`, `e2e/`, `browser/`, and `support/` for what tests share.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.paths import ROOT

TESTS = ROOT / "tests"
UNIT = TESTS / "unit"
GROUPS = {"unit", "content", "e2e", "browser", "support"}


def unit_test_files() -> list[Path]:
    """The test files of one module each: all under tests/unit/ but those at its top."""
    return sorted(path for path in UNIT.rglob("test_*.py") if path.parent != UNIT)


def mirrored(test_file: Path) -> Path:
    """The code directory a test file's directory mirrors: tests/unit/service/facts -> service/facts."""
    return ROOT / test_file.parent.relative_to(UNIT)


def module_under_test(test_file: Path) -> Path | None:
    """The module a test file names: the longest `test_<module>[_<aspect>]` prefix that is a module there."""
    words = test_file.stem.removeprefix("test_").split("_")
    for end in range(len(words), 0, -1):
        module = mirrored(test_file) / ("_".join(words[:end]) + ".py")
        if module.is_file():
            return module
    return None


def test_every_unit_test_file_names_a_module_at_the_mirrored_path() -> None:
    strays = [str(path.relative_to(ROOT)) for path in unit_test_files() if module_under_test(path) is None]
    assert strays == [], "no module at the mirrored path (tests/unit/<package>/test_<module>.py)"


def test_every_unit_directory_mirrors_a_code_directory_and_is_a_package() -> None:
    directories = [path for path in UNIT.rglob("*") if path.is_dir() and path.name != "__pycache__"]
    assert [str(d.relative_to(ROOT)) for d in directories if not any(mirrored(d / "x").glob("*.py"))] == []
    # Same-named test modules in different directories import apart only as packages.
    assert [str(d.relative_to(ROOT)) for d in [UNIT, *directories] if not (d / "__init__.py").is_file()] == []


def test_no_flat_tests_and_only_the_known_groups() -> None:
    assert sorted(path.name for path in TESTS.glob("test_*.py")) == []
    groups = {path.name for path in TESTS.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert groups == GROUPS
    assert sorted(path.name for path in (TESTS / "support").rglob("test_*.py") if "node_modules" not in path.parts) == []


def test_tests_share_helpers_through_support_not_through_each_other() -> None:
    """A helper imported from another test module moves when that module moves; tests/support/ stays put."""
    test_group = re.compile(r"^\s*(from|import) tests\.(unit|content|e2e|browser)\b", re.M)
    sources = [path for path in TESTS.rglob("*.py") if "node_modules" not in path.parts]
    assert [str(path.relative_to(ROOT)) for path in sources if test_group.search(path.read_text(encoding="utf-8"))] == []


def test_the_check_finds_a_stray() -> None:
    assert module_under_test(UNIT / "service" / "facts" / "test_dose_properties.py") == ROOT / "service" / "facts" / "dose.py"
    assert module_under_test(UNIT / "service" / "facts" / "test_history_facts.py") == ROOT / "service" / "facts" / "history.py"
    assert module_under_test(UNIT / "service" / "test_fhir_access.py") is None  # service/fhir is a package
    assert module_under_test(UNIT / "service" / "facts" / "test_everything.py") is None
