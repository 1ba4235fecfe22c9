"""Practice sessions: rehearsals against a simulated customer, kept apart from the register.

Nothing here points at a case, a customer or a message: practice never reaches a real
customer or the case register.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from frankly.store.models import Base, JSONType, UTCDateTime, utcnow


class PracticeSession(Base):
    """One rehearsal: the scenario, the customer's state, the turns and the score."""

    __tablename__ = "practice_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    trainee: Mapped[str] = mapped_column(String(320))
    scenario: Mapped[str] = mapped_column(String(80))  # <lang>/<id>
    language: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(64))
    temperament: Mapped[str] = mapped_column(String(64))
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    turns: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    outcome: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[int | None] = mapped_column(Integer)
    ratings: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_practice_sessions_trainee", "trainee", "id"),)
