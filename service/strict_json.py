"""Reading JSON as RFC 8259 defines it: no NaN or Infinity, which Python's json module lets through.

Hook request bodies and FHIR server answers both come through here. orjson reads them in about half
the time of the standard library; what orjson refuses (e.g. a lone surrogate escape) is read again by
the standard library, which accepts or refuses it as it always did and gives the message.

Two limits hold whatever the reader:
- Nesting: orjson's own limit (1,024 levels) is the service's. Deeper JSON is refused with
  `TooDeep`, without trying the standard library, whose recursive reader would fail on it anyway.
  Real FHIR and CDS Hooks JSON is a few dozen levels deep at most, and checking a lower limit would
  mean walking every parsed body, which costs as much as parsing it.
- Lone surrogates: an escape such as `\\udc80` is valid JSON syntax but no Unicode character, and a
  Python string holding one cannot be written as UTF-8 (to a log, a database or an answer). It is
  replaced by U+FFFD, the replacement character, as any tolerant Unicode decoder does. Refusing the
  body instead would refuse a whole hook call (prescribing without advice) or lose a prescriber's
  feedback over one unreadable character of free text; the rest of the value is kept.
"""

from __future__ import annotations

from service.errors import RequestError

import functools
import hashlib
import json
import re
from typing import Any

import msgspec
import orjson

MAX_DEPTH = 1024  # orjson's limit: documented here so the error message can name it
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


class TooDeep(RequestError, ValueError):
    """JSON too deep to read safely; a `ValueError` like every other reason a body is not JSON."""

    code = "malformed_json"

    def __init__(self) -> None:
        super().__init__(f"JSON nested more than {MAX_DEPTH} levels deep")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _clean(text: str) -> str:
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def without_lone_surrogates(value: Any) -> Any:
    """The same JSON value with every lone surrogate (in keys and strings) replaced by U+FFFD.

    Iterative, so that a value nested as deep as the reader allows never exhausts Python's stack.
    """
    if isinstance(value, str):
        return _clean(value)
    root = [value]
    stack: list[list[Any] | dict[str, Any]] = [root]
    while stack:
        container = stack.pop()
        if isinstance(container, dict):
            for key in list(container):
                item = container.pop(key) if _SURROGATE.search(key) else container[key]
                container[_clean(key)] = _clean(item) if isinstance(item, str) else item
                if isinstance(item, dict | list):
                    stack.append(item)
        else:
            for index, item in enumerate(container):
                if isinstance(item, str):
                    container[index] = _clean(item)
                elif isinstance(item, dict | list):
                    stack.append(item)
    return root[0]


def loads_strict(raw: bytes) -> Any:
    """The parsed JSON; raises ValueError (TooDeep, UnicodeDecodeError, json.JSONDecodeError included)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if str(error).startswith("depth limit exceeded"):
            raise TooDeep() from None
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:  # refused by orjson for another reason, and deep enough for Python's stack
        raise TooDeep() from None
    return without_lone_surrogates(value)


class RawJson:
    """A JSON value kept as the bytes it was sent in: read (strictly) on first use, keyed by a digest.

    A hook request's prefetch is most of its body, and most calls need none of it (no rule can fire
    on the draft) or find it already read (the sign after its selects, `fhir.history_cache`). Kept
    raw, it is neither parsed nor serialised again just to be looked up; a history in it is decoded
    from the bytes straight into its models (`fhir.parse`), and `value` is only the tolerant path.
    """

    __slots__ = ("raw", "_value", "_read", "_digest")

    def __init__(self, raw: bytes, digest: str | None = None):
        """`digest`: the SHA-256 of `raw` when already known (bytes kept before), else taken on first use."""
        self.raw = raw
        self._read = False
        self._value: Any = None
        self._digest = digest

    @property
    def value(self) -> Any:
        """The parsed value; raises ValueError as `loads_strict` does."""
        if not self._read:
            self._value = loads_strict(self.raw)
            self._read = True
        return self._value

    def forget(self) -> None:
        """Drops the parsed value (it can be read again): a page's objects are freed once its resources
        are read, not kept to the end of the call."""
        self._value, self._read = None, False

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = hashlib.sha256(self.raw).hexdigest()  # SHA-256: hardware-accelerated, 2.6 times as fast as BLAKE2b here
        return self._digest

    def __repr__(self) -> str:
        return f"RawJson({len(self.raw)} bytes)"


def is_utf8(raw: bytes) -> bool:
    """Whether `raw` is valid UTF-8. msgspec checks the strings it decodes but not those it skips, so
    bytes read with a typed decoder are checked here first (ASCII, the common case, without a copy)."""
    if raw.isascii():
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_TOP_LEVEL = msgspec.json.Decoder(dict[str, msgspec.Raw])


def loads_keeping_raw(raw: bytes, key: str, members: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The JSON object in `raw` with the members of its object `key` kept as `RawJson` (null as None).

    None when the body is not such an object or msgspec cannot split it (invalid UTF-8, a lone
    surrogate, nesting near the limit): the caller reads it with `loads_strict`, which accepts, repairs
    or refuses it as before. Whatever msgspec splits is valid JSON that `loads_strict` reads unchanged.
    `members`: the object's expected members; an object with no others is split in one pass over the
    bytes instead of two (the object, then its `key`: most of the body), any other the usual way.
    """
    if not is_utf8(raw):
        return None
    if members:
        shaped = _split_in_one_pass(raw, key, members)
        if shaped is not None:
            return shaped
    try:
        members = _TOP_LEVEL.decode(raw)
        kept = _TOP_LEVEL.decode(members[key]) if key in members and memoryview(members[key])[:1] == b"{" else None
    except (msgspec.DecodeError, RecursionError):
        return None
    data = {name: loads_strict(bytes(value)) for name, value in members.items() if name != key or kept is None}
    if kept is not None:
        data[key] = {name: _kept(value) for name, value in kept.items()}
    return data


@functools.lru_cache(maxsize=8)
def _shape_decoder(key: str, members: tuple[str, ...]) -> msgspec.json.Decoder[Any]:
    """A decoder of an object with only `members` (each absent, or kept as sent) and `key`."""
    fields = [(name, msgspec.Raw | msgspec.UnsetType, msgspec.UNSET) for name in members if name != key]
    fields.append((key, dict[str, msgspec.Raw] | None | msgspec.UnsetType, msgspec.UNSET))
    return msgspec.json.Decoder(msgspec.defstruct("Shape", fields, forbid_unknown_fields=True))


def _split_in_one_pass(raw: bytes, key: str, members: tuple[str, ...]) -> dict[str, Any] | None:
    """`loads_keeping_raw`'s value when the object has no member but `members` and its `key` is an
    object or null; None otherwise (another member, another shape: split the usual way)."""
    try:
        shape = _shape_decoder(key, members).decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    data: dict[str, Any] = {}
    for name in shape.__struct_fields__:
        value = getattr(shape, name)
        if value is msgspec.UNSET:
            continue
        if name != key:
            data[name] = loads_strict(bytes(value))
        else:
            data[key] = None if value is None else {member: _kept(sent) for member, sent in value.items()}
    return data


def _kept(value: msgspec.Raw) -> RawJson | None:
    """One member as sent (its bytes copied once); JSON null stays None (CDS Hooks: the EHR has no data)."""
    sent = bytes(value)
    return None if sent == b"null" else RawJson(sent)
