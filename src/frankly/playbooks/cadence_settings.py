"""How often, how soon: the cadence settings of one kind of case, in one place.

The playbook (``frankly.playbooks.get_playbook(kind).cadence``) is the source, which is why
these live with the playbooks (below the service layer, which reads them too); what a
playbook does not say, or a kind without a playbook, falls back to the defaults below,
which come from the research notes (RESEARCH.md): tell within hours, update at least once
per business day, follow up about a week after resolution with 10% off, remind before
and after a payment's due date.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from typing import Any

from frankly.playbooks._load import load_library
from frankly.playbooks._model import Cadence

# Defaults, each with where it comes from.
FIRST_NOTICE_WITHIN = dt.timedelta(hours=4)  # customers expect an answer within hours
UPDATE_EVERY = dt.timedelta(hours=24)  # "at least once per business day"
FOLLOW_UP_AFTER_DAYS = 7  # seed 001: "about a week after"
DISCOUNT_PERCENT = 10  # seed 001: "maybe 10% off"
DISCOUNT_VALID_DAYS = 90
# Stripe-like ladder: before the due date, on it, a week and two weeks after.
PAYMENT_LADDER: tuple[tuple[str, int], ...] = (
    ("reminder_before", -3),
    ("reminder_due", 0),
    ("reminder_7", 7),
    ("reminder_14", 14),
)
MILESTONE_STUCK_AFTER = dt.timedelta(days=3)
DUE_SOON = dt.timedelta(hours=4)  # a commitment due within this is on the day's list
REVIEW_WITHIN = dt.timedelta(days=7)  # a review is due a week after resolution


@dataclass(frozen=True)
class CadenceSettings:
    """The timing rules for one kind of case."""

    kind: str
    first_notice_within: dt.timedelta = FIRST_NOTICE_WITHIN
    update_every: dt.timedelta = UPDATE_EVERY
    follow_up_after_days: int = FOLLOW_UP_AFTER_DAYS
    auto_send_updates: bool = False
    auto_send_reminders: bool = False
    milestones: tuple[str, ...] = ()
    milestone_stuck_after: dt.timedelta = MILESTONE_STUCK_AFTER
    payment_ladder: tuple[tuple[str, int], ...] = ()
    discount_percent: int = 0  # 0: no thank-you code with the follow-up
    discount_valid_days: int = DISCOUNT_VALID_DAYS
    due_soon: dt.timedelta = DUE_SOON
    review_within: dt.timedelta = REVIEW_WITHIN
    from_playbook: bool = False


def settings_for(kind: str, library: Any = None) -> CadenceSettings:
    """The cadence of ``kind``: its playbook's where there is one, the defaults otherwise.

    What touches customers without a person, and the thank-you code, have business-wide
    defaults in the environment (``FRANKLY_AUTO_SEND_REMINDERS=1``,
    ``FRANKLY_FOLLOW_UP_DISCOUNT=10``); a playbook that sets ``auto_send_reminders`` or
    ``follow_up_discount`` overrides them for its kind. Never raises: a broken or missing
    playbook means the defaults.
    """
    settings = CadenceSettings(
        kind=kind,
        auto_send_reminders=_flag("FRANKLY_AUTO_SEND_REMINDERS", False),
        discount_percent=_int("FRANKLY_FOLLOW_UP_DISCOUNT", 0),
    )
    if kind == "overdue_payment":
        settings = replace(settings, payment_ladder=PAYMENT_LADDER)
    cadence = _playbook_cadence(kind, library)
    if cadence is None:
        return settings
    ladder = tuple(
        (step.stage, int(step.offset_days)) for step in getattr(cadence, "payment_ladder", ())
    )
    settings = replace(
        settings,
        first_notice_within=cadence.first_notice_within,
        update_every=cadence.update_every,
        follow_up_after_days=int(cadence.follow_up_after_days),
        auto_send_updates=bool(cadence.auto_send_updates),
        milestones=tuple(getattr(cadence, "milestones", ()) or ()),
        payment_ladder=ladder or settings.payment_ladder,
        from_playbook=True,
    )
    reminders = getattr(cadence, "auto_send_reminders", None)
    if reminders is not None:
        settings = replace(settings, auto_send_reminders=bool(reminders))
    stuck = getattr(cadence, "milestone_stuck_after", None)
    if stuck is not None:
        settings = replace(settings, milestone_stuck_after=stuck)
    discount = getattr(cadence, "follow_up_discount", None)
    if discount is not None:
        business = settings.discount_percent  # 0: the business has codes off
        enabled = business > 0 if discount.enabled is None else bool(discount.enabled)
        percent = discount.percent or business or DISCOUNT_PERCENT
        settings = replace(
            settings,
            discount_percent=int(percent) if enabled else 0,
            discount_valid_days=int(discount.valid_days or settings.discount_valid_days),
        )
    return settings


def _playbook_cadence(kind: str, library: Any = None) -> Cadence | None:
    # ``library``: the business's whole library (``frankly.cases.playbook_library``, which
    # has the uploads too); without one, the built-ins and the folders.
    try:
        if library is None:
            library = load_library()
        return library.get(kind).cadence
    except Exception:  # no playbook for this kind, or the playbooks do not load
        return None


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return max(0, min(100, int(value))) if value and value.strip() else default
    except ValueError:
        return default
