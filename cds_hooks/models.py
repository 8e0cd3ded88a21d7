"""Pydantic models of the CDS Hooks 2.0 wire format (https://cds-hooks.hl7.org/2.0/).

Field names and optionality follow the specification to the letter, so that a response built from
these models is valid for any conformant CDS client. Nothing here knows about benzodiazepines.
"""

from __future__ import annotations

import uuid as _uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

SUMMARY_MAX_LENGTH = 140  # "<140 characters" in the spec: the longest allowed summary is 139.
UUID_FORMAT = {"format": "uuid"}  # documents a UUID in the JSON Schema (and so the OpenAPI description)


class WireModel(BaseModel):
    """Base for every wire object: unknown fields (extensions) are kept, never rejected."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        """The JSON object to send: optional fields left out rather than sent as null."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)

    def wire_json(self) -> bytes:
        """`wire()` as JSON bytes, serialised at once by pydantic's core (the bytes FastAPI's
        `response_model_exclude_none` answer had)."""
        return self.__pydantic_serializer__.to_json(self, exclude_none=True, by_alias=True)


class Coding(WireModel):
    """A code from a code system, as in FHIR; used for `source.topic` and `overrideReasons`."""

    code: str
    system: str | None = None
    display: str | None = None


class Source(WireModel):
    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(WireModel):
    """A change the CDS client may apply: create or update a FHIR resource, or delete one."""

    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: list[str] | str | None = None

    @model_validator(mode="after")
    def _resource_matches_type(self) -> Action:
        if self.type in ("create", "update") and self.resource is None:
            raise ValueError(f"a '{self.type}' action needs a resource")
        if self.type == "delete" and not self.resourceId:
            raise ValueError("a 'delete' action needs a resourceId")
        return self


class Suggestion(WireModel):
    label: str
    uuid: str = Field(default_factory=lambda: str(_uuid.uuid4()))  # lets feedback name the accepted one
    isRecommended: bool | None = None
    actions: list[Action] = Field(default_factory=list)


class Link(WireModel):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Card(WireModel):
    summary: str = Field(max_length=SUMMARY_MAX_LENGTH - 1)
    indicator: Literal["info", "warning", "critical"]
    source: Source
    uuid: str = Field(default_factory=lambda: str(_uuid.uuid4()))
    detail: str | None = None
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_behavior_with_suggestions(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("selectionBehavior is required when suggestions are given")
        return self


class CDSResponse(WireModel):
    cards: list[Card] = Field(default_factory=list)
    systemActions: list[Action] | None = None


class FhirAuthorization(WireModel):
    """The OAuth 2.0 access token the CDS client lends the service for its FHIR server."""

    access_token: str = Field(min_length=1)
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: str
    subject: str
    patient: str | None = None

    def __repr__(self) -> str:  # never let the token reach a log line through repr()
        return f"FhirAuthorization(subject={self.subject!r}, scope={self.scope!r}, access_token=***)"

    __str__ = __repr__


class HookRequest(WireModel):
    """The body of `POST {baseUrl}/cds-services/{id}`."""

    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1, json_schema_extra=UUID_FORMAT)
    fhirServer: AnyHttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @field_validator("hookInstance")
    @classmethod
    def _hook_instance_is_uuid(cls, value: str) -> str:
        try:
            _uuid.UUID(value)
        except ValueError as error:
            raise ValueError("hookInstance must be a UUID") from error
        return value

    @model_validator(mode="after")
    def _authorization_needs_server(self) -> HookRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization is given without a fhirServer")
        return self

    @property
    def fhir_base_url(self) -> str | None:
        return str(self.fhirServer).rstrip("/") if self.fhirServer else None


class ServiceDescriptor(WireModel):
    """One entry of the discovery response."""

    hook: str
    id: str
    title: str | None = None
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class DiscoveryResponse(WireModel):
    services: list[ServiceDescriptor]


class OverrideReason(WireModel):
    reason: Coding | None = None
    userComment: str | None = None


class AcceptedSuggestion(WireModel):
    id: str = Field(json_schema_extra=UUID_FORMAT)  # the suggestion's uuid


class Feedback(WireModel):
    """One outcome of one card. `card` is the card's uuid; it is documented as a UUID but read as any
    string: a card this service did not send is counted as unknown, not refused."""

    card: str = Field(min_length=1, json_schema_extra=UUID_FORMAT)
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str = Field(json_schema_extra={"format": "date-time"})
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None

    @field_validator("outcomeTimestamp")
    @classmethod
    def _timestamp_is_iso8601(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as error:
            raise ValueError("outcomeTimestamp must be an ISO 8601 date-time") from error
        return value

    @model_validator(mode="after")
    def _outcome_fields(self) -> Feedback:
        if self.outcome == "accepted" and self.overrideReason is not None:
            raise ValueError("an accepted outcome carries no overrideReason")
        if self.outcome == "overridden" and self.acceptedSuggestions:
            raise ValueError("an overridden outcome carries no acceptedSuggestions")
        return self


class FeedbackRequest(WireModel):
    feedback: list[Feedback] = Field(min_length=1)
