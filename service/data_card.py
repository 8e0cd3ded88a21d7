"""The card that says what the service could not check, and why, so missing data is never silent.

Written in the request's language (en, nl, fr: the words are in `data_card_texts`). Each data source
that could not be read is named with its reason (token refused, timeout, server down, answer too large,
pages left unread...), and so is each one read only in part.
"""

from __future__ import annotations

import uuid

from cds_hooks import Card, Source
from service.data_card_texts import PHRASES, WHAT, WHY
from service.facts.unknown import Unknown
from service.fhir.record import DataIssue
from service.language import LANGUAGES

MAX_LISTED = 6
SUMMARY_MAX = 140  # CDS Hooks: a card's summary is under 140 characters


class _Words:
    def __init__(self, language: str):
        self.language = language if language in LANGUAGES else "en"

    def phrase(self, key: str, **values: object) -> str:
        return PHRASES[key][self.language].format(**values)

    def what(self, issue: DataIssue) -> str:
        known = WHAT.get(issue.data_key or "")
        return known[self.language].format(**dict(issue.values)) if known else (issue.not_checked or issue.where)

    def why(self, issue: DataIssue) -> str | None:
        known = WHY.get(issue.reason or "")
        return known[self.language] if known else None

    def source(self) -> Source:
        return Source(label=self.phrase("source"))


def internal_error_card(language: str = "en") -> Card:
    """When the advice itself failed: prescribing goes on, and the prescriber is told so."""
    words = _Words(language)
    return Card(
        uuid=str(uuid.uuid4()),
        summary=words.phrase("internal_error_summary"),
        indicator="info",
        source=words.source(),
        detail=words.phrase("internal_error_detail"),
    )


def _reason_lines(words: _Words, issues: list[DataIssue]) -> list[str]:
    """One line per data source and reason: "- earlier prescriptions: the FHIR server ..."."""
    lines = dict.fromkeys("- " + words.phrase("line", what=words.what(i), why=why) for i in issues if (why := words.why(i)) is not None)
    return list(lines)


def data_issues_card(issues: list[DataIssue], notes: list[Unknown] | None = None, language: str = "en") -> Card | None:
    """An info card in the prescriber's words and language; None when everything was read and derived.

    `notes` are figures or checks that could not be completed with the data that was read.
    """
    notes = notes or []
    if not issues and not notes:
        return None
    words = _Words(language)
    unread = [i for i in issues if i.not_checked]
    partial = [i for i in issues if not i.not_checked and i.data_key and i.reason]
    skipped = [i.skipped for i in issues if i.skipped and not i.not_checked]
    other = [i for i in issues if not i.not_checked and not i.skipped and i not in partial]
    not_checked = sorted({words.what(i) for i in unread})
    paragraphs = []
    if not_checked:
        paragraphs.append(words.phrase("not_checked", items=", ".join(not_checked)))
        paragraphs.extend(filter(None, ["\n".join(_reason_lines(words, unread))]))
    if partial:
        paragraphs.append(words.phrase("partly_read") + "\n\n" + "\n".join(_reason_lines(words, partial)))
    if skipped:
        listed = ", ".join(skipped[:MAX_LISTED]) + (" …" if len(skipped) > MAX_LISTED else "")
        key = "skipped_one" if len(skipped) == 1 else "skipped_many"
        paragraphs.append(words.phrase(key, n=len(skipped), ids=listed))
    paragraphs.extend(_other_lines(words, other))
    if notes:
        lines = list(dict.fromkeys(f"- {note.text(words.language)}" for note in notes))[:MAX_LISTED]
        paragraphs.append(words.phrase("not_worked_out") + "\n\n" + "\n".join(lines))
    paragraphs.append(words.phrase("closing"))
    summary = _summary(words, not_checked, partial, skipped or other)
    return Card(summary=summary, indicator="info", source=words.source(), detail="\n\n".join(paragraphs))


def _other_lines(words: _Words, other: list[DataIssue]) -> list[str]:
    """Problems without a data source: with a known reason in the language, else counted (English: as
    written, which is technical but exact)."""
    known = [words.phrase("line", what=i.where, why=why) for i in other if (why := words.why(i)) is not None]
    unknown = [i for i in other if words.why(i) is None]
    if words.language == "en":
        return [*known, *(i.problem for i in unknown[:MAX_LISTED])]
    return [*known, *([words.phrase("other_problems", n=len(unknown))] if unknown else [])]


def _summary(words: _Words, not_checked: list[str], partial: list[DataIssue], unread: list[object]) -> str:
    if not_checked:
        summary = words.phrase("summary_not_checked", items=", ".join(not_checked))
    elif unread:
        summary = words.phrase("summary_not_read")
    elif partial:
        summary = words.phrase("summary_partly_read")
    else:
        summary = words.phrase("summary_not_completed")
    return summary if len(summary) < SUMMARY_MAX else words.phrase("summary_short")


def issues_extension(issues: list[DataIssue]) -> list[dict[str, str]]:
    """The same issues, machine-readable, for the response's `extension`."""
    fields = ("where", "problem", "skipped", "not_checked", "reason", "data_key")
    return [{name: getattr(i, name) for name in fields if getattr(i, name)} for i in issues]
