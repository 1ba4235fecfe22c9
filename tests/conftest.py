"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

``db`` is parametrised over both engines, so every test that takes it runs twice and
the report shows ``[sqlite]`` and ``[postgresql]``. ``sqlite_db`` is for tests where the
engine does not matter. ``demo_db`` is a copy of the demo business with staff passwords
set (``DEMO_PASSWORD``), built once per test session.

Hypothesis runs derandomized (the same examples on every run and every machine) and with
no deadline: a busy machine makes an example slow, never wrong.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from frankly.store import Database

from .helpers import DEMO_PASSWORD
from .pgserver import PostgresServer, start_server

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Cheap argon2 parameters (honoured only under pytest): sign-ins in tests stay fast.
os.environ.setdefault("FRANKLY_TEST_CHEAP_HASHES", "1")
# The compiled-rules cache of this test session, not the user's (removed at exit).
_RULES_CACHE = tempfile.mkdtemp(prefix="frankly-test-cache-")
atexit.register(shutil.rmtree, _RULES_CACHE, ignore_errors=True)
os.environ["FRANKLY_CACHE_DIR"] = _RULES_CACHE

_counter = itertools.count()


settings.register_profile(
    "frankly",
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "frankly"))


def pytest_report_header(config: pytest.Config) -> str:
    return "databases: sqlite and postgresql (throwaway server started by the tests)"


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's own Frankly data."""
    monkeypatch.setenv("FRANKLY_DATA_DIR", str(tmp_path_factory.mktemp("frankly-data")))
    for name in ("FRANKLY_DATABASE_URL", "FRANKLY_PLAYBOOKS_DIRS", "FRANKLY_RULES_DIRS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    _checkpoint(path)
    return path


def _checkpoint(path: Path) -> None:
    # Fold the write-ahead log into the file so a plain copy carries everything.
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo business (its incident and cadence included) with ``DEMO_PASSWORD`` for
    every staff member, loaded once per session: loading it and hashing the passwords is
    most of a web test's set-up. The demo is dated from the moment it is loaded, so a copy
    is at most as old as the session."""
    from frankly import cases
    from frankly.accounts import set_password
    from frankly.demo import load_demo

    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    try:
        load_demo(db)
        for agent in cases.list_agents(db):
            set_password(db, agent.id, DEMO_PASSWORD)
    finally:
        db.dispose()
    _checkpoint(path)
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh copy of the demo business on SQLite, staff passwords set."""
    database = _sqlite_db(demo_template, tmp_path)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    if os.environ.get("FRANKLY_TEST_PG") == "0":
        pytest.skip("FRANKLY_TEST_PG=0: PostgreSQL tests skipped on purpose")
    server = start_server()
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE frankly_template"))
    admin.dispose()
    template = Database(server.url_for("frankly_template"))
    template.upgrade()
    template.dispose()
    try:
        yield server
    finally:
        server.stop()


def _sqlite_db(template: Path, folder: Path) -> Database:
    path = folder / f"test-{next(_counter)}.db"
    shutil.copyfile(template, path)
    return Database(f"sqlite:///{path}")


def _pg_db(server: PostgresServer) -> tuple[Database, str]:
    name = f"test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE frankly_template"))
    admin.dispose()
    return Database(server.url_for(name)), name


def _drop_pg(server: PostgresServer, name: str) -> None:
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        database = _sqlite_db(request.getfixturevalue("sqlite_template"), tmp_path)
        yield database
        database.dispose()
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    database, name = _pg_db(server)
    try:
        yield database
    finally:
        database.dispose()
        _drop_pg(server, name)


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite database (for tests where the engine does not matter)."""
    database = _sqlite_db(sqlite_template, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def use_db(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    """``db``, also made the configured database for the CLI and ``create_app()``."""
    monkeypatch.setenv("FRANKLY_DATABASE_URL", db.url)
    return db


@pytest.fixture
def use_sqlite_db(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("FRANKLY_DATABASE_URL", sqlite_db.url)
    return sqlite_db


@pytest.fixture
def pg_db(pg_server: PostgresServer) -> Iterator[Database]:
    """A fresh, migrated PostgreSQL database (for what only PostgreSQL has)."""
    database, name = _pg_db(pg_server)
    try:
        yield database
    finally:
        database.dispose()
        _drop_pg(pg_server, name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each database, so CI shows both engines ran."""
    counts = {"sqlite": 0, "postgresql": 0}
    for report in terminalreporter.stats.get("passed", []):
        for engine in counts:
            params = report.nodeid.rpartition("[")[2].rstrip("]").split("-")
            if "[" in report.nodeid and engine in params:
                counts[engine] += 1
    terminalreporter.write_line(
        f"database tests passed: {counts['sqlite']} on SQLite, {counts['postgresql']} on PostgreSQL"
    )


@pytest.fixture(scope="module", params=["accelerated", "pure-python"])
def checker_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a checker test module twice: with the C accelerator (when built) and in pure Python
    (``pytestmark = pytest.mark.usefixtures("checker_path")``).
    """
    from frankly.check import _accel

    saved = _accel.speedups
    if request.param == "accelerated" and saved is None:
        pytest.skip("the C accelerator is not built, or FRANKLY_PURE_PYTHON is set")
    if request.param == "pure-python":
        _accel.speedups = None
    yield request.param
    _accel.speedups = saved
