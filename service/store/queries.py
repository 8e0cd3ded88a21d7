"""The store's reads (and the one admin update): suppressions on the hook path, and the rule report."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import Join

from service.store import models
from service.store.notify import announce_suppressions_changed
from service.store.records import RuleReport, Suppression, as_utc

NO_REASON = "(none)"


async def suppressed_rules(connection: AsyncConnection, patient_hash: str, now: datetime) -> set[str]:
    """Rules suppressed for this patient at `now` (served by ix_suppressions_patient_hash_until)."""
    s = models.suppressions.c
    active = (s.patient_hash == patient_hash, s.until > as_utc(now), s.lifted.is_(False))
    query = select(s.rule_id).where(*active).distinct()
    return set((await connection.execute(query)).scalars())


async def suppressed_patients(connection: AsyncConnection, now: datetime) -> dict[str, datetime]:
    """Each patient with a suppression in force at `now`, with the latest end of its suppressions."""
    s = models.suppressions.c
    query = (
        select(s.patient_hash, func.max(s.until))
        .where(s.until > as_utc(now), s.lifted.is_(False))
        .group_by(s.patient_hash)
    )
    return {patient: as_utc(until) for patient, until in await connection.execute(query)}


async def suppressions_generation(connection: AsyncConnection) -> tuple[int, int]:
    """What changes whenever a suppression is made (the highest id) or lifted (fewer not lifted): lifts
    are never undone and rows never deleted, so an equal pair means no change."""
    s = models.suppressions.c
    query = select(func.coalesce(func.max(s.id), 0), func.count().filter(s.lifted.is_(False)))
    highest, not_lifted = (await connection.execute(query)).one()
    return int(highest), int(not_lifted)


async def list_suppressions(connection: AsyncConnection, active_only: bool, now: datetime) -> list[Suppression]:
    s = models.suppressions.c
    query = select(models.suppressions).order_by(s.id)
    if active_only:
        query = query.where(s.until > as_utc(now), s.lifted.is_(False))
    return [
        Suppression(
            id=row.id,
            patient_hash=row.patient_hash,
            rule_id=row.rule_id,
            reason_code=row.reason_code,
            created_at=row.created_at,
            until=row.until,
            lifted=bool(row.lifted),
        )
        for row in await connection.execute(query)
    ]


async def lift_suppression(connection: AsyncConnection, suppression_id: int) -> bool:
    """Lifts the suppression and tells every replica (on commit) that suppressions changed."""
    s = models.suppressions.c
    result = await connection.execute(
        update(models.suppressions).where(s.id == suppression_id, s.lifted.is_(False)).values(lifted=True)
    )
    if result.rowcount:
        await announce_suppressions_changed(connection)
    return bool(result.rowcount)


async def report(connection: AsyncConnection, since: datetime | None) -> list[RuleReport]:
    """Per rule: calls where it fired, feedback on its cards, override reasons, median latency when fired.

    Rules that were only evaluated appear too (with zeros), so a rule that never fires is visible.
    """
    calls, rules, fb, links = models.calls.c, models.call_rules.c, models.feedback.c, models.feedback_rules.c
    call_since = calls.received_at >= as_utc(since) if since else true()
    feedback_since = fb.outcome_at >= as_utc(since) if since else true()
    rule_calls = models.call_rules.join(models.calls, calls.id == rules.call_id)

    fired: dict[str, int] = {}
    counts = select(rules.rule_id, func.count().filter(rules.fired.is_(True))).select_from(rule_calls)
    for rule_id, count in await connection.execute(counts.where(call_since).group_by(rules.rule_id)):
        fired[rule_id] = int(count)

    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: {"accepted": 0, "overridden": 0})
    reasons: dict[str, dict[str, int]] = defaultdict(dict)
    feedback_query = (
        select(links.rule_id, fb.outcome, fb.reason_code, func.count())
        .select_from(models.feedback_rules.join(models.feedback, fb.id == links.feedback_id))
        .where(feedback_since)
        .group_by(links.rule_id, fb.outcome, fb.reason_code)
    )
    for rule_id, outcome, reason_code, count in await connection.execute(feedback_query):
        outcomes[rule_id][outcome] = outcomes[rule_id].get(outcome, 0) + int(count)
        if outcome == "overridden":
            code = reason_code or NO_REASON
            reasons[rule_id][code] = reasons[rule_id].get(code, 0) + int(count)

    medians = await _median_latencies(connection, and_(rules.fired.is_(True), call_since), rule_calls)
    return [
        RuleReport(
            rule_id=rule_id,
            fired=fired.get(rule_id, 0),
            accepted=outcomes[rule_id]["accepted"] if rule_id in outcomes else 0,
            overridden=outcomes[rule_id]["overridden"] if rule_id in outcomes else 0,
            override_reasons=dict(sorted(reasons.get(rule_id, {}).items(), key=lambda item: (-item[1], item[0]))),
            median_latency_ms=medians.get(rule_id),
        )
        for rule_id in sorted(set(fired) | set(outcomes))
    ]


async def _median_latencies(
    connection: AsyncConnection, condition: ColumnElement[bool], rule_calls: Join
) -> dict[str, float]:
    """Median latency per rule; PostgreSQL computes it, other databases hand the latencies over."""
    rules, calls = models.call_rules.c, models.calls.c
    if connection.dialect.name == "postgresql":
        median = func.percentile_cont(0.5).within_group(calls.latency_ms)
        query = select(rules.rule_id, median).select_from(rule_calls).where(condition).group_by(rules.rule_id)
        return {rule_id: float(value) for rule_id, value in await connection.execute(query) if value is not None}
    latencies: dict[str, list[float]] = defaultdict(list)
    query = select(rules.rule_id, calls.latency_ms).select_from(rule_calls).where(condition)
    for rule_id, latency in await connection.execute(query):
        latencies[rule_id].append(float(latency))
    return {rule_id: float(statistics.median(values)) for rule_id, values in latencies.items()}
