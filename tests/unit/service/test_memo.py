"""The one bounded memo behind the service's caches of pure results."""

from __future__ import annotations

import copy
import gc
import math
from datetime import date, datetime

import pytest

from service.memo import Memo, MemoPerObject, json_key


def test_a_value_is_computed_once_per_key_none_included() -> None:
    calls: list[str] = []
    memo: Memo[str | None] = Memo(10)
    for _ in range(3):
        assert memo.get("a", lambda: calls.append("a") or "A") == "A"
        assert memo.get("b", lambda: calls.append("b")) is None
    assert calls == ["a", "b"]


def test_a_full_memo_is_emptied_and_failures_are_not_remembered() -> None:
    memo: Memo[int] = Memo(2)
    memo.get(1, lambda: 1)
    memo.get(2, lambda: 2)
    memo.get(3, lambda: 3)
    assert len(memo) == 1 and memo.values() == [3]
    with pytest.raises(ZeroDivisionError):
        memo.get(4, lambda: 1 // 0)
    assert memo.get(4, lambda: 4) == 4


def test_each_owner_has_its_own_memo_which_goes_with_it() -> None:
    class Owner:
        pass

    memos: MemoPerObject[int] = MemoPerObject(10)
    first, second = Owner(), Owner()
    memos(first).get("k", lambda: 1)
    assert memos(first) is memos(first) and memos(second).get("k", lambda: 2) == 2
    del first
    gc.collect()
    assert len(memos._memos) == 1


# ---- json_key: the key of a plain-data input -----------------------------------------------------


@pytest.mark.parametrize(
    "value, other",
    [
        ({"a": 1}, {"a": 1.0}),
        ({"a": 1}, {"a": True}),
        ({"a": 0}, {"a": False}),
        ({"a": None}, {"a": False}),
        ({"a": "1"}, {"a": 1}),
        ({"a": [1, 2]}, {"a": [2, 1]}),
        ({"a": {"b": 1}}, {"a": {"b": 2}}),
        ({"a": 1}, {"b": 1}),
        ({"a": 1}, {"a": 1, "b": None}),
        ({"a": 0.1}, {"a": 0.10000000000000002}),
    ],
)
def test_any_change_in_a_value_changes_its_json_key(value: object, other: object) -> None:
    assert json_key(value) is not None and json_key(other) is not None
    assert json_key(value) != json_key(other)
    assert json_key(value) == json_key(copy.deepcopy(value))


class Text(str):
    pass


@pytest.mark.parametrize(
    "value",
    [{"a": math.nan}, {"a": [None, math.inf]}, {"a": {"b": -math.inf}}, {"a": 2**70}, {"a": {1, 2}}, {1: "a"},
     {"a": date(2026, 12, 7)}, {"a": datetime(2026, 12, 7, 5, 0)}, {"a": Text("2026-12-07")}],
)
def test_a_value_json_cannot_tell_apart_gets_no_key(value: object) -> None:
    """NaN and the infinities would be written as null, a date (a YAML parameter) as the string of its
    ISO form; sets, integer keys and huge ints not at all."""
    assert json_key(value) is None


def test_a_json_key_is_a_digest_whatever_the_size_of_the_value() -> None:
    """Remembered results are keyed by a digest: thousands of kept keys must not hold kilobytes each."""
    key = json_key({"history": [{"drug": "lorazepam", "mg": n} for n in range(200)]})
    assert key is not None and len(key) == 32


def test_a_non_finite_float_is_found_however_deep_and_beside_nulls() -> None:
    """NaN and the infinities are looked for in the value's MessagePack bytes, not by a walk."""
    deep = {"a": None, "b": [{"c": [1, 2.5, {"d": -math.inf}]}]}
    assert json_key(deep) is None
    assert json_key({"a": None, "b": [0.0, -0.0, 1e308, 5e-324]}) is not None


@pytest.mark.parametrize("number", [0xCB7FF0, 0xCBFFF8, -0x34800F])
def test_bytes_that_look_like_a_non_finite_float_still_get_a_key(number: int) -> None:
    """An integer whose MessagePack bytes hold the pattern of a NaN is settled by the walk: finite."""
    assert json_key({"a": None, "n": number}) is not None
