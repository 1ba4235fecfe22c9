"""Practice sessions: rehearsals against a simulated customer.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from frankly.store.models import JSONType, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id")),
        sa.Column("trainee", sa.String(320), nullable=False),
        sa.Column("scenario", sa.String(80), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("temperament", sa.String(64), nullable=False),
        sa.Column("state", JSONType, nullable=False),
        sa.Column("turns", JSONType, nullable=False),
        sa.Column("outcome", sa.String(20)),
        sa.Column("score", sa.Integer),
        sa.Column("ratings", JSONType),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime),
    )
    op.create_index("ix_practice_sessions_trainee", "practice_sessions", ["trainee", "id"])


def downgrade() -> None:
    op.drop_index("ix_practice_sessions_trainee", table_name="practice_sessions")
    op.drop_table("practice_sessions")
