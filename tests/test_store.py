"""The store: migrations match the models, and the paper trail cannot be edited."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from frankly import DatabaseUnavailable, InvalidInput, cases
from frankly.store import Base, Database


def _case_with_events(db: Database) -> int:
    customer = cases.add_customer(db, name="Ana Ruiz", email="ana@example.com", language="es")
    case = cases.open_case(db, customer_id=customer.id, kind="late_delivery", title="Late")
    cases.add_note(db, case.id, "Called the carrier")
    return case.id


def test_migrations_create_exactly_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diffs == []
    assert db.current_revision() == db.head_revision()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET kind = 'note_added'",
        "UPDATE events SET payload = '{}'",
        "DELETE FROM events",
    ],
)
def test_events_cannot_be_updated_or_deleted_with_plain_sql(db: Database, statement: str) -> None:
    case_id = _case_with_events(db)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text(statement))
    view = cases.show_case(db, case_id)
    assert [e.kind for e in view.events] == ["case_opened", "note_added"]
    assert view.events[1].payload == {"text": "Called the carrier"}


def test_truncating_events_is_refused_on_postgresql(pg_db: Database) -> None:
    _case_with_events(pg_db)
    with pytest.raises(DBAPIError, match="append-only"), pg_db.engine.begin() as connection:
        connection.execute(text("TRUNCATE events CASCADE"))


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_upgrade_is_idempotent(db: Database) -> None:
    db.upgrade()
    db.upgrade()
    assert db.current_revision() == db.head_revision()


def test_unreachable_database_is_a_clear_error() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    with pytest.raises(DatabaseUnavailable, match=r"Cannot reach the database.*127\.0\.0\.1:1"):
        db.upgrade()


def test_unsupported_database_url_is_refused() -> None:
    with pytest.raises(InvalidInput, match="SQLite or PostgreSQL"):
        Database("mysql://localhost/x")
    with pytest.raises(InvalidInput, match="Not a database URL"):
        Database("not a url")


def test_default_database_lives_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("FRANKLY_DATA_DIR", str(tmp_path / "here"))
    db = Database()
    db.upgrade()
    assert (tmp_path / "here" / "frankly.db").exists()
