"""One error model for the service, after httpx's `_exceptions.py`.

Every error the service raises on purpose is a `BzraError`. It carries what both of its readers need:
the HTTP `status` it is answered with, a machine `code` (the `error` of the JSON body) and the `fields`
it concerns (`[{"field", "problem"}]`). The HTTP layer answers every one in one handler
(`service/api/errors.py`); the command line reports every one in one place (`service/cli/main.py`).
The errors of the `cds_hooks` library (which knows nothing of the service) have their own small base,
`cds_hooks.errors.HookError`, with the same three attributes; the HTTP layer and the CLI map it once.

    BzraError
     ├── RequestError ........... what a caller sent cannot be used (HTTP 4xx, CLI exit 2)
     │    ├── ApiError              a refusal the HTTP layer makes itself (unknown service, bad body…)
     │    ├── AuthError             401: no trusted token (service/security/errors.py)
     │    ├── WrongHook             400: a call for another hook (service/pipeline.py)
     │    ├── MissingData           412: data neither prefetched nor fetchable (service/fhir/gather.py)
     │    ├── TaperError            422: taper input that cannot give a plan (service/taper/errors.py)
     │    ├── BodyTooLarge          413: a body over BZRA_MAX_BODY_BYTES (service/api/limits.py)
     │    ├── TooDeep               400: JSON nested too deep (service/strict_json.py)
     │    └── UsageError            a command line that cannot be run (service/cli/usage.py)
     ├── DeploymentError ........ the deployment's settings or data files are wrong (HTTP 500, CLI exit 2)
     │    ├── InvalidSettings, SettingProblem     (service/settings_sources.py)
     │    ├── ConfigurationError  settings and knowledge do not fit (service/knowledge/configured.py)
     │    ├── KnowledgeError, GlossaryError, MarketError, TaperProtocolError   data files
     │    ├── RuleError           ExpressionError, TemplateProblem, ShorthandError (service/rules/)
     │    └── SchemaClash         the OpenAPI description would be wrong (service/api/openapi.py)
     └── UnavailableError ....... something outside the service cannot answer now (HTTP 503, CLI exit 1)
          ├── FhirError             a FHIR read failed (service/fhir/client.py)
          ├── StoreUnavailable, SchemaMismatch, MigrationFailed   the database (service/store/, service/migrate.py)
          └── SharedStoreDown       the shared store of used tokens (service/security/replay.py)

Most of these never reach a caller: FHIR and store failures become data-card notes or spooled
writes. The families say what a failure means wherever it does surface.
"""

from __future__ import annotations

from typing import ClassVar

Fields = list[dict[str, str]]

__all__ = ["BzraError", "DeploymentError", "Fields", "RequestError", "RuleError", "UnavailableError", "shown"]


def shown(text: str, limit: int = 100) -> str:
    """A value from the request as an error message may repeat it: cut to `limit` characters, so a
    5 MB field never comes back in a 10 MB answer."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


class BzraError(Exception):
    """Base of every error the service raises on purpose: an HTTP status, a machine code, the fields."""

    status: int = 500
    code: str = "internal_error"
    exit_status: ClassVar[int] = 2  # the command line's status when it stops on this error
    field: str | None = None  # the one field every error of a subclass concerns, if any
    message_limit: ClassVar[int | None] = None  # messages that repeat a caller's value are cut

    def __init__(self, message: str, fields: Fields | None = None) -> None:
        message = shown(message, self.message_limit) if self.message_limit else message
        super().__init__(message)
        self.message = message
        if fields is None and self.field is not None:
            fields = [{"field": self.field, "problem": message}]
        self.fields: Fields = fields or []

    def text(self, language: str = "en") -> str:
        """The message in `language`; errors without translations say it in English."""
        return self.message

    def fields_in(self, language: str = "en") -> Fields:
        """The fields with their problems in `language`."""
        return self.fields


class RequestError(BzraError):
    """What a caller sent cannot be used: a 4xx naming the field, or a one-line CLI error."""

    status = 400
    code = "invalid_request"


class DeploymentError(BzraError):
    """The deployment's settings or data files are wrong: found at start, or by the authoring tools."""

    code = "invalid_deployment"


class RuleError(DeploymentError):
    """A rule that cannot be used: its expression, a template, or a test case's shorthand."""

    code = "invalid_rule"


class UnavailableError(BzraError):
    """Something outside the service (the EHR's FHIR server, the database, Redis) cannot answer now."""

    status = 503
    code = "unavailable"
    exit_status = 1
