"""Sent once and sent checked: a draft's client key and the hash of the text the gate passed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The composer's key for one draft: a double-click or a retried POST finds the
    # message the first request made instead of making a second one.
    op.add_column("messages", sa.Column("client_key", sa.String(64), nullable=True))
    # SHA-256 of the subject and body the sending gate checked; the worker sends
    # nothing whose text does not match it.
    op.add_column("messages", sa.Column("checked_sha256", sa.String(64), nullable=True))
    op.create_index(
        "ux_messages_case_client_key", "messages", ["case_id", "client_key"], unique=True
    )
    # Messages already queued were approved before the gate existed: they keep going out.
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, subject, body FROM messages WHERE direction = 'out' "
            "AND status IN ('queued', 'sending')"
        )
    ).all()
    for row in rows:
        connection.execute(
            sa.text("UPDATE messages SET checked_sha256 = :h WHERE id = :id"),
            {"h": text_sha256(row.subject, row.body), "id": row.id},
        )


def text_sha256(subject: str | None, body: str | None) -> str:
    # Kept in step with frankly.cases._gate.text_sha256 (a migration may not import the app).
    data = f"{subject or ''}\x00{body or ''}".encode()
    return hashlib.sha256(data).hexdigest()


def downgrade() -> None:
    op.drop_index("ux_messages_case_client_key", table_name="messages")
    # In place (SQLite 3.35+): a batch copy would re-create the table, which the
    # foreign keys pointing at it refuse.
    op.drop_column("messages", "checked_sha256")
    op.drop_column("messages", "client_key")
