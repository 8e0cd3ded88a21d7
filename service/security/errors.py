"""The error every refusal of a CDS client's call is raised as."""

from __future__ import annotations


class AuthError(Exception):
    """Why a call was refused: sent to the caller in the 401 body (no secrets in it)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
