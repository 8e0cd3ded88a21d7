"""The card that says what the service could not check, so missing data is never silent."""

from __future__ import annotations

from cds_hooks import Card, Source
from service.fhir.record import DataIssue

SOURCE = Source(label="bzra-cds data check")
MAX_LISTED = 6


def data_issues_card(issues: list[DataIssue], notes: list[str] | None = None) -> Card | None:
    """An info card in the prescriber's words; None when everything was read and derived.

    `notes` are figures or checks that could not be completed with the data that was read.
    """
    notes = notes or []
    if not issues and not notes:
        return None
    not_checked = sorted({i.not_checked for i in issues if i.not_checked})
    skipped = [i.skipped for i in issues if i.skipped]
    other = [i.problem for i in issues if not i.not_checked and not i.skipped]
    paragraphs = []
    if not_checked:
        paragraphs.append("Not checked, because the data was not available: " + ", ".join(not_checked) + ".")
    if skipped:
        listed = ", ".join(skipped[:MAX_LISTED]) + (" …" if len(skipped) > MAX_LISTED else "")
        noun, verb = ("record", "was") if len(skipped) == 1 else ("records", "were")
        paragraphs.append(f"{len(skipped)} {noun} in the history could not be read and {verb} left out ({listed}).")
    paragraphs.extend(other[:MAX_LISTED])
    if notes:
        paragraphs.append("Could not be worked out:\n\n" + "\n".join(f"- {note}" for note in notes[:MAX_LISTED]))
    paragraphs.append("The advice shown is based on the data that could be read.")
    if not_checked:
        summary = "Not all data could be checked: " + ", ".join(not_checked)
    elif skipped or other:
        summary = "Some records could not be read"
    else:
        summary = "Some checks could not be completed"
    if len(summary) >= 140:
        summary = "Not all medication data could be checked"
    return Card(summary=summary, indicator="info", source=SOURCE, detail="\n\n".join(paragraphs))


def issues_extension(issues: list[DataIssue]) -> list[dict[str, str]]:
    """The same issues, machine-readable, for the response's `extension`."""
    fields = ("where", "problem", "skipped", "not_checked")
    return [{name: getattr(i, name) for name in fields if getattr(i, name)} for i in issues]
