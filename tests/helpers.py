"""Small helpers shared by tests."""

from __future__ import annotations

from typing import Any

from frankly.demo import CASES
from frankly.store import utcnow

# The password every demo staff member has in the ``demo_db`` fixture.
DEMO_PASSWORD = "correct horse battery"


def facts_for(kind: str) -> dict[str, Any]:
    """Complete, valid facts for a case of ``kind`` (those of the first demo case of it)."""
    for case in CASES:
        if case.kind == kind:
            return case.facts_at(utcnow())
    raise KeyError(kind)
