"""Inbound mail from strangers: customers' extra contact addresses and a review queue.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from frankly.store.models import JSONType, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("contacts", JSONType, nullable=True))
    op.create_table(
        "inbound_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("matched_by", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False, unique=True),
        sa.Column("in_reply_to", sa.String(300), nullable=True),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("sender_name", sa.String(200), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=True),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("triage", JSONType, nullable=True),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("decided_by", sa.String(320), nullable=True),
        sa.Column("accepted_message_id", sa.Integer(), sa.ForeignKey("messages.id"), nullable=True),
    )
    op.create_index("ix_inbound_reviews_status", "inbound_reviews", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_inbound_reviews_status", table_name="inbound_reviews")
    op.drop_table("inbound_reviews")
    # In place (SQLite 3.35+): a batch copy would re-create the table, which the
    # foreign keys pointing at it refuse.
    op.drop_column("customers", "contacts")
