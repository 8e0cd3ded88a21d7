"""Facts as readable text, each figure followed by how it was derived (for `bzra-cds facts`)."""

from __future__ import annotations

from service.facts.model import Facts, OrderFacts


def _num(value: float | None, unit: str = "") -> str:
    return "unknown" if value is None else f"{value:.4g}{unit}"


def _order_lines(order: OrderFacts) -> list[str]:
    kind = f"BZRA ({order.drug or 'ingredient not identified'})" if order.is_bzra else (", ".join(order.classes) or "not a BZRA")
    lines = [
        f"  {order.reference}: {order.medication} — {kind}; identified by {order.matched_by}",
        f"    daily dose: {_num(order.mg_per_day, ' mg')}; diazepam-equivalent: {_num(order.de_mg_per_day, ' mg')}",
        f"      ({order.dose_derivation})",
        f"    covers: {_num(order.days_supply, ' days')} ({order.supply_derivation})",
    ]
    if order.reasons:
        lines.append(f"    reasons: {', '.join(order.reasons)}")
    if order.is_taper_plan:
        lines.append("    a taper plan: its dosage steps go down")
    return lines


def _history_lines(facts: Facts) -> list[str]:
    h = facts.history
    lines = [
        "BZRA use in the history (the draft not counted):",
        f"  continuous use up to the order date: {h.bzra_continuous_days} days",
        f"  days of use in the last 12 months: {h.bzra_days_last_12_months}",
        f"  distinct BZRAs in the last 90 days: {h.distinct_bzra_last_90_days}",
    ]
    for use in h.current_bzras:
        lines.append(f"  in use now: {use.drug}, {_num(use.mg_per_day, ' mg/day')} = {_num(use.de_mg_per_day, ' mg DE')}")
        lines.append(f"    ({use.derivation})")
    lines.append(f"  dose in use: {_num(h.total_de_mg_per_day, ' mg/day diazepam-equivalent')} ({h.total_de_derivation})")
    lines.append(f"  physical dependence likely: {'yes' if h.dependence_likely else 'no'} ({h.dependence_derivation})")
    taper = f"yes, {h.taper.drug} ({h.taper.derivation})" if h.taper else "no"
    lines.append(f"  taper under way: {taper}")
    for episode in h.episodes:
        lines.append(f"  episode {episode.drug}: {episode.start} to {episode.end} ({episode.days} days)")
    return lines


def render_text(facts: Facts) -> str:
    h = facts.history
    lines: list[str] = [
        f"Facts for the {facts.hook} hook on {facts.today} (equivalence table: {facts.equivalence_table}; "
        f"gap tolerance {facts.gap_days} days)",
        "",
        f"Patient: age {facts.patient.age if facts.patient.age_known else 'unknown'}"
        + (f", {facts.patient.gender}" if facts.patient.gender else ""),
        "",
        "Draft orders:",
    ]
    for order in facts.drafts:
        lines.extend(_order_lines(order))
    if not facts.drafts:
        lines.append("  none")
    lines += ["", *_history_lines(facts)]
    lines += [
        "",
        f"Distinct BZRAs now (history + draft): {facts.distinct_bzra_count} {facts.current_bzras}",
        f"Total BZRA dose with this order: {_num(facts.total_bzra_de_mg_per_day, ' mg/day diazepam-equivalent')}"
        + ("" if facts.total_de_known else " (incomplete)"),
        f"  ({facts.total_de_derivation})",
        f"This course: {facts.course.derivation}",
        f"Exemptions: {facts.exemption_derivation}",
        "",
        "Co-medication in use or ordered: "
        + (", ".join(f"{c} ({', '.join(facts.comedication_sources[c])})" for c, on in facts.comedication.items() if on) or "none"),
        "Recorded conditions: " + (", ".join(g for g, on in facts.conditions.items() if on) or "none"),
        "",
        "How each history entry was read:",
        *[f"  {line}" for line in h.exposures],
    ]
    if facts.not_checked:
        lines += ["", "Not checked (data not available):", *[f"  - {note}" for note in facts.not_checked]]
    if facts.unknown:
        lines += ["", "Could not be derived:", *[f"  - {note}" for note in facts.unknown]]
    return "\n".join(lines)
