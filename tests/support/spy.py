"""A stand-in for a model (pydantic or msgspec) that records which elements are read through it, for the memo-key tests."""

from __future__ import annotations

from typing import Any

import msgspec
from pydantic import BaseModel


class Spy:
    """Stands in for a model and records the element paths read through it ("timing.repeat.period")."""

    def __init__(self, target: BaseModel | msgspec.Struct, path: str, reads: set[str]) -> None:
        self._target, self._path, self._reads = target, path, reads

    def __getattr__(self, name: str) -> Any:
        path = f"{self._path}.{name}"
        self._reads.add(path)
        return spied(getattr(self._target, name), path, self._reads)


def spied(value: Any, path: str, reads: set[str]) -> Any:
    if isinstance(value, BaseModel | msgspec.Struct):
        return Spy(value, path, reads)
    if isinstance(value, list | tuple):
        return type(value)(spied(item, path, reads) for item in value)
    return value
