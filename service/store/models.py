"""The store's tables (SQLAlchemy Core). The schema itself is created by the Alembic migrations in
`migrations/versions/`; these definitions must match them (a test compares the two).

No column holds a patient identifier, a name or a FHIR resource: the patient is `patient_hash` only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

from service.store.records import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always goes in and comes out as tz-aware UTC, also on SQLite (which has no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


calls = Table(
    "audit_calls",
    metadata,
    # id: the record id given at enqueue time, which makes spool replay idempotent.
    Column("id", String(36), primary_key=True),
    Column("hook_instance", String(200), nullable=False),
    Column("service_id", String(200), nullable=False),
    Column("hook", String(100), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False, index=True),
    Column("latency_ms", Float, nullable=False),
    Column("patient_hash", String(64), nullable=False),
    Column("sources", JSON, nullable=False),
    Column("errors", JSON, nullable=False),
)

call_rules = Table(
    "audit_rules",
    metadata,
    Column("call_id", String(36), ForeignKey("audit_calls.id", ondelete="CASCADE"), primary_key=True),
    Column("rule_id", String(200), primary_key=True),
    Column("rule_version", Integer, nullable=False),
    Column("fired", Boolean, nullable=False),
    Index("ix_audit_rules_rule_id_fired", "rule_id", "fired"),
)

cards = Table(
    "audit_cards",
    metadata,
    Column("call_id", String(36), ForeignKey("audit_calls.id", ondelete="CASCADE"), primary_key=True),
    Column("uuid", String(200), primary_key=True),
    Column("indicator", String(20), nullable=False),
    Column("patient_hash", String(64), nullable=False),
    Column("rules", JSON, nullable=False),
    Index("ix_audit_cards_uuid", "uuid"),
)

feedback = Table(
    "feedback",
    metadata,
    # id: the idempotency key (hashing.feedback_key), so the same feedback posted twice is one row.
    Column("id", String(64), primary_key=True),
    Column("service_id", String(200), nullable=False),
    Column("card_uuid", String(200), nullable=False, index=True),
    Column("outcome", String(20), nullable=False),
    Column("outcome_at", UTCDateTime(), nullable=False, index=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("reason_code", String(200), nullable=True),
    Column("reason_system", String(500), nullable=True),
    Column("reason_display", String(500), nullable=True),
    Column("user_comment", Text, nullable=True),
    Column("accepted_suggestions", JSON, nullable=False),
    Column("unknown_card", Boolean, nullable=False),
    Column("patient_hash", String(64), nullable=True),
    # the days of suppression this item asks for (a suppressing override), kept while its card is unknown:
    # the suppression is made when the card's audit arrives (feedback can reach one replica first)
    Column("suppression_days", Integer, nullable=True),
)

feedback_rules = Table(
    "feedback_rules",
    metadata,
    Column("feedback_id", String(64), ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True),
    Column("rule_id", String(200), primary_key=True, index=True),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_hash", String(64), nullable=False),
    Column("rule_id", String(200), nullable=False),
    Column("reason_code", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
    Column("lifted", Boolean, nullable=False),
    Column("feedback_id", String(64), ForeignKey("feedback.id", ondelete="SET NULL"), nullable=True),
    Index("ix_suppressions_patient_hash_until", "patient_hash", "until"),
)

token_uses = Table(
    "token_uses",
    metadata,
    # key: SHA-256 of the issuer and the token's jti; a row lives until the token expires (replay protection)
    Column("key", String(64), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)

deployment_facts = Table(
    "deployment_facts",
    metadata,
    # what every replica must agree on, e.g. the audit secret's fingerprint (a keyed hash, never the secret)
    Column("name", String(100), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
)
