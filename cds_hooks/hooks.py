"""The hooks this package understands and the context each one must carry.

Context fields come from the CDS Hooks hook library: order-select and order-sign (2.0 library,
https://cds-hooks.org/hooks/) and the retired medication-prescribe (1.0), which some EHRs still send.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from cds_hooks.errors import HookError
from cds_hooks.models import HookRequest


class HookContext(BaseModel):
    model_config = ConfigDict(extra="allow")

    userId: str = Field(min_length=1)
    patientId: str = Field(min_length=1)
    encounterId: str | None = None

    @field_validator("patientId", "encounterId")
    @classmethod
    def _bare_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        """The spec asks for the FHIR id; some clients send a reference ("Patient/123"): read its id."""
        prefix = "Patient/" if info.field_name == "patientId" else "Encounter/"
        if value and value.startswith(prefix) and len(value) > len(prefix):
            return value.removeprefix(prefix)
        return value


# What the JSON Schema (and so the OpenAPI description) says of a FHIR Bundle of draft orders: the
# validators below check the same; the resources themselves are read by the CDS service.
BUNDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A FHIR Bundle of the draft orders (any FHIR version)",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"const": "Bundle"},
        "type": {"type": "string"},
        "entry": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "resource": {"type": "object", "required": ["resourceType"], "properties": {"resourceType": {"type": "string"}}}
                },
            },
        },
    },
}
RESOURCES_SCHEMA: dict[str, Any] = {"type": "array", "items": BUNDLE_SCHEMA["properties"]["entry"]["items"]["properties"]["resource"]}


def _is_bundle(value: Any) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "Bundle"


class OrderSelectContext(HookContext):
    """order-select: the user selected one or more orders in `draftOrders` (ids in `selections`)."""

    selections: list[str] = Field(min_length=1)
    draftOrders: dict[str, Any] = Field(json_schema_extra=BUNDLE_SCHEMA)

    @model_validator(mode="after")
    def _draft_orders_bundle(self) -> OrderSelectContext:
        if not _is_bundle(self.draftOrders):
            raise ValueError("draftOrders must be a FHIR Bundle")
        return self


class OrderSignContext(HookContext):
    """order-sign: the user is about to sign the orders in `draftOrders`."""

    draftOrders: dict[str, Any] = Field(json_schema_extra=BUNDLE_SCHEMA)

    @model_validator(mode="after")
    def _draft_orders_bundle(self) -> OrderSignContext:
        if not _is_bundle(self.draftOrders):
            raise ValueError("draftOrders must be a FHIR Bundle")
        return self


class MedicationPrescribeContext(HookContext):
    """medication-prescribe (1.0, retired): `medications` is a Bundle or an array of resources."""

    medications: dict[str, Any] | list[dict[str, Any]] = Field(json_schema_extra={"anyOf": [BUNDLE_SCHEMA, RESOURCES_SCHEMA]})

    @model_validator(mode="after")
    def _medications_shape(self) -> MedicationPrescribeContext:
        if isinstance(self.medications, dict) and not _is_bundle(self.medications):
            raise ValueError("medications must be a FHIR Bundle or an array of resources")
        return self


CONTEXT_MODELS: dict[str, type[HookContext]] = {
    "order-select": OrderSelectContext,
    "order-sign": OrderSignContext,
    "medication-prescribe": MedicationPrescribeContext,
}


def request_schema(hook: str, ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """The JSON Schema of a request for `hook`: a HookRequest naming that hook, with its context."""
    context = CONTEXT_MODELS[hook]
    schema = HookRequest.model_json_schema(ref_template=ref_template)
    context_schema = context.model_json_schema(ref_template=ref_template)
    definitions = schema.setdefault("$defs", {})
    definitions.update(context_schema.pop("$defs", {}))
    definitions[context.__name__] = context_schema
    schema["properties"]["hook"] = {"const": hook, "type": "string", "title": "Hook"}
    schema["properties"]["context"] = {"$ref": ref_template.format(model=context.__name__)}
    schema["title"] = f"HookRequest ({hook})"
    return schema


class ContextError(HookError):
    """The context does not carry what its hook requires; `problems` name each field."""

    status = 422
    code = "invalid_context"

    def __init__(self, hook: str, problems: list[dict[str, str]]):
        self.hook = hook
        self.problems = problems
        listed = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        super().__init__(f"invalid context for hook '{hook}': {listed}", problems)


def parse_context(hook: str, context: dict[str, Any]) -> HookContext:
    """Validate `context` against the hook's required fields."""
    model = CONTEXT_MODELS.get(hook)
    if model is None:
        raise ContextError(hook, [{"field": "hook", "problem": f"unsupported hook '{hook}'"}])
    try:
        return model.model_validate(context)
    except ValidationError as error:
        raise ContextError(hook, _problems(error, prefix="context")) from error


def _problems(error: ValidationError, prefix: str) -> list[dict[str, str]]:
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in (prefix, *item["loc"]))
        problems.append({"field": location, "problem": item["msg"]})
    return problems


def draft_order_resources(context: HookContext) -> list[dict[str, Any]]:
    """The resources of the draft orders, whatever shape the hook uses to carry them."""
    container = getattr(context, "draftOrders", None) or getattr(context, "medications", None)
    if isinstance(container, list):
        return [item for item in container if isinstance(item, dict)]
    entries = (container or {}).get("entry") or []
    return [entry["resource"] for entry in entries if isinstance(entry, dict) and isinstance(entry.get("resource"), dict)]
