"""The error every refusal of a CDS client's call is raised as."""

from __future__ import annotations

from service.errors import RequestError


class AuthError(RequestError):
    """Why a call was refused: sent to the caller in the 401 body (no secrets in it)."""

    status = 401
    code = "unauthorized"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
