"""The knowledge a deployment runs with: the shipped files plus its own, checked against settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from service.errors import DeploymentError
from service.knowledge.loader import KnowledgeError, load_knowledge
from service.knowledge.models import Knowledge
from service.settings import Settings


class ConfigurationError(DeploymentError):
    """Settings and knowledge do not fit together; the message names the setting."""


@lru_cache(maxsize=8)
def _load(extra: tuple[Path, ...]) -> Knowledge:
    """Knowledge is read-only once loaded, so one copy serves every app in the process."""
    return load_knowledge(extra=extra)


def load_configured_knowledge(settings: Settings) -> Knowledge:
    extra = (settings.knowledge_dir,) if settings.knowledge_dir else ()
    try:
        knowledge = _load(extra)
    except KnowledgeError as error:
        raise ConfigurationError(f"knowledge files are invalid:\n{error}") from error
    _check_taper_settings(settings, knowledge)
    if knowledge.table(settings.equivalence_table) is None:
        known = ", ".join(sorted(knowledge.equivalence_tables))
        raise ConfigurationError(
            f"BZRA_EQUIVALENCE_TABLE: unknown table '{settings.equivalence_table}'; known tables: {known}"
        )
    return knowledge


def _check_taper_settings(settings: Settings, knowledge: Knowledge) -> None:
    """The market and taper protocol must exist (one line naming the setting), checked at start-up."""
    from service.taper.markets import MarketError, load_market
    from service.taper.protocol import TaperProtocolError, load_protocols

    try:
        load_market(settings.market, knowledge)
    except MarketError as error:
        raise ConfigurationError(f"BZRA_MARKET: {error}") from error
    try:
        protocols = load_protocols()
    except TaperProtocolError as error:
        raise ConfigurationError(f"taper protocols are invalid:\n{error}") from error
    if settings.taper_protocol not in protocols.protocols:
        known = ", ".join(protocols.protocols)
        raise ConfigurationError(f"BZRA_TAPER_PROTOCOL: unknown protocol '{settings.taper_protocol}'; known protocols: {known}")
    markets = protocols.protocols[settings.taper_protocol].markets
    if markets and settings.market not in markets:
        raise ConfigurationError(
            f"BZRA_TAPER_PROTOCOL: the protocol '{settings.taper_protocol}' is for {', '.join(markets)} only, "
            f"and BZRA_MARKET is {settings.market}"
        )
