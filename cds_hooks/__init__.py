"""The CDS Hooks 2.0 protocol: wire models, hook contexts and prefetch templates.

This package knows nothing of medications or clinical rules; a CDS service is built on top of it.
"""

from cds_hooks.errors import HookError
from cds_hooks.hooks import CONTEXT_MODELS, ContextError, HookContext, draft_order_resources, parse_context
from cds_hooks.models import (
    Action,
    Card,
    CDSResponse,
    Coding,
    DiscoveryResponse,
    Feedback,
    FeedbackRequest,
    FhirAuthorization,
    HookRequest,
    Link,
    ServiceDescriptor,
    Source,
    Suggestion,
)

__all__ = [
    "Action",
    "CDSResponse",
    "CONTEXT_MODELS",
    "Card",
    "Coding",
    "ContextError",
    "DiscoveryResponse",
    "Feedback",
    "FeedbackRequest",
    "FhirAuthorization",
    "HookContext",
    "HookError",
    "HookRequest",
    "Link",
    "ServiceDescriptor",
    "Source",
    "Suggestion",
    "draft_order_resources",
    "parse_context",
]
