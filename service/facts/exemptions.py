"""Exemptions from deprescribing advice: a seizure disorder, alcohol withdrawal, end-of-life care.

Each exemption (`exemptions` in the knowledge data, with its sources) names condition groups. It
applies when one of them is recorded as an active Condition, or is the reason (`reasonCode` or
`reasonReference`) of a draft order or of a BZRA order in current use: a neurologist's clonazepam
order "for epilepsy" counts even when the problem list does not say so.
"""

from __future__ import annotations

from collections.abc import Mapping

from service.knowledge.models import Knowledge


def applying_exemptions(evidence: Mapping[str, list[str]], knowledge: Knowledge) -> tuple[list[str], str]:
    """(exemption ids, derivation) from `evidence`: condition group -> what shows it."""
    found: list[str] = []
    lines: list[str] = []
    for exemption_id, exemption in knowledge.exemptions.items():
        shown = [f"{group}: {', '.join(evidence[group])}" for group in exemption.condition_groups if evidence.get(group)]
        if shown:
            found.append(exemption_id)
            lines.append(f"{exemption.display.en} ({'; '.join(shown)})")
    if not found:
        groups = sorted({g for e in knowledge.exemptions.values() for g in e.condition_groups})
        return [], f"none recorded (looked for {', '.join(groups)} as a condition or an order's reason)"
    return found, "; ".join(lines)
