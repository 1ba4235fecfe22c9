"""Proposing the next-update time: within the cadence, inside the owner's working hours."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from dataclasses import dataclass

from frankly.errors import InvalidInput

# When a promise may fall in the customer's own day (their time zone).
CUSTOMER_DAY = (dt.time(8, 0), dt.time(20, 0))


@dataclass(frozen=True)
class WorkingHours:
    """When the owner works, in their own time zone (default 9:00-17:30, Monday to Friday)."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 30)
    days: tuple[int, ...] = (0, 1, 2, 3, 4)

    @classmethod
    def from_env(cls) -> WorkingHours:
        """``FRANKLY_WORKING_HOURS=08:30-17:00`` and ``FRANKLY_WORKING_DAYS=0,1,2,3,4`` (Mon=0)."""
        hours = os.environ.get("FRANKLY_WORKING_HOURS")
        days = os.environ.get("FRANKLY_WORKING_DAYS")
        result = cls()
        try:
            if hours:
                start, _, end = hours.partition("-")
                result = cls(
                    dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())
                )
            if days:
                result = cls(result.start, result.end, tuple(int(d) for d in days.split(",")))
        except ValueError as exc:
            raise InvalidInput(
                "FRANKLY_WORKING_HOURS must look like 09:00-17:30 and FRANKLY_WORKING_DAYS "
                "like 0,1,2,3,4"
            ) from exc
        return result

    def contains(self, moment: dt.datetime) -> bool:
        """Whether a promise due at ``moment`` (local) can be kept: a working day, in hours.

        The first hour is left for reading the news, so 9:00 is not a promise time.
        """
        if moment.weekday() not in self.days:
            return False
        first = dt.datetime.combine(moment.date(), self.start, moment.tzinfo) + dt.timedelta(
            hours=1
        )
        last = dt.datetime.combine(moment.date(), self.end, moment.tzinfo) - dt.timedelta(
            minutes=30
        )
        return first <= moment <= last


def next_update_time(
    now: dt.datetime,
    interval: dt.timedelta,
    owner_tz: str,
    *,
    working_hours_only: bool = True,
    hours: WorkingHours | None = None,
    customer_tz: str | None = None,
) -> dt.datetime:
    """The time to promise the next update, as an aware UTC datetime.

    The latest round time (on the hour, or the quarter hour for intervals under four
    hours) no later than ``now + interval`` that leaves time to find news; with
    ``working_hours_only`` it must also fall in the owner's working hours (from an hour
    after opening to half an hour before closing). When no such time exists, or the
    first working slot after the deadline is much closer to it, that slot is promised.
    With ``customer_tz``, working-hours promises also fall in the customer's day (8:00 to
    20:00 their time) where the two days overlap at all.
    """
    if now.tzinfo is None:
        raise InvalidInput("now needs a time zone", field="now")
    hours = hours or WorkingHours()
    zone = _zone(owner_tz)
    local_now = now.astimezone(zone)
    step = dt.timedelta(minutes=15) if interval < dt.timedelta(hours=4) else dt.timedelta(hours=1)
    # A promise due within the hour helps nobody: leave at least half the interval (up
    # to four hours) to find news, so Friday 16:00 with a daily cadence means Monday.
    earliest = local_now + min(interval / 2, dt.timedelta(hours=4))
    deadline = local_now + interval

    customer_zone = _zone(customer_tz) if customer_tz and working_hours_only else None

    def ok(moment: dt.datetime) -> bool:
        if not working_hours_only:
            return True
        if not hours.contains(moment):
            return False
        if customer_zone is None:
            return True
        local = moment.astimezone(customer_zone).time()
        return CUSTOMER_DAY[0] <= local <= CUSTOMER_DAY[1]

    before: dt.datetime | None = None
    slot = _floor(deadline, step)
    while slot >= earliest:
        if ok(slot):
            before = slot
            break
        slot = _back(slot, step, zone)
    after: dt.datetime | None = None
    slot = _ceil(deadline, step)
    for _ in range(int(dt.timedelta(days=14) / step)):
        if ok(slot):
            after = slot
            break
        slot = _forward(slot, step, zone)
    if before is None:
        if after is None:
            if customer_zone is not None:  # the two working days never overlap
                return next_update_time(
                    now, interval, owner_tz, working_hours_only=True, hours=hours
                )
            return _utc(_ceil(deadline, step), zone)  # pragma: no cover - no working day
        return _utc(after, zone)
    # Keeping to the cadence comes first; a slot a little after the deadline wins only when
    # the one before it would be much too early (Monday 17:00 for a 24 h cadence at 9:30).
    if after is not None and deadline - before > interval / 2 and after - deadline <= interval / 4:
        return _utc(after, zone)
    return _utc(before, zone)


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _floor(moment: dt.datetime, step: dt.timedelta) -> dt.datetime:
    minutes = int(step.total_seconds() // 60)
    floored = moment.replace(second=0, microsecond=0)
    return floored.replace(minute=floored.minute - floored.minute % minutes)


def _ceil(moment: dt.datetime, step: dt.timedelta) -> dt.datetime:
    floored = _floor(moment, step)
    return floored if floored == moment else _forward(floored, step, moment.tzinfo)


def _back(moment: dt.datetime, step: dt.timedelta, zone: dt.tzinfo | None) -> dt.datetime:
    # Step in UTC and come back, so daylight-saving changes neither loop nor skip.
    return (moment.astimezone(dt.UTC) - step).astimezone(zone)


def _forward(moment: dt.datetime, step: dt.timedelta, zone: dt.tzinfo | None) -> dt.datetime:
    return (moment.astimezone(dt.UTC) + step).astimezone(zone)


def _utc(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return moment.astimezone(dt.UTC)
