"""The secret that keys the patient hash: from settings, or generated once in the data directory.

Outside development mode it must be set (`BZRA_AUDIT_SECRET`), the same on every replica: a generated
one differs per instance, so each would hash the same patient differently and suppressions made on one
would never apply on another. In development mode it is generated atomically: the complete secret is
written to a file of its own, then linked into place, so two processes starting at once both end up
with the one that won, never an empty or half-written one.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from service.knowledge.configured import ConfigurationError
from service.settings import AUDIT_SECRET_MIN_LENGTH, Settings

FILE_NAME = "audit-secret"


def audit_secret(settings: Settings) -> str:
    """The deployment's secret; raises ConfigurationError (naming the setting) when there is none to use."""
    if settings.audit_secret:
        return settings.audit_secret
    if not settings.insecure_dev:
        raise ConfigurationError(
            "BZRA_AUDIT_SECRET is required outside development mode: set the same long random value on "
            "every replica (e.g. `openssl rand -hex 32`)"
        )
    return generated_secret(Path(settings.data_dir))


def generated_secret(directory: Path) -> str:
    """The secret in `directory/audit-secret`, created there first if missing (atomically)."""
    path = directory / FILE_NAME
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        _create(path)
    secret = path.read_text().strip()
    if len(secret) < AUDIT_SECRET_MIN_LENGTH:
        raise ConfigurationError(f"{path} holds no usable audit secret: delete it, or set BZRA_AUDIT_SECRET")
    return secret


def _create(path: Path) -> None:
    """Writes a new secret to a temporary file, syncs it, then links it to `path` (atomic: another
    process either sees the complete file or none; if one was linked first, that one stays)."""
    descriptor, temporary = tempfile.mkstemp(prefix=".audit-secret-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: its secret is the one
    finally:
        os.unlink(temporary)
