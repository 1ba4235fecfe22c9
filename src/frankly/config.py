"""Where Frankly keeps its data and how it reaches its database.

Everything is read from the environment at call time, so tests and the CLI can point
one process at another database without restarting anything.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "frankly"


def ensure_private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) readable by this user only (0700).

    A folder Frankly makes is created 0700; its own data folder is tightened to 0700 when
    it already exists with wider rights (the database, the key and the mail are in it).
    """
    path = Path(path).expanduser()
    if not path.exists():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
    elif _is_ours(path) and path.resolve() == data_dir().expanduser().resolve():
        make_private(path, 0o700)
    return path


def make_private(path: Path, mode: int = 0o600) -> None:
    """Give a file of ours ``mode`` (0600: this user only) when it has wider rights."""
    try:
        if _is_ours(path) and path.stat().st_mode & 0o777 & ~mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass


def _is_ours(path: Path) -> bool:
    try:
        return not hasattr(os, "getuid") or path.stat().st_uid == os.getuid()
    except FileNotFoundError:
        return False


def data_dir() -> Path:
    """The folder for the default SQLite database (``FRANKLY_DATA_DIR`` overrides it)."""
    return Path(os.environ.get("FRANKLY_DATA_DIR") or DEFAULT_DATA_DIR)


def database_url() -> str:
    """The database to use: ``FRANKLY_DATABASE_URL``, or SQLite in the data folder."""
    url = os.environ.get("FRANKLY_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'frankly.db'}"


def extra_dirs(variable: str) -> list[Path]:
    """Folders named in an environment variable, separated like ``PATH``."""
    value = os.environ.get(variable, "")
    return [Path(part) for part in value.split(os.pathsep) if part.strip()]


DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def base_url() -> str:
    """Where the public reaches this Frankly (``FRANKLY_BASE_URL``, no trailing slash).

    Links in feeds and pages are built from it, never from the request's Host header,
    which any client can set. A value that is not an http(s) address is ignored.
    """
    from urllib.parse import urlsplit

    value = (os.environ.get("FRANKLY_BASE_URL") or "").strip().rstrip("/")
    parts = urlsplit(value) if value else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return DEFAULT_BASE_URL
    if any(ch in value for ch in "\r\n\t <>\"'"):
        return DEFAULT_BASE_URL
    return value
