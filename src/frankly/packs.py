"""Language packs: one folder per language holds all of that language's data.

A pack is a folder named by its ISO 639 code (``en``, ``es``, ``fr``...) with a ``pack.yml``
(name, native name, Babel locale) and any of these files::

    rules/*.yml          the candour checker's rules (schema: data/rules/schema.json)
    triage/lexicon.yml   triage cues; kinds.yml, risks.yml, advice.yml, seeds.yml beside it
    triage/model/        a trained word model for this language (optional)
    cadence.yml          the cadence's words (the day's list, reminders)
    incidents.yml        the words of incident pages and notices
    policies.yml         policy texts
    playbooks.yml        the playbooks' formats and common phrases
    playbooks/<kind>.yml the playbook texts of this language for one kind of case
    promises.yml         the words the composer uses to read and write promises
    interface.yml        the agent interface's words (English words -> this language's)

The built-in packs live in ``frankly/data/lang/``; a business adds its own from folders named
in ``FRANKLY_LANGUAGE_DIRS`` (separated like ``PATH``), each holding pack folders. A business
pack with the code of a built-in one adds to it: its files replace the built-in files of the
same name (its rules are added, a rule with the same id replacing the built-in one).

The set of languages Frankly accepts (for customers, agents, the checker, the composer and
the interface) is the set of installed packs: a new language is a new folder, not new code.
This module imports nothing of Frankly's own, so every layer may use it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

ENV_DIRS = "FRANKLY_LANGUAGE_DIRS"
PACK_FILE = "pack.yml"
# English first: it is the fallback everywhere, and the first choice offered in forms.
DEFAULT_LANGUAGE = "en"
_CODE = re.compile(r"^[a-z]{2,3}$")


class PackError(ValueError):
    """A language pack folder is malformed (a bad ``pack.yml``, an unreadable folder)."""


@dataclass(frozen=True, slots=True)
class Pack:
    """One language: its code, names, Babel locale and the folders that hold its data.

    ``folders`` runs from the built-in pack to the last business folder, so a later folder's
    file replaces an earlier one of the same name.
    """

    code: str
    name: str
    native_name: str
    locale: str
    folders: tuple[Path, ...]


def builtin_dir() -> Path:
    """The folder of the packs shipped with Frankly."""
    return Path(str(resources.files("frankly") / "data" / "lang"))


def business_dirs() -> tuple[Path, ...]:
    """The folders named in ``FRANKLY_LANGUAGE_DIRS``, in order."""
    value = os.environ.get(ENV_DIRS, "")
    return tuple(Path(part).expanduser() for part in value.split(os.pathsep) if part.strip())


def pack_dirs() -> tuple[Path, ...]:
    """Every folder packs are read from: the built-in one, then the business folders."""
    return (builtin_dir(), *business_dirs())


def _pack_folders(root: Path) -> list[Path]:
    """The pack folders in ``root``; ``root`` itself when it is one pack (has ``pack.yml``)."""
    if not root.is_dir():
        raise PackError(f"{root}: no such language pack folder (named in {ENV_DIRS})")
    if (root / PACK_FILE).is_file():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / PACK_FILE).is_file())


def _read_meta(folder: Path) -> dict[str, str]:
    path = folder / PACK_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PackError(f"{path}: cannot read the pack description: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PackError(f"{path}: must be a mapping with code, name, native_name and locale")
    code = str(data.get("code") or folder.name)
    if not _CODE.match(code):
        raise PackError(f"{path}: code {code!r} is not an ISO 639 code such as en or fr")
    meta = {key: str(data[key]) for key in ("name", "native_name", "locale") if data.get(key)}
    meta["code"] = code
    return meta


_CACHE: dict[tuple[Path, ...], dict[str, Pack]] = {}
_LOCK = threading.Lock()


def _scan(roots: tuple[Path, ...]) -> dict[str, Pack]:
    metas: dict[str, dict[str, str]] = {}
    folders: dict[str, list[Path]] = {}
    for root in roots:
        for folder in _pack_folders(root):
            meta = _read_meta(folder)
            code = meta["code"]
            # A later folder's names win; the folders accumulate (a business adds to a pack).
            metas[code] = {**metas.get(code, {}), **meta}
            folders.setdefault(code, []).append(folder)
    order = sorted(metas, key=lambda code: (code != DEFAULT_LANGUAGE, code))
    return {
        code: Pack(
            code=code,
            name=metas[code].get("name", code),
            native_name=metas[code].get("native_name", metas[code].get("name", code)),
            locale=metas[code].get("locale", code),
            folders=tuple(folders[code]),
        )
        for code in order
    }


def packs() -> dict[str, Pack]:
    """The installed packs by code, English first; cached per ``FRANKLY_LANGUAGE_DIRS``.

    Raises ``PackError`` naming the folder when a folder in the variable is missing or a
    ``pack.yml`` is malformed.
    """
    key = pack_dirs()
    found = _CACHE.get(key)
    if found is None:
        with _LOCK:
            found = _CACHE.get(key)
            if found is None:
                found = _scan(key)
                _CACHE[key] = found
    return found


def languages() -> tuple[str, ...]:
    """The codes of the installed packs (English first): the languages Frankly accepts."""
    return tuple(packs())


def pack(lang: str) -> Pack | None:
    """The pack of ``lang``, or None when no pack is installed for it."""
    return packs().get(lang)


def pack_file(lang: str, name: str) -> Path | None:
    """The file ``name`` (such as ``cadence.yml``) of ``lang``'s pack: the last folder's wins.

    None when the language has no pack or its pack has no such file.
    """
    found = pack_files(lang, name)
    return found[-1] if found else None


def pack_files(lang: str, name: str) -> list[Path]:
    """Every ``name`` file or folder of ``lang``'s pack, built-in first."""
    entry = packs().get(lang)
    if entry is None:
        return []
    return [folder / name for folder in entry.folders if (folder / name).exists()]


def languages_with(name: str) -> tuple[str, ...]:
    """The languages whose pack has the file or folder ``name``."""
    return tuple(code for code in packs() if pack_files(code, name))


def locale(lang: str) -> str:
    """The Babel locale of ``lang`` (the code itself when it has no pack)."""
    entry = packs().get(lang)
    return entry.locale if entry is not None else lang


def describe(lang: str) -> str:
    """The language's native name, for choices in forms (the code when it has no pack)."""
    entry = packs().get(lang)
    return entry.native_name if entry is not None else lang


def stamp() -> tuple[str, ...]:
    """A key that changes when the set of pack folders changes (for callers' own caches)."""
    return tuple(str(p) for p in pack_dirs())


def clear_cache() -> None:
    """Forget the scanned packs (tests; a long-running process after adding a pack)."""
    with _LOCK:
        _CACHE.clear()


class _Languages(Sequence[str]):
    """The installed languages as a live, read-only sequence: ``lang in LANGUAGES`` and
    ``", ".join(LANGUAGES)`` always see the packs installed now, so code that checks a
    language against it needs no change when a business adds a pack."""

    def __getitem__(self, index: Any) -> Any:
        return languages()[index]

    def __len__(self) -> int:
        return len(languages())

    def __contains__(self, value: object) -> bool:
        return value in packs()

    def __iter__(self) -> Iterator[str]:
        return iter(languages())

    def __repr__(self) -> str:
        return repr(languages())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Languages):
            return True
        return isinstance(other, tuple) and languages() == other

    __hash__ = None  # type: ignore[assignment]  # it changes with the installed packs


LANGUAGES: Sequence[str] = _Languages()
