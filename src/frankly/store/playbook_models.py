"""Playbooks a manager uploaded or edited, and the record of each change.

They live in the database (not in one web process's data folder) so every process and
every edge — web, API, CLI, worker — sees the same playbooks. Events belong to cases in
this schema, so a playbook change is recorded in its own append-only table,
``playbook_changes``; its highest id is the version every process compares with its cache.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frankly.store.models import Base, JSONType, UTCDateTime, utcnow


class PlaybookUpload(Base):
    """The current YAML text of one uploaded playbook (its id is the case kind)."""

    __tablename__ = "playbook_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    # 1 for the first upload of a kind, then one more for each edit.
    version: Mapped[int] = mapped_column(Integer, default=1)
    author: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "author": self.author,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


class PlaybookChange(Base):
    """One upload, edit or import of a playbook: who, when, which version. Never updated."""

    __tablename__ = "playbook_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    # upload (a new kind), edit (a new version of one), import (from the old data folder)
    action: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(320))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The SHA-256 of the YAML text, so a version can be matched with a copy of it.
    sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "action": self.action,
            "version": self.version,
            "author": self.author,
            "at": self.at.isoformat() if self.at else None,
            "sha256": self.sha256,
            "payload": dict(self.payload or {}),
        }
