"""Hook bodies read with their prefetch kept as sent: the same data as reading them whole, or no split."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.strict_json import RawJson, is_utf8, loads_keeping_raw, loads_strict
from tests.support import builders as b


def unwrapped(data: dict[str, Any]) -> dict[str, Any]:
    prefetch = data.get("prefetch")
    if isinstance(prefetch, dict):
        data = {**data, "prefetch": {k: v.value if isinstance(v, RawJson) else v for k, v in prefetch.items()}}
    return data


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(prefetch=st.dictionaries(st.text(max_size=10), JSON, max_size=5), other=JSON)
def test_a_body_split_reads_as_the_whole_body_does(prefetch: dict[str, Any], other: Any) -> None:
    raw = orjson.dumps({"hook": "order-sign", "context": other, "prefetch": prefetch})
    split = loads_keeping_raw(raw, "prefetch")
    assert split is not None
    assert unwrapped(split) == loads_strict(raw)


def test_the_prefetch_of_a_real_request_is_kept_as_sent_and_null_stays_none() -> None:
    request = b.hook_request(drafts=[b.draft_order()], prefetch={**b.full_prefetch(), "patient": None})
    split = loads_keeping_raw(orjson.dumps(request), "prefetch")
    assert split is not None and split["prefetch"]["patient"] is None
    kept = [value for value in split["prefetch"].values() if value is not None]
    assert kept and all(isinstance(value, RawJson) for value in kept)
    assert split["context"] == request["context"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"prefetch": {"patient": "\\udc80"}}',  # a lone surrogate: repaired by loads_strict
        b'{"prefetch": {"patient": "\xff"}}',  # not UTF-8: refused by loads_strict with its message
        b'{"prefetch": {"patient": ' + b"[" * 1000 + b"]" * 1000 + b"}}",  # deep: loads_strict decides
        b'{"prefetch": {"patient": NaN}}',
        b"[1, 2]",
        b'{"prefetch": 1',
    ],
)
def test_what_msgspec_cannot_split_is_left_to_the_strict_reader(raw: bytes) -> None:
    assert loads_keeping_raw(raw, "prefetch") is None


def test_a_prefetch_that_is_not_an_object_is_read_whole_for_validation_to_refuse() -> None:
    assert loads_keeping_raw(b'{"prefetch": [1]}', "prefetch") == {"prefetch": [1]}


def test_raw_json_is_read_once_and_keyed_by_its_bytes() -> None:
    value = RawJson(b'{"resourceType": "Patient"}')
    assert value.value is value.value and value.value == {"resourceType": "Patient"}
    assert value.digest != RawJson(b'{"resourceType": "Patient" }').digest
    with pytest.raises(ValueError):
        _ = RawJson(b"{").value


def test_a_value_forgotten_is_read_again_from_its_bytes() -> None:
    kept = RawJson(b'{"resourceType": "Bundle"}')
    assert kept.value and kept._read
    kept.forget()
    assert not kept._read and kept.value == {"resourceType": "Bundle"}


@pytest.mark.parametrize(
    ("raw", "valid"),
    [(b'{"a": "plain"}', True), ('{"a": "é😀"}'.encode(), True), (b'{"a": "\xff"}', False), (b'{"a": "\xed\xa0\x80"}', False), (b"\xe2\x82", False)],
    ids=["ascii", "multibyte", "invalid-byte", "encoded-surrogate", "truncated"],
)
def test_utf8_is_checked_like_the_standard_decoder(raw: bytes, valid: bool) -> None:
    """What typed decoders skip is not checked by msgspec: `is_utf8` checks it as Python's codec does."""
    assert is_utf8(raw) is valid


HOOK_MEMBERS = ("hook", "hookInstance", "fhirServer", "fhirAuthorization", "context", "prefetch")


@settings(max_examples=200, deadline=None)
@given(
    prefetch=st.none() | st.dictionaries(st.text(max_size=10), JSON, max_size=5) | JSON,
    other=JSON,
    extra=st.sampled_from([{}, {"extension": {"a": 1}}, {"hookInstance": "x"}]),
)
def test_a_body_split_in_one_pass_is_the_body_split_in_two(prefetch: Any, other: Any, extra: dict[str, Any]) -> None:
    """Given the members it expects, the split takes one pass; the result is the same, and a member
    it does not expect, or a prefetch of another shape, takes the usual way."""
    raw = orjson.dumps({"hook": "order-sign", "context": other, "prefetch": prefetch, **extra})
    one, two = loads_keeping_raw(raw, "prefetch", HOOK_MEMBERS), loads_keeping_raw(raw, "prefetch")
    assert (one is None) == (two is None)
    if one is not None and two is not None:
        assert unwrapped(one) == unwrapped(two) == loads_strict(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"prefetch": {"patient": "\\udc80"}}',
        b'{"prefetch": {"patient": "\xff"}}',
        b'{"prefetch": {"patient": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
        b'{"prefetch": {"patient": NaN}}',
        b"[1, 2]",
        b'{"prefetch": 1',
    ],
)
def test_what_msgspec_cannot_split_in_one_pass_is_still_left_to_the_strict_reader(raw: bytes) -> None:
    assert loads_keeping_raw(raw, "prefetch", HOOK_MEMBERS) is None


def test_a_member_sent_twice_is_read_as_the_last_one_in_one_pass_too() -> None:
    raw = b'{"hook": "a", "prefetch": {"p": 1}, "hook": "b"}'
    assert unwrapped(loads_keeping_raw(raw, "prefetch", HOOK_MEMBERS)) == loads_strict(raw) == {"hook": "b", "prefetch": {"p": 1}}
