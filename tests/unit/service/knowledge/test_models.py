"""The knowledge models hold their own invariants: a range contains its value."""

from __future__ import annotations

import pytest

from service.knowledge.models import Eq10


def test_range_must_contain_value() -> None:
    with pytest.raises(ValueError):
        Eq10(value=3, low=1, high=2, original="1-2")
