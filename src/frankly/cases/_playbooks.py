"""Where playbooks come from, in one place every edge uses.

``playbook_library(db)`` is the library of this business: the built-ins, the folders named
in ``FRANKLY_PLAYBOOKS_DIRS`` (or given as ``extra_dirs``), and the playbooks managers
uploaded, which are kept in the database so every process sees them. Web pages, the API,
the CLI, opening a case, drafting, the send gate, remedies and cadence all ask it, so a
playbook that one of them lists is one every other one can use.

The highest id of ``playbook_changes`` is the uploads' version: each call reads it (one
indexed query) and reloads the uploaded texts only when it moved, so an upload through one
process is seen by the next call in any other.

Playbooks a manager uploaded before they were kept in the database sit in the data
folder's ``playbooks/`` directory; the first call on a database that has no playbook change
yet imports them (an ``import`` change each) and from then on the database is the source.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frankly import config, packs
from frankly.cases._access import ROLE_RANK, Actor, NotAllowed, resolve
from frankly.errors import InvalidInput, NotFound
from frankly.playbooks import (
    Library,
    Playbook,
    PlaybookInvalid,
    Problem,
    load_library,
    validate_text,
)
from frankly.store import Database, utcnow
from frankly.store.playbook_models import PlaybookChange, PlaybookUpload

log = logging.getLogger("frankly.cases")
MAX_SOURCE = 512 * 1024
# The uploaded texts last read per database, with the version they were read at.
_cache: dict[str, tuple[tuple[Any, ...], tuple[tuple[str, str], ...]]] = {}
_lock = threading.Lock()
# Databases whose old data folder this process has tried to import (once is enough).
_tried: set[str] = set()


def legacy_dir() -> Path:
    """Where the web app wrote uploaded playbooks before they went into the database."""
    return config.data_dir() / "playbooks"


def uploads_version(db: Database) -> int:
    """A number that grows with every playbook upload, edit or import (0: none yet)."""
    with db.reading() as session:
        return int(session.scalar(select(func.max(PlaybookChange.id))) or 0)


@contextlib.contextmanager
def _session(db: Database | None, session: Session | None) -> Iterator[Session]:
    # Inside a caller's transaction the same session reads: a second one would wait for
    # the first's write lock on SQLite.
    if session is not None:
        yield session
    else:
        assert db is not None
        with db.reading() as own:
            yield own


def _last_change(db: Database | None, session: Session | None = None) -> tuple[Any, ...]:
    # The last change's id, hash and time: a database emptied and refilled (as tests do)
    # cannot hand back an old cache by reaching the same id again.
    with _session(db, session) as s:
        row = s.execute(
            select(PlaybookChange.id, PlaybookChange.sha256, PlaybookChange.at)
            .order_by(PlaybookChange.id.desc())
            .limit(1)
        ).first()
    return tuple(row) if row is not None else ()


def uploaded_texts(db: Database, session: Session | None = None) -> tuple[tuple[str, str], ...]:
    """(kind, YAML text) of every uploaded playbook, read again only when the version moved.

    ``session``: the caller's open transaction, when it has one.
    """
    version = _last_change(db, session)
    if not version and session is None and _import_legacy(db):
        version = _last_change(db)
    with _session(db, session) as s:
        return _texts(s, version)


def _texts(session: Session, version: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    bind = session.get_bind()
    key = str(bind.engine.url)
    cached = _cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    rows = session.execute(
        select(PlaybookUpload.kind, PlaybookUpload.source).order_by(PlaybookUpload.kind)
    ).all()
    texts = tuple((kind, source) for kind, source in rows)
    with _lock:
        _cache[key] = (version, texts)
    return texts


def session_library(session: Session) -> Library:
    """``playbook_library`` for code that holds only a session (inside a transaction)."""
    version = _last_change(None, session)
    return load_library(uploads=_texts(session, version))


def playbook_library(
    db: Database,
    extra_dirs: Sequence[str | Path] | None = None,
    *,
    session: Session | None = None,
) -> Library:
    """Built-ins, then the business's folders, then uploads: the one library every edge uses.

    ``session``: the caller's open transaction, when it has one. Raises ``PlaybookInvalid``
    (every problem, with file and line) when any of them is broken.
    """
    return load_library(extra_dirs, uploads=uploaded_texts(db, session))


def get_playbook(
    db: Database,
    kind: str,
    extra_dirs: Sequence[str | Path] | None = None,
    *,
    session: Session | None = None,
) -> Playbook:
    """The playbook for ``kind`` from ``playbook_library``; ``UnknownPlaybook`` names the rest."""
    return playbook_library(db, extra_dirs, session=session).get(kind)


def playbook_source(db: Database, kind: str) -> str:
    """The YAML text of a playbook, as a manager would edit it (uploaded, or its file)."""
    playbook = get_playbook(db, kind)
    if playbook.uploaded_text is not None:
        return playbook.uploaded_text
    if playbook.source is not None:
        text = playbook.source.read_text(encoding="utf-8")
        structure = yaml.safe_load(text)
        if isinstance(structure, dict) and "title" not in structure:
            # A structure-only file: its words are in the language packs. The editor shows
            # the whole playbook, words inline, so a manager can change them in one upload.
            return _with_pack_texts(kind, structure)
        return text
    raise NotFound(f"The playbook {kind!r} has no text to show")  # pragma: no cover


def _with_pack_texts(kind: str, structure: dict[str, Any]) -> str:
    """A structure-only playbook with every installed pack's texts written inline."""
    data = copy.deepcopy(structure)
    for lang in packs.languages_with(f"playbooks/{kind}.yml"):
        found = packs.pack_file(lang, f"playbooks/{kind}.yml")
        texts = yaml.safe_load(found.read_text(encoding="utf-8")) if found else None
        if not isinstance(texts, dict):
            continue
        for name in ("title", "description", "problem"):
            if name in texts:
                data.setdefault(name, {})[lang] = texts[name]
        for name, fact in (texts.get("facts") or {}).items():
            target = data.get("facts", {}).get(name)
            if target is None:
                continue
            if "question" in fact:
                target.setdefault("question", {})[lang] = fact["question"]
            if isinstance(target.get("choices"), list):
                target["choices"] = {value: {} for value in target["choices"]}
            for value, label in (fact.get("choices") or {}).items():
                target.setdefault("choices", {}).setdefault(value, {})[lang] = label
        for name in ("steps", "remedies"):
            for item in data.get(name, []):
                if item.get("id") in (texts.get(name) or {}):
                    item.setdefault("text", {})[lang] = texts[name][item["id"]]
        for stage_id, stage in (data.get("stages") or {}).items():
            body = dict((texts.get("stages") or {}).get(stage_id) or {})
            if "description" in body:
                stage.setdefault("description", {})[lang] = body.pop("description")
            if body:
                stage[lang] = body
    header = (
        f"# The built-in playbook {kind}, with the words of every installed language\n"
        "# written inline. Uploading it makes your own copy; the built-in file and the\n"
        "# language packs stay as they are.\n"
    )
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def check_playbook(db: Database, source: str) -> tuple[list[Playbook], list[Problem]]:
    """Check a playbook's YAML text as it would load next to this business's playbooks.

    Returns (the playbook it holds, or none; the problems, each with its line).
    """
    if len(source.encode("utf-8")) > MAX_SOURCE:
        return [], [Problem("upload", None, "The playbook is larger than 512 KB")]
    if not source.strip():
        return [], [Problem("upload", None, "The playbook is empty")]
    name = _declared_id(source) or "upload"
    return validate_text(source, uploads=uploaded_texts(db), name=name)


