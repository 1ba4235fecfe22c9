"""Indexes for the day's list: a case's messages by direction and status, fired triggers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Per open case, "when did we last send?", "does a message wait to go?" and "is the
    # customer's mail answered?" are read from the index alone (sent_at included).
    op.create_index(
        "ix_messages_case_status", "messages", ["case_id", "direction", "status", "sent_at"]
    )
    # Fired triggers are a few among a million events: found by kind, not case by case.
    op.create_index("ix_events_kind_case", "events", ["kind", "case_id"])


def downgrade() -> None:
    op.drop_index("ix_events_kind_case", table_name="events")
    op.drop_index("ix_messages_case_status", table_name="messages")
