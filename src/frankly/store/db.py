"""Opening the database, migrating it, and running one transaction at a time."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.orm import Session, sessionmaker

from frankly import config
from frankly.errors import DatabaseUnavailable, InvalidInput

MIGRATIONS = Path(__file__).parent / "migrations"


class Database:
    """One Frankly database: an engine, a session factory and the migrations.

    ``Database(url)`` does not connect; the first query or ``upgrade()`` does, and an
    unreachable database raises ``DatabaseUnavailable`` with the reason.
    """

    def __init__(self, url: str | None = None, *, echo: bool = False) -> None:
        self.url = url or config.database_url()
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise InvalidInput(f"Not a database URL: {self.url!r}") from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise InvalidInput(
                f"Frankly runs on SQLite or PostgreSQL, not {self.dialect!r} ({self.url})"
            )
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:" and not database.startswith("file:"):
                _private_sqlite_file(Path(database).expanduser())
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"connect_timeout": 5}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # pysqlite's own transaction handling defers BEGIN; take control of it so
            # that a transaction holds its write lock from the start (no lost updates).
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        try:
            session = self._sessions()
        except OperationalError as exc:  # pragma: no cover - creating a session is lazy
            raise self._unavailable(exc) from exc
        try:
            with session.begin():
                yield session
        except OperationalError as exc:
            if _is_connection_error(exc):
                raise self._unavailable(exc) from exc
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only; nothing it does is committed."""
        with self.transaction() as session:
            yield session

    def alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        """Create or migrate the schema to ``revision``."""
        cfg = self.alembic_config()
        try:
            with self.engine.begin() as connection:
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, revision)
        except (OperationalError, SADatabaseError) as exc:
            if _is_connection_error(exc):
                raise self._unavailable(exc) from exc
            raise

    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except OperationalError as exc:
            raise self._unavailable(exc) from exc

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def ping(self) -> None:
        """Raise ``DatabaseUnavailable`` unless the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except (OperationalError, SADatabaseError) as exc:
            raise self._unavailable(exc) from exc

    def dispose(self) -> None:
        self.engine.dispose()

    def _unavailable(self, exc: Exception) -> DatabaseUnavailable:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        safe = make_url(self.url).render_as_string(hide_password=True)
        return DatabaseUnavailable(f"Cannot reach the database {safe}: {reason}")


def _private_sqlite_file(path: Path) -> None:
    """The database file and its -wal and -shm companions readable by this user only.

    SQLite gives the companions the main file's rights, so creating the file 0600 before
    the first connection covers all three; an existing one is tightened.
    """
    config.ensure_private_dir(path.parent)
    if not path.exists():
        # FileExistsError: made by another process a moment ago.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        config.make_private(companion)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _is_connection_error(exc: Exception) -> bool:
    text_ = str(getattr(exc, "orig", exc)).lower()
    return any(
        marker in text_
        for marker in (
            "connection",
            "could not connect",
            "unable to open database",
            "could not translate host",
            "timeout expired",
            "no such host",
            "password authentication",
            "does not exist",
        )
    )
