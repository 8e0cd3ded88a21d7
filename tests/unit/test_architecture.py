"""The shape of the code, checked: rooms import only downwards, and functions fit on a screen.

Read from the source with `ast` (nothing is imported), so a new module or a new import is judged
the moment it is written. The layer order follows the flow of a hook call in the README
(cds_hooks → fhir → facts → rules → suggestions → pipeline → api/app → cli), with the clinical
knowledge and the settings low, and the demo on top, where nothing imports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cds_hooks", "service")
MAX_FUNCTION_LINES = 60
# The length rule holds for the benchmark and the tests too: a long test hides what it checks.
LENGTH_CHECKED = (*PACKAGES, "bench", "tests")

# Lowest first. A module may import from its own layer and the layers below it. A module belongs to
# the longest name that is it or contains it; the root package `service` holds only its __init__.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cds_hooks",),  # the CDS Hooks protocol: knows nothing of service
    ("service", "service.lean_imports", "service.heap", "service.version", "service.errors", "service.strict_json", "service.memo", "service.metrics", "service.logs", "service.language", "service.yamlsource"),
    # The settings, with the value types they hold (the FHIR allow-list and limits, the taper vocabulary).
    ("service.settings", "service.settings_sources", "service.security.fhir_servers", "service.fhir.limits", "service.taper.vocabulary"),
    ("service.knowledge", "service.taper.markets", "service.taper.protocol"),  # knowledge files, taper protocols and markets among them
    ("service.catalog",),  # the services offered and the data each needs
    ("service.fhir",),
    ("service.facts",),
    ("service.rules",),
    ("service.taper",),
    ("service.suggestions", "service.planner.links"),  # with the planner's address, which taper cards carry
    ("service.store", "service.security", "service.audit_secret"),
    ("service.audit", "service.data_card", "service.data_card_texts"),
    ("service.pipeline", "service.feedback"),
    ("service.authoring",),  # tools for rule authors, above the pipeline they run
    ("service.api", "service.planner"),
    ("service.app", "service.addons", "service.serving", "service.migrate"),
    ("service.cli", "service.cli_support"),
    ("service.demo",),
)

HTTP_AND_YAML = ("fastapi", "starlette", "httpx", "service.api", "yaml", "service.yamlsource")

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _sources() -> dict[str, Path]:
    """Every module of the product packages, by dotted name (Alembic's migrations are scripts, not modules)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _resolve(name: str) -> str | None:
    """The module an imported name lives in (`service.rules.models.Rule` → `service.rules.models`)."""
    while name and name not in _sources():
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(module: str, tree: ast.AST) -> Iterator[str]:
    """Every name imported anywhere in the module (also inside functions), made absolute."""
    is_package = _sources()[module].name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


@cache
def _imports() -> dict[str, set[str]]:
    """Module → the modules and third-party names it imports."""
    graph: dict[str, set[str]] = {}
    for module, path in _sources().items():
        names = set(_imported_names(module, ast.parse(path.read_text(encoding="utf-8"))))
        resolved = {_resolve(name) or name for name in names}
        graph[module] = {name for name in resolved if name != module}
    return graph


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (length of the matching name, layer)
    for index, rooms in enumerate(LAYERS):
        for room in rooms:
            matches = module == room or (room != "service" and module.startswith(room + "."))
            if matches and (best is None or len(room) > best[0]):
                best = (len(room), index)
    return best[1] if best else None


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _edges() -> Iterator[tuple[str, str]]:
    for importer, imported in _imports().items():
        for name in sorted(imported):
            if name in _sources():
                yield importer, name


def _upward_imports() -> set[str]:
    return {
        f"{importer} -> {imported}"
        for importer, imported in _edges()
        if (low := _layer(importer)) is not None and (high := _layer(imported)) is not None and high > low
    }


def _length_checked_files() -> list[Path]:
    """The Python files the length rule covers (Alembic's migrations, generated scripts, are left out)."""
    return [
        path
        for directory in LENGTH_CHECKED
        for path in sorted((ROOT / directory).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _long_functions() -> dict[str, int]:
    """`path:name` → lines, for every function or method over the limit (data tables are assignments)."""
    found = {}
    for path in _length_checked_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if lines > MAX_FUNCTION_LINES:
                    found[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = lines
    return found


def _report(offenders: set[str] | dict[str, int]) -> str:
    return "\n".join(f"  {name}" + (f" ({offenders[name]} lines)" if isinstance(offenders, dict) else "") for name in sorted(offenders))


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(module for module in _sources() if _layer(module) is None)
    assert not unplaced, f"modules in no layer; add their room to LAYERS in {Path(__file__).name}: {unplaced}"


def test_cds_hooks_knows_nothing_of_service() -> None:
    offenders = {f"{a} -> {b}" for a, b in _edges() if _within(a, "cds_hooks") and _within(b, "service")}
    assert not offenders, "cds_hooks is the protocol alone:\n" + _report(offenders)


def test_nothing_outside_the_demo_imports_the_demo() -> None:
    offenders = {
        f"{a} -> {b}"
        for a, b in _edges()
        if _within(b, "service.demo") and not _within(a, "service.demo")
    }
    assert not offenders, "production code must not depend on the demo:\n" + _report(offenders)


def test_facts_know_nothing_of_http_or_yaml() -> None:
    offenders = {
        f"{module} -> {name}"
        for module, names in _imports().items()
        if _within(module, "service.facts")
        for name in names
        if any(_within(name, banned) for banned in HTTP_AND_YAML)
    }
    assert not offenders, "facts are computations over parsed resources:\n" + _report(offenders)


def test_no_upward_import() -> None:
    offenders = _upward_imports()
    assert not offenders, "imports from a higher layer (see LAYERS):\n" + _report(offenders)


def test_no_function_over_sixty_lines() -> None:
    offenders = _long_functions()
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines; split them along their steps:\n" + _report(offenders)


def test_the_length_rule_reads_the_benchmark_and_the_tests() -> None:
    checked = {path.relative_to(ROOT).as_posix() for path in _length_checked_files()}
    assert {"bench/scenarios.py", "tests/browser/test_demo.py", Path(__file__).relative_to(ROOT).as_posix()} <= checked
    assert "service/app.py" in checked and "cds_hooks/models.py" in checked


def test_the_checks_see_a_known_import() -> None:
    """The graph is read at all: a known downward import is there, and placed in order."""
    assert "service.facts.model" in _imports()["service.rules.names"]
    assert _layer("service.facts.model") < _layer("service.rules.names")  # type: ignore[operator]
    assert "service.facts.dates" in _imports()["service.facts.timing"]  # a relative import, resolved
