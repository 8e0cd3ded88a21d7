"""The store's write transactions: audited calls in batches, and feedback with its suppressions.

Both are idempotent (a call by its record id, feedback by its idempotency key), so replaying a spool
that was partly written already stores nothing twice. Every row goes through `_storable`: text that a
database cannot hold (a lone surrogate from a JSON escape, NUL) is replaced, never a reason to refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from cds_hooks.models import Feedback
from service.store import models
from service.store.hashing import feedback_key
from service.store.lines import storable
from service.store.records import CallAudit, FeedbackOutcome, as_utc

USER_COMMENT_MAX = 2000


async def write_calls(connection: AsyncConnection, records: Sequence[tuple[str, CallAudit]]) -> int:
    """Inserts the calls not stored yet (by record id); returns how many were new."""
    ids = [record_id for record_id, _ in records]
    existing = set((await connection.execute(select(models.calls.c.id).where(models.calls.c.id.in_(ids)))).scalars())
    call_rows: list[dict[str, Any]] = []
    rule_rows: list[dict[str, Any]] = []
    card_rows: list[dict[str, Any]] = []
    for record_id, audit in records:
        if record_id in existing:
            continue
        existing.add(record_id)
        call_rows.append(
            {
                "id": record_id,
                "hook_instance": audit.hook_instance,
                "service_id": audit.service_id,
                "hook": audit.hook,
                "received_at": as_utc(audit.received_at),
                "latency_ms": float(audit.latency_ms),
                "patient_hash": audit.patient_hash,
                "sources": dict(audit.sources),
                "errors": list(audit.errors),
            }
        )
        rule_rows.extend(_rule_rows(record_id, audit))
        seen_cards: set[str] = set()
        for card in audit.cards:
            if card.uuid in seen_cards:
                continue
            seen_cards.add(card.uuid)
            card_rows.append(
                {
                    "call_id": record_id,
                    "uuid": card.uuid,
                    "indicator": card.indicator,
                    "patient_hash": audit.patient_hash,
                    "rules": list(card.rules),
                }
            )
    await _insert(connection, models.calls, call_rows)
    await _insert(connection, models.call_rules, rule_rows)
    await _insert(connection, models.cards, card_rows)
    return len(call_rows)


async def _insert(connection: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(table.insert(), [_storable(row) for row in rows])


def _storable(value: Any) -> Any:
    """The value with every str in it made storable (`lines.storable`), in dicts and lists too."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _rule_rows(record_id: str, audit: CallAudit) -> list[dict[str, Any]]:
    """One row per rule: evaluated rules, marked fired when they fired (a fired rule is also evaluated)."""
    rows: dict[str, dict[str, Any]] = {}
    for rule_id, version in audit.rules_evaluated:
        rows[rule_id] = {"call_id": record_id, "rule_id": rule_id, "rule_version": int(version), "fired": False}
    for rule_id, version in audit.rules_fired:
        rows[rule_id] = {"call_id": record_id, "rule_id": rule_id, "rule_version": int(version), "fired": True}
    return list(rows.values())


def outcome_time(item: Feedback) -> datetime:
    return as_utc(datetime.fromisoformat(item.outcomeTimestamp))


def item_key(service_id: str, item: Feedback) -> str:
    reason = item.overrideReason.reason.code if item.overrideReason and item.overrideReason.reason else None
    accepted = [suggestion.id for suggestion in item.acceptedSuggestions or []]
    return feedback_key(service_id, item.card, item.outcome, outcome_time(item).isoformat(), reason, accepted)


def unique_items(service_id: str, items: Sequence[Feedback]) -> tuple[list[tuple[str, Feedback]], int]:
    """The items keyed, without repeats inside the same request; and how many repeats there were."""
    seen: dict[str, Feedback] = {}
    for item in items:
        seen.setdefault(item_key(service_id, item), item)
    return list(seen.items()), len(items) - len(seen)


async def write_feedback(
    connection: AsyncConnection,
    service_id: str,
    items: Sequence[Feedback],
    suppressing_codes: set[str],
    suppression_days: int,
    now: datetime,
) -> FeedbackOutcome:
    """Stores each new outcome linked to its card's rules; an override with a suppressing reason code
    suppresses each of those rules for the card's patient for `suppression_days`."""
    now = as_utc(now)
    keyed, duplicates = unique_items(service_id, items)
    keys = [key for key, _ in keyed]
    stored_keys = set(
        (await connection.execute(select(models.feedback.c.id).where(models.feedback.c.id.in_(keys)))).scalars()
    )
    card_info = await _cards(connection, [storable(item.card) for _, item in keyed])
    feedback_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    suppression_rows: list[dict[str, Any]] = []
    unknown = 0
    for key, item in keyed:
        if key in stored_keys:
            duplicates += 1
            continue
        card = card_info.get(storable(item.card))
        unknown += card is None
        rules, patient = card if card is not None else ((), None)
        reason = item.overrideReason.reason if item.overrideReason else None
        comment = item.overrideReason.userComment if item.overrideReason else None
        feedback_rows.append(
            {
                "id": key,
                "service_id": service_id,
                "card_uuid": item.card,
                "outcome": item.outcome,
                "outcome_at": outcome_time(item),
                "received_at": now,
                "reason_code": reason.code if reason else None,
                "reason_system": reason.system if reason else None,
                "reason_display": reason.display if reason else None,
                "user_comment": comment[:USER_COMMENT_MAX] if comment else None,
                "accepted_suggestions": [s.id for s in item.acceptedSuggestions or []],
                "unknown_card": card is None,
                "patient_hash": patient,
            }
        )
        link_rows.extend({"feedback_id": key, "rule_id": rule_id} for rule_id in rules)
        if (
            item.outcome == "overridden"
            and reason is not None
            and reason.code in suppressing_codes
            and patient is not None
            and suppression_days > 0
        ):
            until = now + timedelta(days=suppression_days)
            suppression_rows.extend(
                {
                    "patient_hash": patient,
                    "rule_id": rule_id,
                    "reason_code": reason.code,
                    "created_at": now,
                    "until": until,
                    "lifted": False,
                    "feedback_id": key,
                }
                for rule_id in rules
            )
    await _insert(connection, models.feedback, feedback_rows)
    await _insert(connection, models.feedback_rules, link_rows)
    await _insert(connection, models.suppressions, suppression_rows)
    return FeedbackOutcome(
        stored=len(feedback_rows),
        duplicates=duplicates,
        unknown_cards=unknown,
        suppressions_created=len(suppression_rows),
    )


async def _cards(connection: AsyncConnection, uuids: list[str]) -> dict[str, tuple[tuple[str, ...], str]]:
    """Card uuid → (its rules without repeats, its patient hash), from the audit; the newest call wins."""
    if not uuids:
        return {}
    query = (
        select(models.cards.c.uuid, models.cards.c.rules, models.cards.c.patient_hash)
        .join(models.calls, models.calls.c.id == models.cards.c.call_id)
        .where(models.cards.c.uuid.in_(set(uuids)))
        .order_by(models.calls.c.received_at)
    )
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for uuid, rules, patient in await connection.execute(query):
        found[uuid] = (tuple(dict.fromkeys(str(rule) for rule in rules)), patient)
    return found
