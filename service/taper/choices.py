"""What the planner offers to choose: the protocols, the forms and the markets, named in en, nl and fr."""

from __future__ import annotations

from typing import Any

from service.knowledge.models import Knowledge
from service.taper.markets import known_markets, load_market
from service.taper.protocol import load_protocols
from service.taper.wording import LANGUAGES

__all__ = ["taper_choices"]


def _names(names: Any) -> dict[str, str]:
    return {language: getattr(names, language, None) or names.en for language in LANGUAGES}


def taper_choices(knowledge: Knowledge) -> dict[str, Any]:
    """Protocols (with the markets and forms they are limited to), forms and markets, for the planner."""
    protocols = load_protocols()
    markets = []
    for code in known_markets():
        market = load_market(code, knowledge)
        strips = market.finer_forms.tapering_strips
        markets.append({
            "id": code,
            "name": _names(market.country),
            "stripDrugs": [m.drug for m in strips.molecules] if strips else [],
        })
    return {
        "protocols": [
            {"id": pid, "name": _names(p.label), "markets": p.markets, "forms": p.forms} for pid, p in protocols.protocols.items()
        ],
        "forms": [{"id": fid, "name": _names(f.label), "markets": f.markets} for fid, f in protocols.forms.items()],
        "markets": markets,
    }
