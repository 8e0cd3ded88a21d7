"""The one way commands load the settings, the knowledge and the rules directory.

Both raise `BzraError`s (`InvalidSettings`, `ConfigurationError`) that `service.cli.main` reports as
one line per problem; a command never prints or exits on its own for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.cli.usage import UsageError
from service.settings import InvalidSettings, Settings, load_settings, path_problems

if TYPE_CHECKING:
    from service.knowledge.models import Knowledge


def command_settings(*, serving: bool = False, store: bool = False, **overrides: Any) -> Settings:
    """The settings with the command line's `overrides` (None: not given); `store`/`serving` also check
    the paths those commands will use, so a wrong one is said before anything starts."""
    settings = load_settings(**overrides)
    problems = path_problems(settings, serving=serving) if serving or store else []
    if problems:
        raise InvalidSettings(problems)
    return settings


def command_knowledge(settings: Settings) -> Knowledge:
    """The shipped knowledge with the deployment's own, checked against the settings."""
    from service.knowledge.configured import load_configured_knowledge

    return load_configured_knowledge(settings)


def rules_directory(directory: str | None, default: Path) -> Path:
    """The rules directory a command names, else the configured one; it must exist."""
    chosen = Path(directory) if directory else default
    if not chosen.is_dir():
        raise UsageError(f"rules directory not found: {chosen}")
    return chosen
