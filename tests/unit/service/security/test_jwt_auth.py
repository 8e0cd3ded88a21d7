"""JWT authentication of CDS clients, with real keys generated here and real signed tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.support import builders as b
from tests.support.facts_support import TODAY

ISSUER = "https://ehr.example.org"
SIGN_URL = "http://testserver/cds-services/bzra-order-sign"
JKU = "https://ehr.example.org/.well-known/jwks.json"


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


def jwk(private_key, kid: str, alg: str) -> dict:
    public = jwt.algorithms.get_default_algorithms()[alg].to_jwk(private_key.public_key(), as_dict=True)
    return {**public, "kid": kid, "alg": alg, "use": "sig"}


def token(private_key, *, kid: str = "k1", alg: str = "ES384", aud: str = SIGN_URL, iss: str = ISSUER,
          exp_in: int = 300, iat_shift: int = 0, jti: str | None = None, jku: str | None = None, **extra) -> str:
    now = int(time.time()) + iat_shift
    claims = {"iss": iss, "sub": "client-1", "aud": aud, "iat": now, "exp": now + exp_in, "jti": jti or str(uuid.uuid4()), **extra}
    headers = {"kid": kid, "typ": "JWT", **({"jku": jku} if jku else {})}
    return jwt.encode(claims, private_key, algorithm=alg, headers=headers)


@pytest.fixture
def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec_key()


@pytest.fixture
def client(tmp_path: Path, signing_key) -> TestClient:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [jwk(signing_key, "k1", "ES384")]}))
    settings = Settings(
        insecure_dev=False,
        audit_secret="a-test-audit-secret-0123456789",
        rules_reload=False,
        trusted_issuers=[
            {"iss": ISSUER, "jwks_file": str(jwks_file), "jku_prefixes": ["https://ehr.example.org/.well-known/"]},
            {"iss": "https://rsa-ehr.example.org", "jwks_url": "https://rsa-ehr.example.org/jwks"},
        ],
    )
    with TestClient(create_app(settings, today=lambda: TODAY)) as test_client:
        yield test_client


def call(client: TestClient, jwt_token: str | None, path: str = "/cds-services/bzra-order-sign", body: dict | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {jwt_token}"} if jwt_token else {}
    return client.post(path, json=body or b.hook_request(prefetch=b.full_prefetch()), headers=headers)


def test_a_valid_es384_token_is_accepted(client: TestClient, signing_key) -> None:
    assert call(client, token(signing_key)).status_code == 200


def test_feedback_needs_a_token_for_the_feedback_endpoint(client: TestClient, signing_key) -> None:
    body = {"feedback": [{"card": "c1", "outcome": "accepted", "outcomeTimestamp": "2026-11-23T10:00:00Z"}]}
    path = "/cds-services/bzra-order-sign/feedback"
    assert call(client, token(signing_key, aud=f"http://testserver{path}"), path, body).status_code == 200
    assert call(client, None, path, body).status_code == 401


@respx.mock
def test_a_valid_rs384_token_with_keys_from_a_jwks_url(client: TestClient) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    respx.get("https://rsa-ehr.example.org/jwks").mock(return_value=httpx.Response(200, json={"keys": [jwk(rsa_key, "r1", "RS384")]}))
    response = call(client, token(rsa_key, kid="r1", alg="RS384", iss="https://rsa-ehr.example.org"))
    assert response.status_code == 200


@respx.mock
def test_rotated_keys_are_fetched_again(client: TestClient) -> None:
    old, new = rsa.generate_private_key(public_exponent=65537, key_size=2048), rsa.generate_private_key(public_exponent=65537, key_size=2048)
    route = respx.get("https://rsa-ehr.example.org/jwks").mock(
        side_effect=[
            httpx.Response(200, json={"keys": [jwk(old, "old", "RS384")]}),
            httpx.Response(200, json={"keys": [jwk(old, "old", "RS384"), jwk(new, "new", "RS384")]}),
        ]
    )
    assert call(client, token(old, kid="old", alg="RS384", iss="https://rsa-ehr.example.org")).status_code == 200
    assert call(client, token(new, kid="new", alg="RS384", iss="https://rsa-ehr.example.org")).status_code == 200
    assert route.call_count == 2


@respx.mock
def test_an_allowed_jku_is_used(client: TestClient) -> None:
    other = ec_key()
    respx.get(JKU).mock(return_value=httpx.Response(200, json={"keys": [jwk(other, "j1", "ES384")]}))
    assert call(client, token(other, kid="j1", jku=JKU)).status_code == 200


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_hs384(signing_key) -> str:
    """The classic attack: an HMAC token keyed with the issuer's public key."""
    public_pem = signing_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    now = int(time.time())
    header = b64(json.dumps({"alg": "HS384", "kid": "k1", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"iss": ISSUER, "aud": SIGN_URL, "iat": now, "exp": now + 300, "jti": "x"}).encode())
    signature = b64(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha384).digest())
    return f"{header}.{payload}.{signature}"


def alg_none(signing_key) -> str:
    now = int(time.time())
    return jwt.encode({"iss": ISSUER, "aud": SIGN_URL, "iat": now, "exp": now + 300, "jti": "n"}, None, algorithm="none", headers={"kid": "k1"})


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda key: token(ec_key()), "bad signature"),
        (lambda key: token(key, aud="https://elsewhere.example.org/cds-services/bzra-order-sign"), "wrong aud"),
        (lambda key: token(key, exp_in=-120), "token expired"),
        (lambda key: token(key, iat_shift=600), "issued in the future"),
        (lambda key: token(key, kid="unknown"), "unknown key id 'unknown'"),
        (lambda key: token(key, iss="https://rogue.example.org"), "issuer not trusted"),
        (lambda key: token(key, jku="https://attacker.example.org/jwks.json"), "jku not allowed"),
        (alg_none, "algorithm 'none' not accepted"),
        (forged_hs384, "algorithm 'HS384' not accepted"),
        (lambda key: "not.a.jwt", "malformed token"),
    ],
)
def test_bad_tokens_are_refused_with_a_reason(client: TestClient, signing_key, make, reason: str) -> None:
    response = call(client, make(signing_key))
    assert response.status_code == 401
    assert reason in response.json()["message"]


def test_a_replayed_jti_is_refused(client: TestClient, signing_key) -> None:
    captured = token(signing_key, jti="once-only")
    assert call(client, captured).status_code == 200
    second = call(client, captured)
    assert second.status_code == 401 and "replayed" in second.json()["message"]


def test_missing_or_non_bearer_authorization(client: TestClient) -> None:
    assert call(client, None).status_code == 401
    response = client.post("/cds-services/bzra-order-sign", json={}, headers={"Authorization": "Basic abc"})
    assert response.status_code == 401 and "bearer JWT" in response.json()["message"]


def test_no_trusted_issuers_configured_means_no_calls() -> None:
    with TestClient(create_app(Settings(insecure_dev=False, rules_reload=False, audit_secret="a-test-audit-secret-0123456789"))) as client:
        response = call(client, token(ec_key()))
        assert response.status_code == 401 and "BZRA_TRUSTED_ISSUERS" in response.json()["message"]
