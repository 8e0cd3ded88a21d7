"""Which FHIR servers the service may call: the `fhirServer` of a request comes from the caller.

A server is used only when it matches the configured allow-list (scheme, host, port, path prefix) and
does not resolve to a loopback, private or link-local address, unless that is explicitly allowed.
This keeps the service, and the token it was lent, from being pointed at internal networks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


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

    async def refusal(self, url: str) -> str | None:
        """None when the server may be called; else why not, in words safe to show the caller."""
        try:
            server = ServerPrefix.parse(url)
        except ValueError:
            return "fhirServer is not an http(s) URL"
        if self._allowed and not any(prefix.admits(server) for prefix in self._allowed):
            return f"fhirServer {server.scheme}://{server.host}:{server.port} is not on this service's allow-list"
        if not self._allowed and not self._dev:
            return "no FHIR servers are allowed (configure BZRA_FHIR_SERVER_ALLOWLIST)"
        for address in await _addresses(server.host):
            problem = _address_problem(address, self._allow_private, self._dev)
            if problem:
                return f"fhirServer resolves to {problem}; not called"
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
