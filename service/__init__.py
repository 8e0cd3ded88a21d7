"""bzra-cds: the CDS Hooks service (see README.md, Architecture)."""

from service import lean_imports  # noqa: F401 - first, before any library is imported: see its docstring
