"""Several replicas: used token ids (shared replay protection), deployment facts (the audit secret's
fingerprint) and the suppression a feedback item asks for while its card is not known yet.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "token_uses",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_token_uses"),
    )
    op.create_index("ix_token_uses_expires_at", "token_uses", ["expires_at"])

    op.create_table(
        "deployment_facts",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_deployment_facts"),
    )
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("suppression_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("suppression_days")
    op.drop_table("deployment_facts")
    op.drop_table("token_uses")
