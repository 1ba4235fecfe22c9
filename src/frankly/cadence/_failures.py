"""The cases the cadence failed on, for managers' Today (the team view).

A case is listed while its latest event is the ``cadence_failed`` the run recorded: once
someone changes the case, the row goes; if the cadence fails again, the next run records
it again and the row is back within a minute.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from frankly.store.models import LIVE_CASE_STATES, Case, Event


def failure_reasons(session: Session, now: dt.datetime) -> list[Any]:
    """One ``cadence_failed`` reason per live case whose latest event is a cadence failure."""
    # here, not at the top: cadence._today imports this module
    from frankly.cadence._today import _Case, _reason

    later = aliased(Event)
    latest = select(func.max(later.id)).where(later.case_id == Event.case_id).scalar_subquery()
    rows = session.execute(
        select(Event.case_id, Event.at, Event.payload, Case.kind, Case.severity, Case.owner_id)
        .join(Case, Case.id == Event.case_id)
        .where(Event.kind == "cadence_failed", Case.state.in_(LIVE_CASE_STATES), Event.id == latest)
        .order_by(Event.id)
    ).all()
    return [
        _reason(
            "cadence_failed",
            _Case(case_id, kind, severity, owner_id),
            since=at,
            error=str((payload or {}).get("error") or "")[:200],
            work=str((payload or {}).get("work") or ""),
            ago=now - at,
        )
        for case_id, at, payload, kind, severity, owner_id in rows
    ]
