"""Verify the bearer JWT a CDS client sends with every call (CDS Hooks 2.0, "Trusting CDS Clients").

The key comes from the issuer's JWKS: a configured URL or file, or the token's `jku` header when that
URL is on the issuer's allow-list. Checks: algorithm (asymmetric only), signature, `iss` trusted,
`aud` equal to the endpoint called, `exp`/`iat` with a small leeway, `jti` not seen before by any
process or replica (`replay`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cachetools import TTLCache

from service.security.errors import AuthError
from service.security.replay import ReplayProtection
from service.settings import TrustedIssuer

__all__ = ["AuthError", "Caller", "JwtVerifier"]

ALLOWED_ALGORITHMS = ("RS384", "ES384")  # what the CDS Hooks spec requires clients to support
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]


@dataclass(frozen=True)
class Caller:
    issuer: str
    subject: str | None
    tenant: str | None


class JwksSource:
    """JWKS documents by URL or file, cached; a forced refresh picks up rotated keys."""

    def __init__(self, http: httpx.AsyncClient, ttl_seconds: float):
        self._http = http
        self._cache: TTLCache[str, jwt.PyJWKSet] = TTLCache(maxsize=64, ttl=ttl_seconds)

    async def keys(self, location: str, refresh: bool = False) -> jwt.PyJWKSet:
        if not refresh and location in self._cache:
            return self._cache[location]
        document = await self._fetch(location)
        try:
            key_set = jwt.PyJWKSet.from_dict(document)
        except (jwt.PyJWKSetError, jwt.InvalidKeyError, KeyError, TypeError) as error:
            raise AuthError(f"the issuer's JWKS could not be read ({type(error).__name__})") from None
        self._cache[location] = key_set
        return key_set

    async def _fetch(self, location: str) -> dict[str, Any]:
        if not location.startswith(("https://", "http://")):
            try:
                return json.loads(Path(location).read_text())
            except (OSError, ValueError) as error:
                raise AuthError(f"the configured JWKS file could not be read ({type(error).__name__})") from None
        try:
            response = await self._http.get(location, timeout=3.0)
        except httpx.HTTPError as error:
            raise AuthError(f"the issuer's JWKS could not be fetched ({type(error).__name__})") from None
        if response.status_code != 200:
            raise AuthError(f"the issuer's JWKS could not be fetched (HTTP {response.status_code})")
        try:
            return response.json()
        except ValueError:
            raise AuthError("the issuer's JWKS is not JSON") from None


class JwtVerifier:
    def __init__(
        self,
        issuers: list[TrustedIssuer],
        http: httpx.AsyncClient,
        leeway_seconds: float,
        jwks_ttl_seconds: float = 300,
        replays: ReplayProtection | None = None,
    ):
        self._issuers = {issuer.iss: issuer for issuer in issuers}
        self._jwks = JwksSource(http, jwks_ttl_seconds)
        self.replays = replays or ReplayProtection(shared=None)
        self._leeway = leeway_seconds

    def _key_location(self, issuer: TrustedIssuer, header: dict[str, Any]) -> str:
        jku = header.get("jku")
        if jku is not None:
            if not isinstance(jku, str) or not any(jku.startswith(prefix) for prefix in issuer.jku_prefixes):
                raise AuthError("jku not allowed: the key URL is not on this issuer's allow-list")
            return jku
        location = issuer.jwks_url or (str(issuer.jwks_file) if issuer.jwks_file else None)
        if location is None:
            raise AuthError("no JWKS is configured for this issuer and the token names no allowed jku")
        return location

    async def _signing_key(self, location: str, kid: str | None) -> Any:
        for refresh in (False, True):  # a key not found may be newly rotated: fetch once more
            key_set = await self._jwks.keys(location, refresh=refresh)
            for key in key_set.keys:
                if kid is None or key.key_id == kid:
                    return key.key
        raise AuthError(f"unknown key id '{kid}'")

    async def verify(self, token: str, audiences: set[str]) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthError("malformed token") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise AuthError(f"algorithm '{algorithm}' not accepted (use RS384 or ES384)")
        issuer = self._issuers.get(unverified.get("iss"))
        if issuer is None:
            raise AuthError("issuer not trusted")
        key = await self._signing_key(self._key_location(issuer, header), header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=sorted(audiences),
                issuer=issuer.iss,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.InvalidAudienceError:
            raise AuthError(f"wrong aud: expected {' or '.join(sorted(audiences))}") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token issued in the future (iat)") from None
        except jwt.MissingRequiredClaimError as error:
            raise AuthError(f"missing claim: {error.claim}") from None
        except jwt.InvalidSignatureError:
            raise AuthError("bad signature") from None
        except jwt.PyJWTError as error:
            raise AuthError(f"invalid token ({type(error).__name__})") from None
        await self.replays.check(issuer.iss, str(claims["jti"]), float(claims["exp"]) + self._leeway)
        return Caller(issuer=issuer.iss, subject=claims.get("sub"), tenant=claims.get("tenant"))
