"""Parsed history, kept by its content between calls that carry the same history (select → sign).

An EHR calls order-select as the prescriber picks and edits an order, then order-sign, each time with
the same medication history. The key of a payload is a digest of what its reading uses, as sent, and
of everything else the parse depends on: where it was read, the prefetch key, the patient and the
resource limit. A change anywhere in the history gives another key. Nothing is keyed by patient or
request alone, and whole answers are never kept: only parsed resources, bounded by their count.

What the reading uses (`what_is_read`): a Bundle's entries, or the whole of any other payload. Not a
Bundle's own `id`, `meta`, `link` or `total`: a FHIR server stamps them afresh on each search (HAPI
FHIR: a new Bundle id, `meta.lastUpdated` and a search id in the paging links; the FHIR R4 search
example, http://hl7.org/fhir/R4/bundle-example.json.html, does the same), and so does an EHR that
fills each call's prefetch by running the searches again. Keyed by all their bytes, one history read
from such a server, or prefetched so, had a new key on every call and was never found again.
The entries are keyed as sent (key order kept: an EHR sends one history the same way each time, and
sorting the keys tripled the key's cost; a history sent in another order is only parsed again).

A content is kept the second time it is seen (`SecondSight`). Traffic of distinct patients, each history
seen once, would otherwise push every parsed resource into the garbage collector's old generations
and then evict it: that churn cost more CPU than the parse it saved (3 ms a call for a 35-resource
history). The second select of an order keeps it, and the sign after it finds it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson
from cachetools import LRUCache

from service.fhir.history_models import Resource
from service.fhir.parse import TopLevel
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


def what_is_read(payload: Any, top: TopLevel | None) -> Any:
    """What the reading of a history payload uses (the module's docstring says why), for its key.

    `top`: the payload's `parse.TopLevel` when it is kept as sent (`RawJson`) and msgspec read it so:
    a Bundle's entries are then keyed by the digest of their bytes. A Bundle already parsed is keyed by
    its entries' JSON; anything else (one resource, a list) by all of it."""
    if isinstance(payload, RawJson):
        if top is not None and top.resourceType == "Bundle":
            return {"Bundle entries as sent": hashlib.sha256(top.entry).hexdigest()}
        return payload
    if isinstance(payload, dict) and payload.get("resourceType") == "Bundle":
        return {"Bundle entries": payload.get("entry")}
    return payload


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
