"""Reading JSON as RFC 8259 defines it: no NaN or Infinity, which Python's json module lets through.

Hook request bodies and FHIR server answers both come through here. orjson reads them in about half
the time of the standard library; what orjson refuses (e.g. a lone surrogate escape) is read again by
the standard library, which accepts or refuses it as it always did and gives the message.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def loads_strict(raw: bytes) -> Any:
    """The parsed JSON; raises ValueError (UnicodeDecodeError or json.JSONDecodeError included)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw, parse_constant=_reject_constant)
