"""Accounts: server-side sessions, sign-in throttles, token scopes and expiry; the session
signing key leaves the database.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from frankly.store.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("ip", sa.String(64)),
    )
    op.create_index("ix_web_sessions_agent_id", "web_sessions", ["agent_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", UTCDateTime),
    )
    op.add_column(
        "api_tokens", sa.Column("scope", sa.String(10), nullable=False, server_default="write")
    )
    op.add_column("api_tokens", sa.Column("expires_at", UTCDateTime))
    # Tokens made before scopes could write: they keep that, and expire 90 days from now
    # (not from their creation, so no integration stops on the day of the upgrade).
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=90)).replace(tzinfo=None)
    op.get_bind().execute(
        sa.text("UPDATE api_tokens SET expires_at = :at WHERE expires_at IS NULL"),
        {"at": expires},
    )
    # The signing key now lives outside the database (FRANKLY_SECRET_KEY or a 0600 file):
    # whoever could read the database could forge sessions with the stored one.
    op.get_bind().execute(sa.text("DELETE FROM web_settings WHERE name = 'secret_key'"))


def downgrade() -> None:
    # In place (SQLite 3.35+): a batch copy would re-create the table, which the
    # foreign keys pointing at it refuse.
    op.drop_column("api_tokens", "expires_at")
    op.drop_column("api_tokens", "scope")
    op.drop_table("login_throttle")
    op.drop_index("ix_web_sessions_agent_id", "web_sessions")
    op.drop_table("web_sessions")
