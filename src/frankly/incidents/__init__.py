"""Incidents: one cause, many customers, one honest voice (practice P14, with P2, P3, P15).

An incident links one case per affected customer, publishes updates on the public status
page (``frankly.web.incidents``) and sends every affected customer a personal notice in
their language through the outbox, all in one transaction per update. ``due_rows`` gives
the day's list its incident rows (an overdue public update is the most urgent of all).
"""

from frankly.incidents._demo import load_demo_incident
from frankly.incidents._due import due_rows
from frankly.incidents._incidents import (
    OPEN_STATUSES,
    IncidentClosed,
    IncidentView,
    LinkResult,
    UpdateRefused,
    UpdateResult,
    add_affected,
    get_incident,
    incident_for_case,
    list_incidents,
    open_incident,
    post_update,
    resolve_incident,
    send_follow_up,
    show_incident,
    write_review,
)
from frankly.incidents._notices import public_url
from frankly.incidents._public import (
    display_zone,
    feed_updated,
    public_incident,
    public_incidents,
)
from frankly.incidents._select import NobodySelected, Selection, parse_csv
from frankly.incidents._words import Words, WordsInvalid, languages, words
from frankly.store.incident_models import INCIDENT_STATUSES, Incident, IncidentUpdate

__all__ = [
    "INCIDENT_STATUSES",
    "OPEN_STATUSES",
    "Incident",
    "IncidentClosed",
    "IncidentUpdate",
    "IncidentView",
    "LinkResult",
    "NobodySelected",
    "Selection",
    "UpdateRefused",
    "UpdateResult",
    "Words",
    "WordsInvalid",
    "add_affected",
    "display_zone",
    "due_rows",
    "feed_updated",
    "get_incident",
    "incident_for_case",
    "languages",
    "list_incidents",
    "load_demo_incident",
    "open_incident",
    "parse_csv",
    "post_update",
    "public_incident",
    "public_incidents",
    "public_url",
    "resolve_incident",
    "send_follow_up",
    "show_incident",
    "words",
    "write_review",
]
