"""The initial schema: audit of hook calls, feedback on cards, and rule suppressions.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_audit_tables()
    _create_feedback_tables()


def _create_audit_tables() -> None:
    """One row per hook call, with the rules it evaluated and the cards it returned."""
    op.create_table(
        "audit_calls",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("hook_instance", sa.String(200), nullable=False),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("hook", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("patient_hash", sa.String(64), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_calls"),
    )
    op.create_index("ix_audit_calls_received_at", "audit_calls", ["received_at"])

    op.create_table(
        "audit_rules",
        sa.Column("call_id", sa.String(36), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("fired", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["audit_calls.id"], name="fk_audit_rules_call_id_audit_calls", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("call_id", "rule_id", name="pk_audit_rules"),
    )
    op.create_index("ix_audit_rules_rule_id_fired", "audit_rules", ["rule_id", "fired"])

    op.create_table(
        "audit_cards",
        sa.Column("call_id", sa.String(36), nullable=False),
        sa.Column("uuid", sa.String(200), nullable=False),
        sa.Column("indicator", sa.String(20), nullable=False),
        sa.Column("patient_hash", sa.String(64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["audit_calls.id"], name="fk_audit_cards_call_id_audit_calls", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("call_id", "uuid", name="pk_audit_cards"),
    )
    op.create_index("ix_audit_cards_uuid", "audit_cards", ["uuid"])


def _create_feedback_tables() -> None:
    """Feedback on cards, the rules it concerns, and the suppressions it made."""
    op.create_table(
        "feedback",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("card_uuid", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason_code", sa.String(200), nullable=True),
        sa.Column("reason_system", sa.String(500), nullable=True),
        sa.Column("reason_display", sa.String(500), nullable=True),
        sa.Column("user_comment", sa.Text(), nullable=True),
        sa.Column("accepted_suggestions", sa.JSON(), nullable=False),
        sa.Column("unknown_card", sa.Boolean(), nullable=False),
        sa.Column("patient_hash", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
    )
    op.create_index("ix_feedback_card_uuid", "feedback", ["card_uuid"])
    op.create_index("ix_feedback_outcome_at", "feedback", ["outcome_at"])

    op.create_table(
        "feedback_rules",
        sa.Column("feedback_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name="fk_feedback_rules_feedback_id_feedback", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("feedback_id", "rule_id", name="pk_feedback_rules"),
    )
    op.create_index("ix_feedback_rules_rule_id", "feedback_rules", ["rule_id"])

    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("patient_hash", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("reason_code", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted", sa.Boolean(), nullable=False),
        sa.Column("feedback_id", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name="fk_suppressions_feedback_id_feedback", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_suppressions"),
    )
    op.create_index("ix_suppressions_patient_hash_until", "suppressions", ["patient_hash", "until"])


def downgrade() -> None:
    op.drop_table("suppressions")
    op.drop_table("feedback_rules")
    op.drop_table("feedback")
    op.drop_table("audit_cards")
    op.drop_table("audit_rules")
    op.drop_table("audit_calls")
