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

import msgspec
import orjson
from cachetools import LRUCache

from service.fhir.history_models import Resource
from service.fhir.record import DataIssue
from service.strict_json import RawJson



class ReadItem(msgspec.Struct, frozen=True, gc=False):
    """One entry of a payload, read: where it was, its fullUrl, the resource or why it was left out.

    Structs out of the garbage collector's passes (no cycles): kept histories do not lengthen them."""

    location: str
    full_url: str | None
    resource: Resource | None
    issue: DataIssue | None
    other_patient: bool  # it names another patient (Patient/<other>) as its subject


class ReadPayload(msgspec.Struct, frozen=True, gc=False):
    items: tuple[ReadItem, ...]  # at most the room the resource limit left
    sent: int  # entries in the payload, before the limit


def _raw_digest(value: Any) -> Any:
    """A payload kept as sent (`RawJson`) is keyed by the digest of its bytes: it is not serialised again."""
    if isinstance(value, RawJson):
        return {"RawJson": value.digest}
    raise TypeError


def content_key(*parts: Any) -> str | None:
    """A digest of the JSON of `parts`; None when they are not plain JSON (never cached)."""
    try:
        return hashlib.sha256(orjson.dumps(parts, default=_raw_digest)).hexdigest()
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
        self._entries: LRUCache[str, ReadPayload] = LRUCache(maxsize=max(self.max_resources, 1), getsizeof=lambda p: max(len(p.items), 1))
        self._seen = SecondSight(self.max_resources)

    def get(self, key: str | None) -> ReadPayload | None:
        return self._entries.get(key) if key is not None and self.max_resources > 0 else None

    def put(self, key: str | None, read: ReadPayload) -> None:
        """Keep `read` when its content is seen for the second time (see `SecondSight`)."""
        if key is not None and 0 < self.max_resources and len(read.items) <= self.max_resources and self._seen.again(key):
            self._entries[key] = read

    def __len__(self) -> int:
        return len(self._entries)
