"""In-memory cache of FHIR responses, scoped to one server, one patient and one access token.

The key carries a hash of the token (never the token), so a response fetched with one token is never
served to a request made with another. Responses are kept as the raw JSON bytes received, bounded in
total size: parsed JSON takes several times the memory, and a cache counted in entries could grow
with the size of the histories. Nothing is ever written to disk.

An EHR that lends a new token for each call never reads an entry again, yet its calls on one patient
get the same pages under new keys: the bytes of identical pages are kept once (by their SHA-256
digest), so such entries cost a key, not a copy of the page, and
what the check of those bytes as a FHIR answer found (their next link) is kept with them: the same
bytes received again are not checked again. The bound still counts every entry's full size, so the
cache never holds more than it did.
"""

from __future__ import annotations

import hashlib
from weakref import WeakValueDictionary

from cachetools import TTLCache

from service.fhir.parse import UNKNOWN, NextLink
from service.strict_json import RawJson

CacheKey = tuple[str, str, str, str]


def token_fingerprint(token: str | None) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


class _Kept:
    """One page's bytes, shared by every entry that received the same bytes (weakly interned), and what
    the check of those bytes as a FHIR answer found: their `next` link."""

    __slots__ = ("raw", "digest", "next_url", "__weakref__")

    def __init__(self, raw: bytes, digest: str, next_url: NextLink):
        self.raw = raw
        self.digest = digest
        self.next_url = next_url


class ResponseCache:
    def __init__(self, max_bytes: int, ttl_seconds: float):
        self._max_bytes = max_bytes
        self._enabled = max_bytes > 0 and ttl_seconds > 0
        self._entries: TTLCache[CacheKey, _Kept] = TTLCache(
            maxsize=max(max_bytes, 1), ttl=max(ttl_seconds, 0.001), getsizeof=lambda kept: len(kept.raw)
        )
        # digest → the bytes kept under it, while any entry holds them (gone with the last one)
        self._pages: WeakValueDictionary[str, _Kept] = WeakValueDictionary()

    @staticmethod
    def key(server: str, patient_id: str, fingerprint: str, url: str) -> CacheKey:
        """An entry's key: the token only as its `token_fingerprint`, taken once per hook call."""
        return (server, patient_id, fingerprint, url)

    def kept(self, key: CacheKey) -> _Kept | None:
        """The entry's bytes, their digest and their `next` link."""
        return self._entries.get(key) if self._enabled else None

    def checked(self, page: RawJson) -> _Kept | None:
        """The kept copy of a page with the same bytes, if any: those bytes were checked as a FHIR answer
        when they were first received, and its `next_url` is what that check found."""
        return self._pages.get(page.digest) if self._enabled else None

    def put(self, key: CacheKey, page: RawJson, next_url: NextLink = UNKNOWN) -> None:
        """Keep `page`'s bytes (shared with an identical page already kept) and the `next_url` its check
        found; a response larger than the whole cache is simply not kept."""
        if self._enabled and len(page.raw) <= self._max_bytes:
            kept = self._pages.get(page.digest)
            if kept is None:
                kept = self._pages[page.digest] = _Kept(page.raw, page.digest, next_url)
            self._entries[key] = kept

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """The bytes counted against the bound (each entry in full, shared or not)."""
        return int(self._entries.currsize)

    @property
    def distinct_pages(self) -> int:
        """The pages held in memory: identical pages under several keys count once."""
        return len(self._pages)
