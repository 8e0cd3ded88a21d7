"""In-memory cache of FHIR responses, scoped to one server, one patient and one access token.

The key carries a hash of the token (never the token), so a response fetched with one token is never
served to a request made with another. Nothing is ever written to disk.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cachetools import TTLCache


def token_fingerprint(token: str | None) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


class ResponseCache:
    def __init__(self, max_entries: int, ttl_seconds: float):
        self._enabled = max_entries > 0 and ttl_seconds > 0
        self._entries: TTLCache[tuple[str, str, str, str], Any] = TTLCache(
            maxsize=max(max_entries, 1), ttl=max(ttl_seconds, 0.001)
        )

    @staticmethod
    def key(server: str, patient_id: str, token: str | None, url: str) -> tuple[str, str, str, str]:
        return (server, patient_id, token_fingerprint(token), url)

    def get(self, key: tuple[str, str, str, str]) -> Any | None:
        return self._entries.get(key) if self._enabled else None

    def put(self, key: tuple[str, str, str, str], value: Any) -> None:
        if self._enabled:
            self._entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)
