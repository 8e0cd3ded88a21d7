"""One record as one line of JSON, for the spool and the journal: never fails on a Python str.

orjson is fast but refuses a lone surrogate (e.g. `"\\udc80"` from a JSON escape in a request); the
standard library with `ensure_ascii` writes any str as escapes, so a record is never lost for its text.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_UNWRITABLE = re.compile("[\ud800-\udfff\x00]")  # lone surrogates (not UTF-8) and NUL (not in PostgreSQL text)


def json_line(record: dict[str, Any]) -> bytes:
    """The record as one line of UTF-8 JSON ending in a newline."""
    try:
        return orjson.dumps(record) + b"\n"
    except TypeError:  # orjson's error for a lone surrogate, a non-str key or an unknown type
        return (json.dumps(record, separators=(",", ":"), ensure_ascii=True, default=str) + "\n").encode("ascii")


def storable(text: str) -> str:
    """The text with what no database column can hold (lone surrogates, NUL) replaced by U+FFFD."""
    return text if text.isascii() and "\x00" not in text else _UNWRITABLE.sub("\ufffd", text)
