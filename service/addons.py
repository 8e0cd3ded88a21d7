"""Optional parts of the application (the demo), found through the `bzra_cds.addons` entry point group
so that production code never imports them: an add-on depends on the service, never the reverse.

Each entry point names a function `install(app, settings)` that adds its routes when the settings ask
for them. Entry points are package metadata: after adding one, reinstall (`make install-test`).
"""

from __future__ import annotations

from importlib.metadata import entry_points

from fastapi import FastAPI

from service.knowledge.configured import ConfigurationError
from service.settings import Settings

ADDON_GROUP = "bzra_cds.addons"


def install_addons(app: FastAPI, settings: Settings) -> list[str]:
    """Installs every add-on; returns their names. `BZRA_DEMO` without the demo installed is a start-up
    error rather than a service with no page at `/`."""
    found = {entry.name: entry for entry in entry_points(group=ADDON_GROUP)}
    if settings.demo and "demo" not in found:
        raise ConfigurationError(
            f"BZRA_DEMO: the demo is not installed (no 'demo' entry point in {ADDON_GROUP}); "
            "reinstall the package (`make install-test`, or `pip install .`)"
        )
    for entry in found.values():
        entry.load()(app, settings)
    return sorted(found)
