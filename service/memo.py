"""Remembered results of pure functions, bounded: one mechanism for every such cache in the service.

A hook call repeats the same few inputs (the same medication in every refill, the same sig, the same
taper request), so the hot paths remember results by an exact key. When a memo is full it is emptied
at once: cheaper per lookup than least-recently-used bookkeeping, and the hot keys come back at once.
"""

from __future__ import annotations

import hashlib
import math
import re
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import msgspec
import orjson

Value = TypeVar("Value")
_MISSING: Any = object()


class Memo(Generic[Value]):
    """`compute()`'s result per key, at most `size` of them. The key must hold every input read."""

    def __init__(self, size: int):
        self._size = size
        self._values: dict[Hashable, Value] = {}

    def get(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        """The remembered value (None included); an exception from `compute` is not remembered."""
        value = self._values.get(key, _MISSING)
        if value is _MISSING:
            if len(self._values) >= self._size:
                self._values.clear()
            value = self._values[key] = compute()
        return value

    def values(self) -> list[Value]:
        return list(self._values.values())

    def __len__(self) -> int:
        return len(self._values)


class MemoPerObject(Generic[Value]):
    """A `Memo` per object (a loaded Knowledge), held weakly: a reloaded one starts afresh."""

    def __init__(self, size: int):
        self._size = size
        self._memos: weakref.WeakKeyDictionary[Any, Memo[Value]] = weakref.WeakKeyDictionary()

    def __call__(self, owner: Any) -> Memo[Value]:
        memo = self._memos.get(owner)
        if memo is None:
            memo = self._memos[owner] = Memo(self._size)
        return memo


# orjson would write these as strings or objects, and a date would meet the string of its ISO form
_ONLY_JSON_TYPES = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def json_key(value: Any) -> bytes | None:
    """Plain data (a JSON value, as JSON and YAML readers give) as the SHA-256 digest of its exact JSON,
    which tells apart any two different values; None otherwise. A digest, not the JSON itself: a
    condition's values run to a few kB, and thousands of remembered results held them (30 MB at most).

    JSON keeps 1, 1.0 and true apart but writes NaN and the infinities as null, and holds no other
    types (dates, sets, subclasses, integers beyond 64 bits): such a value gets no key, and its result
    is not remembered. The order of a mapping's keys counts: equal mappings in another order only miss.
    """
    try:
        written = orjson.dumps(value, option=_ONLY_JSON_TYPES)
    except TypeError:
        return None
    if b"null" in written and not _finite(value):
        return None
    return hashlib.sha256(written).digest()


# A MessagePack float64 whose exponent bits are all ones (NaN, ±infinity): 0xcb, then 0x7f or 0xff,
# then a byte of the form 0xf_. MessagePack writes every float as float64, and no UTF-8 text holds
# 0xcb followed by 0x7f or 0xff, so without a match there is no NaN nor infinity in the value.
_NON_FINITE_FLOAT64 = re.compile(rb"\xcb[\x7f\xff][\xf0-\xff]")


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere in the value. Looked for in its MessagePack bytes (a few µs for a
    call's facts, against 80 µs for a walk in Python); a match, which an integer's or another float's
    bytes can also make, is settled by the walk."""
    try:
        packed = msgspec.msgpack.encode(value)
    except (TypeError, ValueError, OverflowError):
        return _finite_walk(value)
    return _NON_FINITE_FLOAT64.search(packed) is None or _finite_walk(value)


def _finite_walk(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite_walk(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite_walk(item) for item in value)
    return True
