"""Reading JSON as RFC 8259 defines it: no NaN or Infinity, which Python's json module lets through.

Hook request bodies and FHIR server answers both come through here. orjson reads them in about half
the time of the standard library; what orjson refuses (e.g. a lone surrogate escape) is read again by
the standard library, which accepts or refuses it as it always did and gives the message.

Two limits hold whatever the reader:
- Nesting: orjson's own limit (1,024 levels) is the service's. Deeper JSON is refused with
  `TooDeep`, without trying the standard library, whose recursive reader would fail on it anyway.
  Real FHIR and CDS Hooks JSON is a few dozen levels deep at most, and checking a lower limit would
  mean walking every parsed body, which costs as much as parsing it.
- Lone surrogates: an escape such as `\\udc80` is valid JSON syntax but no Unicode character, and a
  Python string holding one cannot be written as UTF-8 (to a log, a database or an answer). It is
  replaced by U+FFFD, the replacement character, as any tolerant Unicode decoder does. Refusing the
  body instead would refuse a whole hook call (prescribing without advice) or lose a prescriber's
  feedback over one unreadable character of free text; the rest of the value is kept.
"""

from __future__ import annotations

from service.errors import RequestError

import json
import re
from typing import Any

import orjson

MAX_DEPTH = 1024  # orjson's limit: documented here so the error message can name it
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


class TooDeep(RequestError, ValueError):
    """JSON too deep to read safely; a `ValueError` like every other reason a body is not JSON."""

    code = "malformed_json"

    def __init__(self) -> None:
        super().__init__(f"JSON nested more than {MAX_DEPTH} levels deep")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _clean(text: str) -> str:
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def without_lone_surrogates(value: Any) -> Any:
    """The same JSON value with every lone surrogate (in keys and strings) replaced by U+FFFD.

    Iterative, so that a value nested as deep as the reader allows never exhausts Python's stack.
    """
    if isinstance(value, str):
        return _clean(value)
    root = [value]
    stack: list[list[Any] | dict[str, Any]] = [root]
    while stack:
        container = stack.pop()
        if isinstance(container, dict):
            for key in list(container):
                item = container.pop(key) if _SURROGATE.search(key) else container[key]
                container[_clean(key)] = _clean(item) if isinstance(item, str) else item
                if isinstance(item, dict | list):
                    stack.append(item)
        else:
            for index, item in enumerate(container):
                if isinstance(item, str):
                    container[index] = _clean(item)
                elif isinstance(item, dict | list):
                    stack.append(item)
    return root[0]


def loads_strict(raw: bytes) -> Any:
    """The parsed JSON; raises ValueError (TooDeep, UnicodeDecodeError, json.JSONDecodeError included)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if str(error).startswith("depth limit exceeded"):
            raise TooDeep() from None
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:  # refused by orjson for another reason, and deep enough for Python's stack
        raise TooDeep() from None
    return without_lone_surrogates(value)
