"""Library modules the service never runs, kept from loading: their memory is paid in every worker.

Two libraries import optional terminal and highlighting code whenever its dependencies are installed,
and they are (common-expression-language's own command line needs rich, pygments and click):

- httpx imports its command-line client (`httpx._main`, with rich and pygments): about 70 modules and
  3 MB of resident memory for a terminal program the service never starts;
- Mako, which Alembic uses for the template of a new migration script, imports pygments
  (`mako.ext.pygmentplugin`) to highlight the source in its HTML error pages: about 40 modules and
  4.5 MB (measured: `bzra-cds serve` after start, 141 MB before, 130 MB with this and `cel_core`).

Both fall back to a plain version when that import fails, and a `None` in `sys.modules` is Python's
documented way to make it fail (the import system raises ImportError). Only this process is affected:
the `httpx` command runs in its own. (The CEL engine is loaded without its command line in
`service.rules.cel_core`.)
"""

from __future__ import annotations

import sys

NEVER_RUN = ("httpx._main", "mako.ext.pygmentplugin")  # each is imported by its library only if it can be


def keep_out() -> None:
    """Block the modules of `NEVER_RUN` not loaded yet (one already loaded stays as it is)."""
    for name in NEVER_RUN:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


keep_out()
