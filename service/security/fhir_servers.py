"""Which FHIR servers the service may call: the `fhirServer` of a request comes from the caller.

A server is used only when it matches the configured allow-list (scheme, host, port, path prefix) and
does not resolve to a loopback, private or link-local address, unless that is explicitly allowed.
This keeps the service, and the token it was lent, from being pointed at internal networks.

A verdict on a server the name of which resolved is kept for `RESOLVED_TTL_SECONDS`, as long as the
connection pool keeps the name's addresses (aiohttp's `ttl_dns_cache`): the check then looks at the
addresses the reads will use, without asking the resolver on every hook call. A name that did not
resolve is asked again on the next call.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from cachetools import TTLCache

DEFAULT_PORTS = {"http": 80, "https": 443}
RESOLVED_TTL_SECONDS = 10  # aiohttp's TCPConnector keeps a resolved name this long (ttl_dns_cache's default)
VERDICTS_KEPT = 1024  # servers whose verdict is kept: a caller naming many cannot grow it without bound


@dataclass(frozen=True)
class ServerPrefix:
    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> ServerPrefix:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        return cls(parts.scheme, parts.hostname.lower(), parts.port or DEFAULT_PORTS[parts.scheme], parts.path.rstrip("/"))

    def admits(self, other: ServerPrefix) -> bool:
        if (self.scheme, self.host, self.port) != (other.scheme, other.host, other.port):
            return False
        return other.path == self.path or other.path.startswith(self.path + "/")


def _address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool, dev: bool) -> str | None:
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return None if allow_private else "a link-local or reserved address"
    if address.is_loopback or address.is_private or address.is_reserved:
        return None if allow_private or dev else "a loopback or private address"
    return None


class FhirServerPolicy:
    def __init__(self, allowlist: list[str], allow_private: bool, dev: bool):
        self._allowed = [ServerPrefix.parse(url) for url in allowlist]
        self._allow_private = allow_private
        self._dev = dev
        self._verdicts: TTLCache[str, str | None] = TTLCache(maxsize=VERDICTS_KEPT, ttl=RESOLVED_TTL_SECONDS)

    async def refusal(self, url: str) -> str | None:
        """None when the server may be called; else why not, in words safe to show the caller."""
        if url in self._verdicts:
            return self._verdicts[url]
        verdict, resolved = await self._verdict(url)
        if resolved:
            self._verdicts[url] = verdict
        return verdict

    async def _verdict(self, url: str) -> tuple[str | None, bool]:
        """The refusal (None: allowed), and whether it may be kept (the name resolved, or needed not)."""
        refusal = self._refusal_by_name(url)
        if refusal is not None:
            return refusal, True
        host = ServerPrefix.parse(url).host
        addresses = await _addresses(host)
        for address in addresses:
            problem = _address_problem(address, self._allow_private, self._dev)
            if problem:
                return f"fhirServer resolves to {problem}; not called", True
        return None, bool(addresses)

    def _refusal_by_name(self, url: str) -> str | None:
        """Why the URL itself is refused (scheme, allow-list), before any address is looked at."""
        try:
            server = ServerPrefix.parse(url)
        except ValueError:
            return "fhirServer is not an http(s) URL"
        if self._allowed and not any(prefix.admits(server) for prefix in self._allowed):
            return f"fhirServer {server.scheme}://{server.host}:{server.port} is not on this service's allow-list"
        if not self._allowed and not self._dev:
            return "no FHIR servers are allowed (configure BZRA_FHIR_SERVER_ALLOWLIST)"
        return None


async def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []  # unresolvable: the connection will fail and be reported as unreachable
    found = []
    for info in infos:
        try:
            found.append(ipaddress.ip_address(info[4][0].split("%")[0]))
        except ValueError:
            continue
    return found
