"""The incident rows of the day's list: an overdue public update is the most urgent row.

``due_rows(db, now)`` returns plain dicts that ``frankly.cadence.today`` merges with its
own rows: one per open incident whose next update is overdue or due soon, and one per
resolved incident still waiting for its review or its follow-up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select

from frankly.store import Database
from frankly.store._incident_models import Incident, IncidentCase

DUE_SOON = dt.timedelta(minutes=15)
FOLLOW_UP_AFTER = dt.timedelta(days=7)
# Lower is more urgent; 0 comes before every case row of the day's list.
URGENCY = {"overdue": 0, "due_soon": 1, "follow_up": 4, "review": 5}


def due_rows(
    db: Database, now: dt.datetime, *, soon: dt.timedelta = DUE_SOON
) -> list[dict[str, Any]]:
    """Rows for the day's list, most urgent first.

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
    rows: list[dict[str, Any]] = []
    for incident in incidents:
        affected = int(counts.get(incident.id, 0))
        title = incident.title.get("en") or next(iter(incident.title.values()), "")
        base = {
            "group": "incident",
            "incident_id": incident.id,
            "case_id": None,
            "title": f"Incident {incident.id}: {title}",
            "customer": f"{affected} affected customer{'s' if affected != 1 else ''}",
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
                    "why": (
                        f"The public update was due {late} ago. Post one now, even with no news."
                        if overdue
                        else f"The next public update is due in {late}."
                    ),
                    "action": "Post an update",
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
                    "why": (
                        "Resolved a week ago: thank the affected customers and say what changed."
                    ),
                    "action": "Send the follow-up",
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
                    "why": (
                        "Resolved: write and publish the review (what happened, why, what "
                        "we change)."
                    ),
                    "action": "Write the review",
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
