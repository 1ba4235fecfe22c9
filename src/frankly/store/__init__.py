"""The store: tables, migrations, sessions and the append-only paper trail."""

import frankly.store.cadence_models  # noqa: F401  (registers the cadence tables)
from frankly.store import (
    inbound_models,  # noqa: F401  (the inbound review queue)
    playbook_models,  # noqa: F401  (uploaded playbooks and their changes)
    practice_models,  # noqa: F401  (practice sessions, apart from the register)
    web_models,  # noqa: F401  (the web tables)
)
from frankly.store import incident_models as incident_models  # the incident tables
from frankly.store.db import Database
from frankly.store.models import (
    CASE_STATES,
    CHANNELS,
    COMMITMENT_STATUSES,
    DIRECTIONS,
    FAULTS,
    LANGUAGES,
    MESSAGE_STATUSES,
    ROLES,
    SEVERITIES,
    TIERS,
    Agent,
    Base,
    Case,
    Commitment,
    Customer,
    Event,
    Message,
    utcnow,
)

__all__ = [
    "CASE_STATES",
    "CHANNELS",
    "COMMITMENT_STATUSES",
    "DIRECTIONS",
    "FAULTS",
    "LANGUAGES",
    "MESSAGE_STATUSES",
    "ROLES",
    "SEVERITIES",
    "TIERS",
    "Agent",
    "Base",
    "Case",
    "Commitment",
    "Customer",
    "Database",
    "Event",
    "Message",
    "utcnow",
]
