"""The patient record keeps each draft order as received, under the reference the facts use."""

from __future__ import annotations

from tests.support import builders as b
from tests.support.suggestions_support import record_and_facts, young_patient_prefetch, zolpidem_draft


def test_the_record_keeps_each_draft_as_received_under_the_facts_reference() -> None:
    draft, other = zolpidem_draft(), b.draft_order("other", rxnorm="197901", display="lorazepam 1 MG Oral Tablet")
    record, facts, _, _ = record_and_facts(b.hook_request(drafts=[draft, other], prefetch=young_patient_prefetch()))
    assert record.draft_json == {"MedicationRequest/zol-draft": draft, "MedicationRequest/other": other}
    assert set(record.draft_json) == {d.reference for d in facts.drafts}
