"""Incidents: the incident, its affected customers' cases, its updates and their notices.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from frankly.store.models import JSONType, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("title", JSONType, nullable=False),
        sa.Column("impact", JSONType, nullable=False),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("agents.id")),
        sa.Column("update_every_minutes", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("next_update_due_at", UTCDateTime),
        sa.Column("resolved_at", UTCDateTime),
        sa.Column("selection", JSONType, nullable=False),
        sa.Column("review", JSONType),
        sa.Column("review_published_at", UTCDateTime),
        sa.Column("followed_up_at", UTCDateTime),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_incidents_status_due", "incidents", ["status", "next_update_due_at"])
    op.create_table(
        "incident_cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("opened_by_incident", sa.Boolean, nullable=False),
        sa.Column("linked_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("incident_id", "customer_id", name="uq_incident_customer"),
        sa.UniqueConstraint("incident_id", "case_id", name="uq_incident_case"),
    )
    op.create_index("ix_incident_cases_case_id", "incident_cases", ["case_id"])
    op.create_table(
        "incident_updates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("texts", JSONType, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("next_update_at", UTCDateTime),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.Column("author", sa.String(320), nullable=False),
        sa.Column("notices_queued", sa.Integer, nullable=False),
        sa.Column("notices_skipped", sa.Integer, nullable=False),
        sa.Column("request_key", sa.String(64)),
        sa.UniqueConstraint("incident_id", "seq", name="uq_incident_update_seq"),
        sa.UniqueConstraint("incident_id", "request_key", name="uq_incident_update_request"),
    )
    op.create_table(
        "incident_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("update_id", sa.Integer, sa.ForeignKey("incident_updates.id"), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), unique=True),
        sa.Column("skipped", sa.String(40)),
        sa.UniqueConstraint("update_id", "customer_id", name="uq_incident_notice"),
    )


def downgrade() -> None:
    op.drop_table("incident_notices")
    op.drop_table("incident_updates")
    op.drop_index("ix_incident_cases_case_id", "incident_cases")
    op.drop_table("incident_cases")
    op.drop_index("ix_incidents_status_due", "incidents")
    op.drop_table("incidents")
