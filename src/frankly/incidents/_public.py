"""What the public may see of incidents: the status page and the feeds read only this.

These functions build plain dicts from the incident's own public texts (title, impact,
updates, published review) and nothing else: no customer, case, message or count of
affected customers ever enters them, so no template can show one by mistake.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from typing import Any

from sqlalchemy import select

from frankly.errors import NotFound
from frankly.incidents._words import Words, words
from frankly.store import Database
from frankly.store.incident_models import Incident, IncidentUpdate

RECENT_RESOLVED = 10
# The business's own time zone, in which the status page shows times unless the visitor
# asks for theirs (``?tz=Europe/Madrid``).
ZONE_SETTING = "FRANKLY_TIMEZONE"


def display_zone(asked: str | None = None) -> str:
    """The time zone the status page writes times in: the visitor's ``asked`` zone when it
    is a real one, else ``FRANKLY_TIMEZONE`` when set to a real one, else UTC."""
    for candidate in (asked, os.environ.get(ZONE_SETTING)):
        name = (candidate or "").strip()
        if name and _real_zone(name):
            return name
    return "UTC"


def _real_zone(name: str) -> bool:
    if len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def public_incidents(db: Database, lang: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """Public incidents, open ones first then the most recently resolved, in ``lang``."""
    w = words(lang)
    with db.reading() as session:
        incidents = list(
            session.scalars(
                select(Incident)
                .where(Incident.public.is_(True))
                .order_by(Incident.started_at.desc(), Incident.id.desc())
                .limit(limit)
            )
        )
        updates = _updates(session, [i.id for i in incidents])
    views = [_view(i, updates.get(i.id, []), w) for i in incidents]
    return [v for v in views if not v["resolved"]] + [v for v in views if v["resolved"]]


def public_incident(db: Database, incident_id: int, lang: str) -> dict[str, Any]:
    """One public incident in ``lang``; raises ``NotFound`` for an unknown or private one."""
    w = words(lang)
    with db.reading() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or not incident.public:
            raise NotFound(w.say("not_found"))
        updates = _updates(session, [incident.id]).get(incident.id, [])
    return _view(incident, updates, w)


def _updates(session: Any, ids: list[int]) -> dict[int, list[IncidentUpdate]]:
    if not ids:
        return {}
    found: dict[int, list[IncidentUpdate]] = {}
    for update in session.scalars(
        select(IncidentUpdate)
        .where(IncidentUpdate.incident_id.in_(ids), IncidentUpdate.public.is_(True))
        .order_by(IncidentUpdate.seq.desc())
    ):
        found.setdefault(update.incident_id, []).append(update)
    return found


def _view(incident: Incident, updates: list[IncidentUpdate], w: Words) -> dict[str, Any]:
    title, title_lang = _choose(incident.title, w.lang)
    impact, impact_lang = _choose(incident.impact, w.lang)
    resolved = incident.status == "resolved"
    view: dict[str, Any] = {
        "id": incident.id,
        "title": title,
        "impact": impact,
        "status": incident.status,
        "status_label": w.status(incident.status),
        "resolved": resolved,
        "started_at": incident.started_at,
        "resolved_at": incident.resolved_at,
        "updated_at": incident.updated_at,
        "next_update_at": None if resolved else incident.next_update_due_at,
        "other_language": _other(w, title_lang, impact_lang),
        "updates": [],
        "review": None,
    }
    for update in updates:
        text, text_lang = _choose(update.texts, w.lang)
        view["updates"].append(
            {
                "seq": update.seq,
                "status": update.status,
                "status_label": w.status(update.status),
                "text": text,
                "other_language": _other(w, text_lang),
                "published_at": update.published_at,
            }
        )
    if incident.review and incident.review_published_at is not None:
        parts, review_lang = _choose_review(incident.review, w.lang)
        view["review"] = {
            **parts,
            "published_at": incident.review_published_at,
            "other_language": _other(w, review_lang),
        }
    return view


def _choose(texts: dict[str, str], lang: str) -> tuple[str, str]:
    """The text in ``lang``, or in English, or in any language there is (and which)."""
    for candidate in (lang, "en", *sorted(texts)):
        if texts.get(candidate):
            return texts[candidate], candidate
    return "", lang


def _choose_review(review: dict[str, Any], lang: str) -> tuple[dict[str, str], str]:
    langs = [k for k, val in review.items() if isinstance(val, dict)]
    for candidate in (lang, "en", *sorted(langs)):
        parts = review.get(candidate)
        if isinstance(parts, dict):
            keys = ("what_happened", "why", "what_we_change")
            return {k: str(parts.get(k, "")) for k in keys}, candidate
    return {}, lang


def _other(w: Words, *langs: str) -> str | None:
    """The name of the language shown instead of the reader's, when one is."""
    for lang in langs:
        if lang != w.lang:
            try:
                return words(lang).name
            except Exception:
                return lang
    return None


def feed_updated(incidents: list[dict[str, Any]]) -> dt.datetime:
    """The feed's own time: the newest change among the incidents shown."""
    times = [i["updated_at"] for i in incidents if i.get("updated_at")]
    return max(times) if times else dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
