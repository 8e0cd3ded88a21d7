"""The version of bzra-cds that is running, as installed (pyproject.toml is the one place it is set).

Shown in discovery, `/healthz` and the OpenAPI description, so a hospital knows what it runs; what
changed between versions is in CHANGELOG.md.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("bzra-cds")
except PackageNotFoundError:  # run from a checkout that was never installed
    VERSION = "0+unknown"
