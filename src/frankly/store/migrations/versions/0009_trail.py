"""The tamper-evident paper trail: a hash chain on events, sealed messages.

Adds ``events.prev_hash`` and ``events.hash`` (the chain; existing events keep NULL), the
``trail_start`` row saying at which event and message ids the chain starts, an index to
find a case's last event in one probe, and triggers that refuse to change the body,
subject or recipient of a message once it left ``draft`` or to delete such a message.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from frankly.store.models import UTCDateTime, utcnow

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SEALED = "the body, subject and recipient of a message are sealed once it is approved"
UNDELETABLE = "a message that left draft is part of the paper trail: it cannot be deleted"


def upgrade() -> None:
    bind = op.get_bind()
    # Plain ADD COLUMN (no batch copy of the table): SQLite would drop the table's
    # append-only triggers with a copy, and a million events need no rewrite.
    op.add_column("events", sa.Column("prev_hash", sa.String(64)))
    op.add_column("events", sa.Column("hash", sa.String(64)))
    # (case_id, id) answers "the last event of this case" from the index alone; it makes the
    # single-column index on case_id redundant.
    op.create_index("ix_events_case_id_id", "events", ["case_id", "id"])
    op.drop_index("ix_events_case_id", table_name="events")
    trail_start = op.create_table(
        "trail_start",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("last_event_before", sa.Integer, nullable=False),
        sa.Column("last_message_before", sa.Integer, nullable=False),
    )
    last_event = bind.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM events")).scalar()
    last_message = bind.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM messages")).scalar()
    op.bulk_insert(
        trail_start,
        [
            {
                "id": 1,
                "started_at": utcnow(),
                "last_event_before": int(last_event or 0),
                "last_message_before": int(last_message or 0),
            }
        ],
    )
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER messages_sealed BEFORE UPDATE OF body, subject, recipient "
            "ON messages WHEN OLD.status <> 'draft' AND (NEW.body IS NOT OLD.body "
            "OR NEW.subject IS NOT OLD.subject OR NEW.recipient IS NOT OLD.recipient) "
            f"BEGIN SELECT RAISE(ABORT, '{SEALED}'); END"
        )
        op.execute(
            "CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages "
            f"WHEN OLD.status <> 'draft' BEGIN SELECT RAISE(ABORT, '{UNDELETABLE}'); END"
        )
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trail_start_no_{action.lower()} BEFORE {action} ON trail_start "
                "BEGIN SELECT RAISE(ABORT, 'trail_start is append-only'); END"
            )
        return
    op.execute(
        f"""
        CREATE FUNCTION frankly_message_sealed() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.status <> 'draft' THEN
                    RAISE EXCEPTION 'message %: {UNDELETABLE}', OLD.id
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN OLD;
            END IF;
            IF OLD.status <> 'draft' AND (NEW.body IS DISTINCT FROM OLD.body
                    OR NEW.subject IS DISTINCT FROM OLD.subject
                    OR NEW.recipient IS DISTINCT FROM OLD.recipient) THEN
                RAISE EXCEPTION 'message % is %: {SEALED}', OLD.id, OLD.status
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    # UPDATE OF: delivery's status/attempts/error updates do not even call the function.
    op.execute(
        "CREATE TRIGGER messages_sealed BEFORE UPDATE OF body, subject, recipient ON messages "
        "FOR EACH ROW EXECUTE FUNCTION frankly_message_sealed()"
    )
    op.execute(
        "CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages "
        "FOR EACH ROW EXECUTE FUNCTION frankly_message_sealed()"
    )
    # The generic refusal of the first migration (it names the table).
    op.execute(
        "CREATE TRIGGER trail_start_append_only BEFORE UPDATE OR DELETE ON trail_start "
        "FOR EACH ROW EXECUTE FUNCTION frankly_append_only()"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in (
            "messages_sealed",
            "messages_no_delete",
            "trail_start_no_update",
            "trail_start_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS trail_start_append_only ON trail_start")
        op.execute("DROP TRIGGER IF EXISTS messages_no_delete ON messages")
        op.execute("DROP TRIGGER IF EXISTS messages_sealed ON messages")
        op.execute("DROP FUNCTION IF EXISTS frankly_message_sealed()")
    op.drop_table("trail_start")
    op.create_index("ix_events_case_id", "events", ["case_id"])
    op.drop_index("ix_events_case_id_id", table_name="events")
    # SQLite >= 3.35 drops columns in place (no batch copy that would lose the triggers).
    op.drop_column("events", "hash")
    op.drop_column("events", "prev_hash")
