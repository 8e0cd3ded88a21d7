"""The CEL engine loaded alone is the one `import cel` gives (that it loads no command line: test_lean_imports)."""

from __future__ import annotations

import sys

from service.rules import cel_core


def test_compiled_programs_evaluate() -> None:
    program = cel_core.compile("facts.x > 3 && 'a' in facts.names")
    assert program.execute({"facts": {"x": 4, "names": ["a"]}}) is True
    assert program.execute({"facts": {"x": 2, "names": ["a"]}}) is False


def test_a_later_import_of_the_package_reuses_the_loaded_extension() -> None:
    import cel

    assert sys.modules[cel_core.EXTENSION] is cel_core.engine
    assert cel.compile is cel_core.compile
