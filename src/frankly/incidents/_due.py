"""The incident rows of the day's list: an overdue public update is the most urgent row.

``due_rows(db, now)`` returns plain dicts that ``frankly.cadence.today`` merges with its
own rows: one per open incident whose next update is overdue or due soon, and one per
resolved incident still waiting for its review or its follow-up.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import yaml
from sqlalchemy import func, or_, select

from frankly import packs
from frankly.incidents._words import _ENV, PACK_FILE, words
from frankly.store import Database
from frankly.store.incident_models import Incident, IncidentCase

DUE_SOON = dt.timedelta(minutes=15)
FOLLOW_UP_AFTER = dt.timedelta(days=7)
# Lower is more urgent; 0 comes before every case row of the day's list.
URGENCY = {"overdue": 0, "due_soon": 1, "follow_up": 4, "review": 5}


def due_rows(
    db: Database, now: dt.datetime, *, soon: dt.timedelta = DUE_SOON, lang: str = "en"
) -> list[dict[str, Any]]:
    """Rows for the day's list, most urgent first, written in ``lang`` (the words are data:
    the ``today`` section of ``data/incidents/<lang>.yml``; ``InvalidInput`` for a language
    without a file).

    Each row: ``group`` ("incident"), ``kind`` ("incident_update", "incident_review" or
    "incident_follow_up"), ``incident_id``, ``case_id`` (None), ``title``, ``customer`` (how
    many customers are affected, as text), ``why``, ``action``, ``url``, ``severity``,
    ``due_at`` (aware datetime or None), ``overdue`` (bool), ``urgency`` (0 = overdue
    public update, the most urgent row there is) and ``affected`` (int).
    """
    with db.reading() as session:
        incidents = list(
            session.scalars(
                select(Incident).where(
                    or_(
                        Incident.status != "resolved",
                        Incident.review_published_at.is_(None),
                        Incident.followed_up_at.is_(None),
                    )
                )
            )
        )
        counts = dict(
            session.execute(
                select(IncidentCase.incident_id, func.count(IncidentCase.id))
                .where(IncidentCase.incident_id.in_([i.id for i in incidents] or [0]))
                .group_by(IncidentCase.incident_id)
            ).all()
        )
    say = _sayer(lang)
    rows: list[dict[str, Any]] = []
    for incident in incidents:
        affected = int(counts.get(incident.id, 0))
        title = (
            incident.title.get(lang)
            or incident.title.get("en")
            or next(iter(incident.title.values()), "")
        )
        base = {
            "group": "incident",
            "incident_id": incident.id,
            "case_id": None,
            "title": say("title", id=incident.id, title=title),
            "customer": say("affected", n=affected),
            "url": f"/incidents/{incident.id}",
            "severity": incident.severity,
            "affected": affected,
        }
        if incident.status != "resolved":
            due = incident.next_update_due_at
            if due is None or due > now + soon:
                continue
            overdue = due <= now
            late = _minutes(now - due) if overdue else _minutes(due - now)
            rows.append(
                {
                    **base,
                    "kind": "incident_update",
                    "why": say("update_overdue" if overdue else "update_soon", late=late),
                    "action": say("update_action"),
                    "due_at": due,
                    "overdue": overdue,
                    "urgency": URGENCY["overdue" if overdue else "due_soon"],
                }
            )
            continue
        resolved_at = incident.resolved_at or incident.updated_at
        if incident.followed_up_at is None and now >= resolved_at + FOLLOW_UP_AFTER:
            rows.append(
                {
                    **base,
                    "kind": "incident_follow_up",
                    "why": say("follow_up_why"),
                    "action": say("follow_up_action"),
                    "due_at": resolved_at + FOLLOW_UP_AFTER,
                    "overdue": False,
                    "urgency": URGENCY["follow_up"],
                }
            )
        if incident.review_published_at is None:
            rows.append(
                {
                    **base,
                    "kind": "incident_review",
                    "why": say("review_why"),
                    "action": say("review_action"),
                    "due_at": resolved_at,
                    "overdue": False,
                    "urgency": URGENCY["review"],
                }
            )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r["urgency"], r["due_at"] or far, r["incident_id"]))
    return rows


def _minutes(delta: dt.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _sayer(lang: str) -> Any:
    """``say(key, **values)``: a line of the ``today`` words of ``lang``, filled in."""
    words(lang)  # validates every words file, and refuses a language without one
    texts = _today_words(lang)

    def say(key: str, **values: Any) -> str:
        return _ENV.from_string(texts[key]).render(**values).strip()

    return say


@functools.cache
def _today_words(lang: str) -> dict[str, str]:
    path = packs.pack_file(lang, PACK_FILE)
    assert path is not None  # words(lang) refused a language without a words file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(data["today"])
