"""Indexes for the day's list at scale: an agent's cases by state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Today reads one agent's open (and resolved) cases out of years of closed ones.
    op.create_index("ix_cases_owner_state", "cases", ["owner_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_cases_owner_state", table_name="cases")