def save_playbook(
    db: Database, source: str, *, author: str, actor: Actor = None, action: str | None = None
) -> Playbook:
    """Store an uploaded or edited playbook and record the change; a manager's right.

    The text is checked first (``PlaybookInvalid`` lists every problem with its line) and
    nothing is written unless it is valid. The new version is seen by every process on
    their next call of ``playbook_library``.
    """
    valid, problems = check_playbook(db, source)
    if problems:
        raise PlaybookInvalid(problems)
    if not valid:
        raise InvalidInput("The file holds no playbook")
    playbook = valid[0]
    kind = playbook.id
    with db.transaction() as session:
        agent = resolve(session, actor)
        if agent is not None and ROLE_RANK.get(agent.role, 0) < ROLE_RANK["manager"]:
            raise NotAllowed(f"{agent.name} is an agent: only a manager uploads playbooks")
        row = session.scalar(
            select(PlaybookUpload).where(PlaybookUpload.kind == kind).with_for_update()
        )
        now = utcnow()
        if row is None:
            row = PlaybookUpload(
                kind=kind, source=source, version=1, author=author, created_at=now, updated_at=now
            )
            session.add(row)
        else:
            row.source, row.version, row.author, row.updated_at = (
                source,
                row.version + 1,
                author,
                now,
            )
        session.add(
            PlaybookChange(
                kind=kind,
                action=action or ("upload" if row.version == 1 else "edit"),
                version=row.version,
                author=author,
                at=now,
                sha256=hashlib.sha256(source.encode("utf-8")).hexdigest(),
                payload={"bytes": len(source.encode("utf-8"))},
            )
        )
    return playbook


def playbook_changes(db: Database, kind: str | None = None) -> list[dict[str, Any]]:
    """The record of uploads and edits, newest first (of one kind when ``kind`` is given)."""
    with db.reading() as session:
        stmt = select(PlaybookChange).order_by(PlaybookChange.id.desc())
        if kind is not None:
            stmt = stmt.where(PlaybookChange.kind == kind)
        return [c.to_dict() for c in session.scalars(stmt)]


def _declared_id(source: str) -> str | None:
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError:
        return None
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and found else None


def _import_legacy(db: Database) -> bool:
    """Move the data folder's old uploads into the database once; True when any moved."""
    folder = legacy_dir()
    if db.url in _tried or not folder.is_dir():
        return False
    _tried.add(db.url)
    named = {Path(d).resolve() for d in config.extra_dirs("FRANKLY_PLAYBOOKS_DIRS")}
    if folder.resolve() in named:
        return False  # the business names it as a folder: it stays one
    moved = False
    for path in sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yml", ".yaml")):
        try:
            save_playbook(
                db,
                path.read_text(encoding="utf-8"),
                author=f"import:{path}",
                action="import",
            )
            moved = True
        except (InvalidInput, OSError, UnicodeDecodeError) as exc:
            log.warning("the uploaded playbook %s was not imported: %s", path, exc)
        except IntegrityError:
            moved = True  # another process imported it at the same moment
    return moved
