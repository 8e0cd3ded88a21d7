"""The shipped knowledge, loaded once per module, for the taper generator's tests."""

from __future__ import annotations

import pytest

from service.knowledge.loader import load_knowledge
from service.knowledge.models import Knowledge


@pytest.fixture(scope="module")
def kn() -> Knowledge:
    return load_knowledge()
