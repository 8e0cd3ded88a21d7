"""The per-rule report as text (an aligned table for a terminal), CSV (for a spreadsheet) and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime, time, timezone

from service.store.records import RuleReport

COLUMNS = ("rule", "fired", "accepted", "overridden", "median ms", "override reasons")


def since_datetime(since: date | None) -> datetime | None:
    """The start of a report period (a day, UTC) as the store compares it; None: from the start."""
    return datetime.combine(since, time.min, tzinfo=timezone.utc) if since else None


def _latency(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _reasons(reasons: dict[str, int]) -> str:
    return "; ".join(f"{code}={count}" for code, count in reasons.items())


def report_text(rows: Sequence[RuleReport]) -> str:
    """An aligned table, numbers right-aligned; says so plainly when there is nothing to show."""
    if not rows:
        return "No rule was evaluated and no feedback was received in this period.\n"
    table = [COLUMNS] + [
        (
            row.rule_id,
            str(row.fired),
            str(row.accepted),
            str(row.overridden),
            _latency(row.median_latency_ms),
            _reasons(row.override_reasons),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    numeric = {1, 2, 3, 4}

    def render(line: tuple[str, ...]) -> str:
        cells = [cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(line)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(table[0]), rule, *(render(line) for line in table[1:])]) + "\n"


def report_csv(rows: Sequence[RuleReport]) -> str:
    """One line per rule; override reasons as `code=count` pairs separated by `;`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rule_id", "fired", "accepted", "overridden", "median_latency_ms", "override_reasons"])
    for row in rows:
        writer.writerow(
            [
                row.rule_id,
                row.fired,
                row.accepted,
                row.overridden,
                "" if row.median_latency_ms is None else round(row.median_latency_ms, 3),
                _reasons(row.override_reasons),
            ]
        )
    return out.getvalue()


def report_json(rows: Sequence[RuleReport]) -> str:
    """A JSON array of the rows, field names as in `RuleReport`."""
    return json.dumps([asdict(row) for row in rows], indent=2) + "\n"
