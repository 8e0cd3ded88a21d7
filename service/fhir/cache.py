"""In-memory cache of FHIR responses, scoped to one server, one patient and one access token.

The key carries a hash of the token (never the token), so a response fetched with one token is never
served to a request made with another. Responses are kept as the raw JSON bytes received, bounded in
total size: parsed JSON takes several times the memory, and a cache counted in entries could grow
with the size of the histories. Nothing is ever written to disk.
"""

from __future__ import annotations

import hashlib

from cachetools import TTLCache

CacheKey = tuple[str, str, str, str]


def token_fingerprint(token: str | None) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


class ResponseCache:
    def __init__(self, max_bytes: int, ttl_seconds: float):
        self._max_bytes = max_bytes
        self._enabled = max_bytes > 0 and ttl_seconds > 0
        self._entries: TTLCache[CacheKey, bytes] = TTLCache(
            maxsize=max(max_bytes, 1), ttl=max(ttl_seconds, 0.001), getsizeof=len
        )

    @staticmethod
    def key(server: str, patient_id: str, token: str | None, url: str) -> CacheKey:
        return (server, patient_id, token_fingerprint(token), url)

    def get(self, key: CacheKey) -> bytes | None:
        return self._entries.get(key) if self._enabled else None

    def put(self, key: CacheKey, raw: bytes) -> None:
        """Keep `raw`; a response larger than the whole cache is simply not kept."""
        if self._enabled and len(raw) <= self._max_bytes:
            self._entries[key] = raw

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return int(self._entries.currsize)
