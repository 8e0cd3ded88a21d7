"""The patient hash: keyed by the audit secret and the FHIR server, stable, never the id itself."""

from __future__ import annotations

import pytest

from service.store.hashing import patient_hash
from tests.support.store_support import FHIR_SERVER, SECRET


def test_patient_hash_is_keyed_and_stable() -> None:
    one = patient_hash(SECRET, FHIR_SERVER, "123")
    assert one == patient_hash(SECRET, FHIR_SERVER + "/", "123")
    assert len(one) == 64 and "123" not in one
    assert one != patient_hash("another-secret", FHIR_SERVER, "123")
    assert one != patient_hash(SECRET, "https://other.example/fhir", "123")
    assert one != patient_hash(SECRET, FHIR_SERVER, "1234")
    assert patient_hash(SECRET, None, "123") != one
    with pytest.raises(ValueError):
        patient_hash("", FHIR_SERVER, "123")
