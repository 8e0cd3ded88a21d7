"""Parsed history, kept by its content between calls that carry the same history (select → sign).

An EHR calls order-select as the prescriber picks and edits an order, then order-sign, each time with
the same medication history. The key of a payload is a digest of its JSON as sent (key order kept: an
EHR sends one history the same way each time, and sorting the keys tripled the key's cost; a history
sent in another order is only parsed again) and of everything else the parse depends on: where it was
read, the prefetch key, the patient and the resource limit; a change anywhere in the history gives another key. Nothing is keyed by patient or
request alone, and whole answers are never kept: only parsed resources, bounded by their count.

A content is kept the second time it is seen (`SecondSight`). Traffic of distinct patients, each history
seen once, would otherwise push every parsed resource into the garbage collector's old generations
and then evict it: that churn cost more CPU than the parse it saved (3 ms a call for a 35-resource
history). The second select of an order, and the sign after it, find it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from cachetools import LRUCache

from service.fhir.history_models import Resource
from service.fhir.record import DataIssue

Parsed = tuple[tuple[Resource | None, DataIssue | None], ...]


def content_key(*parts: Any) -> str | None:
    """A digest of the JSON of `parts`; None when they are not plain JSON (never cached)."""
    try:
        return hashlib.blake2b(orjson.dumps(parts), digest_size=20).hexdigest()
    except TypeError:  # e.g. an integer beyond 64 bits: such a payload is parsed every time
        return None


class SecondSight:
    """The content keys seen once lately (plain strings: nothing for the garbage collector to trace)."""

    def __init__(self, size: int):
        self._seen: LRUCache[str, bool] = LRUCache(maxsize=max(size, 1))

    def again(self, key: str) -> bool:
        """Whether `key` was seen before; remembers it either way."""
        if key in self._seen:
            return True
        self._seen[key] = True
        return False


@dataclass
class ParsedHistory:
    """Parse results of history payloads by content key, at most `max_resources` resources in all."""

    max_resources: int

    def __post_init__(self) -> None:
        self._entries: LRUCache[str, Parsed] = LRUCache(maxsize=max(self.max_resources, 1), getsizeof=lambda p: max(len(p), 1))
        self._seen = SecondSight(self.max_resources)

    def get(self, key: str | None) -> Parsed | None:
        return self._entries.get(key) if key is not None and self.max_resources > 0 else None

    def put(self, key: str | None, parsed: Parsed) -> None:
        """Keep `parsed` when its content is seen for the second time (see `SecondSight`)."""
        if key is not None and 0 < len(parsed) <= self.max_resources and self._seen.again(key):
            self._entries[key] = parsed

    def __len__(self) -> int:
        return len(self._entries)
