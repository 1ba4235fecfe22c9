"""The figures behind Insights, for managers: how fast we tell, how often we are chased,
promises kept, and what the checker finds, per kind, agent and week.

Read-only summaries of the register, except that a sent message whose checker figures were
never kept is checked once and its figures kept (so no page load checks it again).
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections import Counter, defaultdict
from typing import Any

from frankly import check as checker
from frankly.cases._checks import checked_figures, record_check
from frankly.cases._outbox import get_message
from frankly.cases._reads import activity_since
from frankly.store import Database, utcnow

log = logging.getLogger(__name__)
# Messages sent before their checker figures were kept are checked at most this many at a
# time (then kept), so a page load never re-checks what it checked before.
LAZY_CHECKS = 100


def week_of(value: dt.datetime) -> str:
    """The ISO week ``value`` falls in, as ``2026-W49``."""
    year, week, _ = value.isocalendar()
    return f"{year}-W{week:02d}"


def _weeks(now: dt.datetime, count: int) -> list[str]:
    return [week_of(now - dt.timedelta(weeks=count - 1 - i)) for i in range(count)]


def insight_figures(
    db: Database, *, weeks: int = 8, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The numbers behind the Insights page: time to tell, chased share, promises kept,
    follow-ups, codes and the checker's findings, per kind, agent and week."""
    now = now or utcnow()
    since = now - dt.timedelta(weeks=weeks)
    activity = activity_since(db, since)
    all_cases, agents, emails = activity.cases, activity.agent_names, activity.agent_names_by_email
    commitments, sent, codes = activity.commitments, activity.sent, activity.codes
    tell_by_kind: dict[str, list[float]] = defaultdict(list)
    tell_by_agent: dict[str, list[float]] = defaultdict(list)
    tell_by_week: dict[str, list[float]] = defaultdict(list)
    resolve_by_kind: dict[str, list[float]] = defaultdict(list)
    chased: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for case in all_cases:
        total[case.kind] += 1
        if case.chased_at is not None:
            chased[case.kind] += 1
        if case.notified_at is not None:
            hours = (case.notified_at - case.known_at).total_seconds() / 3600
            tell_by_kind[case.kind].append(max(0.0, hours))
            owner = agents.get(case.owner_id or 0, "—")
            tell_by_agent[owner].append(max(0.0, hours))
            tell_by_week[week_of(case.known_at)].append(max(0.0, hours))
        if case.resolved_at is not None:
            days = (case.resolved_at - case.known_at).total_seconds() / 86400
            resolve_by_kind[case.kind].append(max(0.0, days))
    labels = _weeks(now, weeks)
    kept = Counter(week_of(c.due_at) for c in commitments if c.status == "kept")
    missed = Counter(week_of(c.due_at) for c in commitments if c.status == "missed")
    follow_ups = Counter(
        week_of(sent_at)
        for _id, sent_at, _author, _kind, stage in sent
        if sent_at and (stage or "").startswith("follow")
    )
    # Codes redeemed count in the week they were used; the rest in the week they were issued.
    redeemed = Counter(week_of(used) for _issued, used in codes if used is not None)
    unused = Counter(week_of(issued) for issued, used in codes if used is None and issued)
    stored = stored_findings(db, [row[0] for row in sent], check_missing=True)
    findings: dict[str, Counter[str]] = defaultdict(Counter)
    per_kind: dict[str, list[int]] = defaultdict(list)
    per_agent: dict[str, list[int]] = defaultdict(list)
    for message_id, sent_at, author, kind, _stage in sent:
        figures_ = stored.get(message_id)
        if figures_ is None:
            continue
        for category, count in (figures_.get("categories") or {}).items():
            findings[str(category)][week_of(sent_at or now)] += int(count)
        total_found = int(figures_.get("total") or 0)
        per_kind[kind].append(total_found)
        per_agent[emails.get(author or "", author or "—")].append(total_found)

    def median(values: dict[str, list[float]]) -> dict[str, float]:
        return {k: round(statistics.median(v), 1) for k, v in sorted(values.items()) if v}

    return {
        "weeks": labels,
        "tell_hours_by_kind": median(tell_by_kind),
        "tell_hours_by_agent": median(tell_by_agent),
        "resolve_days_by_kind": median(resolve_by_kind),
        "chased_share_by_kind": {
            k: round(100 * chased[k] / total[k], 1) for k in sorted(total) if total[k]
        },
        "chased_share": round(100 * sum(chased.values()) / max(1, sum(total.values())), 1),
        "cases": sum(total.values()),
        "commitments": {
            "kept": [kept[w] for w in labels],
            "missed": [missed[w] for w in labels],
        },
        "follow_ups": [follow_ups[w] for w in labels],
        "tell_hours_by_week": [
            round(statistics.median(tell_by_week[w]), 1) if tell_by_week[w] else 0.0 for w in labels
        ],
        "codes": {
            "redeemed": [redeemed[w] for w in labels],
            "not_redeemed": [unused[w] for w in labels],
        },
        "codes_redeemed": sum(redeemed[w] for w in labels),
        "findings": {cat: [c[w] for w in labels] for cat, c in sorted(findings.items())},
        "findings_per_message_by_kind": _mean(per_kind),
        "findings_per_message_by_agent": _mean(per_agent),
        "messages_checked": sum(len(v) for v in per_kind.values()),
        "messages_sent": len(sent),
        "checker": True,
    }


def _mean(values: dict[str, list[int]]) -> dict[str, float]:
    return {k: round(sum(v) / len(v), 1) for k, v in sorted(values.items()) if v}


def stored_findings(
    db: Database, message_ids: list[int], *, check_missing: bool = True
) -> dict[int, dict[str, Any]]:
    """The checker figures kept for each message when it was approved.

    A message sent before the figures were kept (or sent by the worker without passing
    through approval here) is checked once, up to ``LAZY_CHECKS`` per call, and its figures
    are kept, so no message is checked on every page load.
    """
    stored = checked_figures(db, message_ids)
    if not check_missing:
        return stored
    missing = [i for i in message_ids if i not in stored][:LAZY_CHECKS]
    for message_id in missing:
        message = get_message(db, message_id)
        try:
            report = checker.check(message.body, lang=message.language)
        except Exception:
            # Figures for a chart: a fault in the checker is logged and the message skipped.
            log.exception("the checker failed on message %s", message_id)
            continue
        event = record_check(
            db,
            message_id,
            [f.to_dict() for f in report.findings],
            score=report.score,
            author="insights",
        )
        stored[message_id] = dict(event.payload)
    return stored


__all__ = ["LAZY_CHECKS", "insight_figures", "stored_findings", "week_of"]
