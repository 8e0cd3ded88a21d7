"""The CEL engine alone: common-expression-language's compiled extension, without its command line.

`import cel` runs the package's `__init__`, which imports its REPL and command-line interface (typer,
click, rich, prompt_toolkit, pygments: about 400 modules) before the engine. The service calls only
`compile` and the programs it returns, which live in the compiled extension `cel.cel`; those modules
cost about 12 MB of resident memory in every worker (measured on `bzra-cds serve` after start).

The extension is loaded here under its own name, `cel.cel`, so a later `import cel` (a developer's
REPL, the library's own CLI) finds it loaded and does not load it a second time. If a release lays the
package out differently, the whole package is imported as before.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from types import ModuleType

EXTENSION = "cel.cel"


def load_engine() -> ModuleType:
    """The module that holds `compile`: the extension alone where it can be found, else the package."""
    loaded = sys.modules.get(EXTENSION)
    if loaded is not None:
        return loaded
    package = importlib.util.find_spec("cel")  # finds the package without running its __init__
    locations = None if package is None else package.submodule_search_locations
    spec = None if locations is None else importlib.machinery.PathFinder.find_spec(EXTENSION, list(locations))
    if spec is None or spec.loader is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
        import cel

        return cel
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[EXTENSION] = module
    return module


engine = load_engine()
compile = engine.compile  # noqa: A001 - the library's name, kept so call sites read as `cel.compile`
