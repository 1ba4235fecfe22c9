"""Cadence and delivery: the outbox, milestones, scheduled steps, discount codes, reviews.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from frankly.store.models import JSONType, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=False, unique=True
        ),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("locked_by", sa.String(120)),
        sa.Column("locked_until", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_outbox_state_next", "outbox", ["state", "next_attempt_at"])
    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("happened_at", UTCDateTime, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("source", sa.String(320), nullable=False),
        sa.Column("update_message_id", sa.Integer, sa.ForeignKey("messages.id")),
        sa.UniqueConstraint("case_id", "code", "happened_at", name="uq_milestone"),
    )
    op.create_index("ix_milestones_case_id", "milestones", ["case_id"])
    op.create_table(
        "scheduled_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("auto_send", sa.Boolean, nullable=False),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id")),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("done_at", UTCDateTime),
        sa.UniqueConstraint("case_id", "kind", "stage", name="uq_scheduled_step"),
    )
    op.create_index("ix_scheduled_steps_case_id", "scheduled_steps", ["case_id"])
    op.create_index("ix_scheduled_steps_due", "scheduled_steps", ["status", "due_at"])
    op.create_table(
        "discount_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("percent", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("redeemed_at", UTCDateTime),
        sa.Column("redeemed_by", sa.String(320)),
    )
    op.create_index("ix_discount_codes_case_id", "discount_codes", ["case_id"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("agents.id")),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("agents.id")),
        sa.Column("playbook", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("figures", JSONType, nullable=False),
        sa.Column("missed", sa.Text),
        sa.Column("why", sa.Text),
        sa.Column("changes", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("completed_at", UTCDateTime),
        sa.Column("completed_by", sa.String(320)),
    )
    op.create_index("ix_reviews_reviewer_id", "reviews", ["reviewer_id"])


def downgrade() -> None:
    for table in ("reviews", "discount_codes", "scheduled_steps", "milestones", "outbox"):
        op.drop_table(table)
