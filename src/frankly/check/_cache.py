"""A compiled-rules cache on disk, so a fresh ``frankly check`` skips parsing and compiling.

Compiling a language's rules (YAML, phrase expansion, the automaton) costs about a tenth of a
second; a one-line check costs far less. Each language's compiled pack is stored in the cache
folder (``FRANKLY_CACHE_DIR``, else ``$XDG_CACHE_HOME/frankly``, else ``~/.cache/frankly``)
under a name that hashes everything the compiled form depends on: Frankly's version, the
compiling code, the schema, the language's text profile and every rule file's path, size and
modification time. A changed file gives a new name, so a stale entry is never read. A missing,
corrupt or unreadable entry means "compile"; a folder that cannot be written means "do not
cache": never an error.

The entries are pickles. Unpickling runs code named in the data, so only files this module
wrote are read: the cache folder is the user's own (created 0700, entries 0600, entries owned
by another user are skipped), the same trust as the user's own Python files.
"""

from __future__ import annotations

import os
import pickle
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from frankly import __version__
from frankly.check import _accel

CACHE_ENV = "FRANKLY_CACHE_DIR"
# Bumped when the pickled layout changes, so an older layout is never read.
_LAYOUT = "1"
# Entries kept per language (one per set of rule folders in use).
_KEEP = 8


def cache_dir() -> Path:
    """The folder compiled rules are cached in (it need not exist yet)."""
    named = os.environ.get(CACHE_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "frankly"


class Key(str):
    """Everything a compiled pack depends on, spelt out; ``name`` is its entry's file name."""

    __slots__ = ()

    @property
    def name(self) -> str:
        language = self.split("\0", 3)[2]
        data = self.encode("utf-8", "surrogateescape")
        # Two checksums name the entry (hashlib costs more to import than the whole lookup);
        # the full key is stored inside and compared, so a collision is only a cache miss.
        return f"rules-{language}-{zlib.crc32(data):08x}{zlib.adler32(data):08x}.pickle"


def key(language: str, files: Iterable[Path], extra: Iterable[str] = ()) -> Key | None:
    """The key of ``language`` compiled from ``files``; None when a file cannot be read (the
    compile then reports it)."""
    here = Path(__file__).parent
    parts = [_LAYOUT, __version__, language, str(_accel.accelerated()), *extra]
    # The compiling code itself: an edited checker must not read what an older one wrote.
    for path in (here / "_rules.py", here / "_cache.py", *files):
        try:
            st = path.stat()
        except OSError:
            return None
        parts.append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}")
    return Key("\0".join(parts))


def load(key: Key) -> Any | None:
    """The object stored under ``key``, or None (absent, corrupt, not ours, unreadable)."""
    path = cache_dir() / key.name
    try:
        with open(path, "rb") as handle:
            if hasattr(os, "getuid") and os.fstat(handle.fileno()).st_uid != os.getuid():
                return None
            # Safe to unpickle: a file this module wrote in the user's own cache folder.
            stored, value = pickle.load(handle)
    except Exception:  # any failure to read the cache means: compile
        return None
    return value if stored == str(key) else None


def store(key: Key, value: Any) -> None:
    """Write ``value`` under ``key`` atomically (temp file, then rename); errors are ignored."""
    # Imported here: only a cache miss writes, and tempfile is slow to import.
    import tempfile

    folder = cache_dir()
    name = key.name
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = pickle.dumps((str(key), value), protocol=pickle.HIGHEST_PROTOCOL)
        # mkstemp creates the file 0600; the rename makes a half-written entry impossible.
        fd, temp = tempfile.mkstemp(prefix=".rules-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, folder / name)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except Exception:  # an unwritable or full cache folder: just do not cache
        return
    _prune(folder, name)


def _prune(folder: Path, kept: str) -> None:
    """Keep the few newest entries of a language: older ones came from since-edited files
    (a few stay, for processes that name other rule folders)."""
    prefix = kept.rsplit("-", 1)[0] + "-"
    try:
        entries = sorted(
            folder.glob(prefix + "*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True
        )
        for old in entries[_KEEP:]:
            if old.name != kept:
                old.unlink(missing_ok=True)
    except OSError:
        return
