"""The limits of one hook call's FHIR reads, as one value (after httpx's `Timeout` and `Limits`).

They travel together from the settings (`BZRA_FHIR_*`) to the HTTP client and to each `FhirSession`,
so they are passed as one object instead of five loose numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FhirLimits:
    connect_timeout: float  # seconds to connect to the EHR's FHIR server
    read_timeout: float  # seconds to wait for one FHIR response
    total_timeout: float  # seconds all FHIR reads of one hook call may take together
    max_pages: int  # search result pages followed per search
    max_concurrency: int  # FHIR requests in flight at once for one hook call
    max_response_bytes: int  # largest FHIR answer read; a larger one is reported as not checked
    page_count: int | None = None  # results per page asked (`_count`); None: the server's default
