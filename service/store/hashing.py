"""Keyed hashes: the only form in which a patient, or a feedback item's identity, reaches the store.

The patient hash is an HMAC so that it cannot be reversed by hashing guessed identifiers without the
deployment's secret, yet the same patient on the same FHIR server always maps to the same value (which
is what suppression needs).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def patient_hash(secret: str, fhir_server: str | None, patient_id: str) -> str:
    """HMAC-SHA256 (hex) of the FHIR server and patient id under the deployment secret.

    The server URL is compared without a trailing slash, so `…/fhir` and `…/fhir/` are one patient.
    An empty secret is refused: without it the hash is a plain digest that anyone can recompute.
    """
    if not secret:
        raise ValueError("patient_hash needs a non-empty deployment secret")
    server = (fhir_server or "").rstrip("/")
    message = f"{server}\x00{patient_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def feedback_key(
    service_id: str,
    card: str,
    outcome: str,
    timestamp: str,
    reason_code: str | None,
    accepted_suggestions: Iterable[str],
) -> str:
    """Idempotency key of one feedback item: the same outcome posted twice hashes the same."""
    parts = [service_id, card, outcome, timestamp, reason_code or "", *sorted(accepted_suggestions)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


FINGERPRINT_MESSAGE = b"bzra-cds audit secret fingerprint v1"


def secret_fingerprint(secret: str) -> str:
    """A keyed hash that tells whether two replicas hold the same secret, and reveals nothing of it
    (an HMAC of a fixed message under the secret: it cannot be inverted or tried without the secret)."""
    if not secret:
        raise ValueError("an empty audit secret has no fingerprint")
    return hmac.new(secret.encode(), FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()


def token_key(issuer: str, jti: str) -> str:
    """How a used token is remembered by the shared replay guard: a digest, not the token id itself."""
    return hashlib.sha256(f"{issuer}\x00{jti}".encode()).hexdigest()
