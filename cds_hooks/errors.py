"""The errors of the CDS Hooks protocol layer: one small base, `HookError`.

This package knows nothing of the service built on it, so its errors do not derive from the service's
`BzraError`; they carry the same three things (an HTTP status, a machine code, the fields concerned)
so that a service maps them to its answers in one place.

    HookError
     ├── ContextError      422: the context lacks what its hook requires (cds_hooks/hooks.py)
     └── TemplateError     a prefetch template names a token the request lacks (cds_hooks/prefetch.py)
"""

from __future__ import annotations

from typing import ClassVar


class HookError(Exception):
    """A request that breaks the CDS Hooks protocol; `fields` name each problem."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_request"

    def __init__(self, message: str, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []

    def text(self, language: str = "en") -> str:
        """The message; the protocol layer speaks English (a service translates by `code`)."""
        return self.message

    def fields_in(self, language: str = "en") -> list[dict[str, str]]:
        return self.fields
