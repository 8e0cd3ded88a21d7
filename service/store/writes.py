"""The store's write transactions: audited calls in batches, and feedback with its suppressions.

Both are idempotent (a call by its record id, feedback by its idempotency key), so replaying a spool
that was partly written already stores nothing twice. Every row goes through `_storable`: text that a
database cannot hold (a lone surrogate from a JSON escape, NUL) is replaced, never a reason to refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cds_hooks.models import Feedback
from service.store import models
from service.store.hashing import feedback_key
from service.store.lines import storable
from service.store.notify import announce_suppressions_changed
from service.store.records import CallAudit, FeedbackOutcome, as_utc

USER_COMMENT_MAX = 2000
LINK_LOCK_KEY = 0x62_7A_72_62  # with the schema's hash: the advisory lock of `lock_for_linking`


class CallsWritten(NamedTuple):
    new: int  # calls not stored before
    suppressions: int  # made by feedback that was waiting for these calls' cards


async def write_calls(
    connection: AsyncConnection, records: Sequence[tuple[str, CallAudit]], *, fresh: bool = False
) -> CallsWritten:
    """Inserts the calls not stored yet (by record id), and links feedback that was waiting for their cards.

    `fresh`: the ids were never handed to a write before (new uuids from the hook path's queue; a failed
    transaction is rolled back), so the query for those already stored is skipped. A replay never is."""
    existing: set[str] = set()
    if not fresh:
        ids = [record_id for record_id, _ in records]
        existing = set((await connection.execute(select(models.calls.c.id).where(models.calls.c.id.in_(ids)))).scalars())
    call_rows: list[dict[str, Any]] = []
    rule_rows: list[dict[str, Any]] = []
    card_rows: list[dict[str, Any]] = []
    for record_id, audit in records:
        if record_id in existing:
            continue
        existing.add(record_id)
        call_rows.append(call_row(record_id, audit))
        rule_rows.extend(_rule_rows(record_id, audit))
        card_rows.extend(cards_of(record_id, audit))
    await lock_for_linking(connection, exclusive=False)
    await _insert(connection, models.calls, call_rows)
    await _insert(connection, models.call_rules, rule_rows)
    await _insert(connection, models.cards, card_rows)
    _, suppressions = await link_waiting_feedback(connection, [row["uuid"] for row in card_rows]) if card_rows else (0, 0)
    if suppressions:
        await announce_suppressions_changed(connection)
    return CallsWritten(len(call_rows), suppressions)


async def _insert(connection: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(table.insert(), rows if _all_storable(rows) else [_storable(row) for row in rows])


def _all_storable(rows: list[dict[str, Any]]) -> bool:
    """Whether every str in the rows is storable as it is, tested in one pass in C: orjson refuses a lone
    surrogate and writes NUL as an escape. (Walking each row in Python was half an audit write's CPU.)
    A false alarm (a literal backslash-u0000 in a text) only costs the walk."""
    try:
        return b"\\u0000" not in orjson.dumps(rows)
    except TypeError:  # a lone surrogate, or a value orjson does not know: the walk decides
        return False


def _storable(value: Any) -> Any:
    """The value with every str in it made storable (`lines.storable`), in dicts and lists too."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def call_row(record_id: str, audit: CallAudit) -> dict[str, Any]:
    """The `audit_calls` row of one record (the SQLite writer's rows start from it too)."""
    return {
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


def cards_of(record_id: str, audit: CallAudit) -> list[dict[str, Any]]:
    """The `audit_cards` rows of one record, each card once."""
    rows: dict[str, dict[str, Any]] = {}
    for card in audit.cards:
        rows.setdefault(card.uuid, {"call_id": record_id, "uuid": card.uuid, "indicator": card.indicator,
                                    "patient_hash": audit.patient_hash, "rules": list(card.rules)})
    return list(rows.values())


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
    suppresses each of those rules for the card's patient for `suppression_days`.
    Feedback can reach a replica before the replica that answered the call has written the card's
    audit: it is stored as an unknown card with the suppression it asks for, and linked (suppression
    included) when the audit arrives (`link_waiting_feedback`), or when the same feedback is sent again."""
    now = as_utc(now)
    await lock_for_linking(connection, exclusive=True)
    keyed, duplicates = unique_items(service_id, items)
    stored_rows = await _stored_feedback(connection, [key for key, _ in keyed])
    stored_ids = {row.id for row in stored_rows}
    new_items = [(key, item) for key, item in keyed if key not in stored_ids]
    rows = await _new_feedback_rows(connection, service_id, new_items, suppressing_codes, suppression_days, now)
    linked, linked_suppressions = await _link_sent_again(connection, stored_rows)
    suppressions = await _insert_new_feedback(connection, rows)
    if suppressions or linked_suppressions:
        await announce_suppressions_changed(connection)
    return FeedbackOutcome(
        stored=len(rows) + linked,
        duplicates=duplicates + len(stored_rows) - linked,
        unknown_cards=sum(row["unknown_card"] for row in rows),
        suppressions_created=suppressions + linked_suppressions,
    )


async def _stored_feedback(connection: AsyncConnection, keys: list[str]) -> list[Any]:
    """The feedback already stored under these keys: its id, card and whether the card was unknown."""
    fb = models.feedback.c
    query = select(fb.id, fb.card_uuid, fb.unknown_card).where(fb.id.in_(keys))
    return list((await connection.execute(query)).all())


async def _new_feedback_rows(
    connection: AsyncConnection,
    service_id: str,
    new_items: list[tuple[str, Feedback]],
    suppressing_codes: set[str],
    suppression_days: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """The rows of feedback not stored before, each with its card's rules and patient when the card is known."""
    card_info = await _cards(connection, [storable(item.card) for _, item in new_items])
    return [
        _feedback_row(
            key,
            service_id,
            item,
            card_info.get(storable(item.card)),
            suppression_days if _suppresses(item, suppressing_codes) else None,
            now,
        )
        for key, item in new_items
    ]


async def _link_sent_again(connection: AsyncConnection, stored_rows: list[Any]) -> tuple[int, int]:
    """Feedback sent again while its card was unknown: its card may be known now (see `link_waiting_feedback`)."""
    waiting = [row.card_uuid for row in stored_rows if row.unknown_card]
    return await link_waiting_feedback(connection, waiting) if waiting else (0, 0)


async def _insert_new_feedback(connection: AsyncConnection, rows: list[dict[str, Any]]) -> int:
    """Inserts the rows, their links to the card's rules and the suppressions they ask for; returns how many
    suppressions were made."""
    suppressions = [s for row in rows for s in _suppression_rows(row)]
    links = [{"feedback_id": row["id"], "rule_id": rule} for row in rows for rule in row.pop("_rules")]
    await _insert(connection, models.feedback, rows)
    await _insert(connection, models.feedback_rules, links)
    await _insert(connection, models.suppressions, suppressions)
    return len(suppressions)


def _suppresses(item: Feedback, suppressing_codes: set[str]) -> bool:
    reason = item.overrideReason.reason if item.overrideReason else None
    return item.outcome == "overridden" and reason is not None and reason.code in suppressing_codes


def _feedback_row(
    key: str,
    service_id: str,
    item: Feedback,
    card: tuple[tuple[str, ...], str] | None,
    suppression_days: int | None,
    now: datetime,
) -> dict[str, Any]:
    """The feedback table's row for one item (with `_rules`, the card's rules, to be linked)."""
    reason = item.overrideReason.reason if item.overrideReason else None
    comment = item.overrideReason.userComment if item.overrideReason else None
    rules, patient = card if card is not None else ((), None)
    return {
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
        "suppression_days": suppression_days if suppression_days and suppression_days > 0 else None,
        "_rules": list(rules),
    }


def _suppression_rows(row: dict[str, Any], rules: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The suppressions a stored feedback row asks for: one per rule of its card, from when it was received."""
    days = row["suppression_days"]
    if not days or row["patient_hash"] is None:
        return []
    received = as_utc(row["received_at"])
    return [
        {
            "patient_hash": row["patient_hash"],
            "rule_id": rule_id,
            "reason_code": row["reason_code"],
            "created_at": received,
            "until": received + timedelta(days=days),
            "lifted": False,
            "feedback_id": row["id"],
        }
        for rule_id in (row["_rules"] if rules is None else rules)
    ]


async def link_waiting_feedback(connection: AsyncConnection, card_uuids: Sequence[str]) -> tuple[int, int]:
    """Links feedback stored before its card's audit to the card now known: its rules, its patient and
    the suppressions it asked for. Returns (feedback items linked, suppressions created)."""
    fb = models.feedback.c
    query = select(models.feedback).where(fb.unknown_card.is_(True), fb.card_uuid.in_(set(card_uuids)))
    waiting = [dict(row._mapping) for row in await connection.execute(query)]
    cards = await _cards(connection, [row["card_uuid"] for row in waiting]) if waiting else {}
    linked = suppressions = 0
    for row in waiting:
        card = cards.get(row["card_uuid"])
        if card is None:
            continue
        rules, patient = card
        await connection.execute(
            update(models.feedback).where(fb.id == row["id"]).values(unknown_card=False, patient_hash=patient)
        )
        await _insert(connection, models.feedback_rules, [{"feedback_id": row["id"], "rule_id": r} for r in rules])
        made = _suppression_rows({**row, "patient_hash": patient}, rules) if row["outcome"] == "overridden" else []
        await _insert(connection, models.suppressions, made)
        linked, suppressions = linked + 1, suppressions + len(made)
    return linked, suppressions


async def lock_for_linking(connection: AsyncConnection, *, exclusive: bool) -> None:
    """On PostgreSQL, audit writes (shared) and feedback writes (exclusive) of all replicas take one
    advisory lock per schema, so feedback and its card's audit never miss each other in two concurrent
    transactions (each would otherwise not see the other's uncommitted rows). SQLite writes one at a time."""
    if connection.dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        await connection.execute(text(f"SELECT {function}(:key, hashtext(current_schema()))"), {"key": LINK_LOCK_KEY})


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
