"""The day's list at scale: a fixed number of statements whatever the number of cases, pages
with the whole list's counts, follow-ups from the cadence's schedule, the paged team view."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest

from frankly import cases
from frankly.cadence import run_due, today
from frankly.cadence._today import GROUPS, today_page
from frankly.store import Database
from frankly.web import auth as web_auth
from frankly.web import create_app

from .test_cadence import NOW, D, H, open_late, people, send
from .test_cadence_run import counted  # counts the SQL statements a block runs
from .test_web import PASSWORD, Client


def every_reason(db: Database, customer: int, agent: int, manager: int, n: int) -> None:
    """``n`` cases of each kind of row: no first notice, a missed promise, mail with no
    reply, a draft, a failed message, a follow-up due, a review due."""
    for i in range(n):
        open_late(db, customer, agent, title=f"Untold {i}", known=NOW - 9 * H)
        promised = open_late(db, customer, agent, title=f"Promised {i}", known=NOW - 3 * D)
        send(db, promised, NOW - 2 * D, next_update_at=NOW - 2 * H)
        asked = open_late(db, customer, agent, title=f"Asked {i}", known=NOW - 3 * D)
        send(db, asked, NOW - 2 * D)
        cases.add_message(db, asked, direction="in", body="Any news?", at=NOW - H)
        drafted = open_late(db, customer, agent, title=f"Drafted {i}", known=NOW - 3 * D)
        send(db, drafted, NOW - 2 * D)
        cases.add_message(db, drafted, direction="out", body="It left customs.", at=NOW - H)
        failed = open_late(db, customer, agent, title=f"Failed {i}", known=NOW - 3 * D)
        send(db, failed, NOW - 2 * D)
        bounced = cases.add_message(db, failed, direction="out", body="News.", at=NOW - H)
        cases.approve_message(db, bounced.id, at=NOW - H)
        cases.mark_attempt_failed(
            db, bounced.id, error="550 mailbox unavailable", retry_at=None, at=NOW - H
        )
        resolved = open_late(db, customer, agent, title=f"Resolved {i}", known=NOW - 20 * D)
        send(db, resolved, NOW - 19 * D)
        cases.change_state(db, resolved, "resolved", at=NOW - 10 * D)
    # The worker schedules the follow-ups and opens the reviews, as it does every minute.
    run_due(db, NOW - 9 * D)


def test_the_list_costs_the_same_statements_for_two_or_eight_cases_of_each_kind(
    db: Database,
) -> None:
    manager, agent, customer = people(db)
    every_reason(db, customer, agent, manager, 2)
    with counted(db) as few:
        small = today(db, agent, now=NOW)
    with counted(db) as few_team:
        today_page(db, None, now=NOW)
    every_reason(db, customer, agent, manager, 6)
    with counted(db) as many:
        large = today(db, agent, now=NOW)
    with counted(db) as many_team:
        today_page(db, None, now=NOW)
    kinds = {"late_to_tell", "missed", "unanswered", "draft", "failed", "follow_up"}
    assert Counter(r.kind for r in small) == dict.fromkeys(kinds, 2)
    assert Counter(r.kind for r in large) == dict.fromkeys(kinds, 8)
    assert len(many) == len(few), "no statement per case"
    assert len(many_team) == len(few_team), "no statement per case in the team view"
    assert len([s for s in few if s.lstrip().upper().startswith("SELECT")]) <= 11
    reviews = [r for r in today(db, manager, now=NOW) if r.kind == "review"]
    assert len(reviews) == 8  # one per resolved case, due to the owner's manager


def test_a_page_is_a_slice_of_the_list_with_the_whole_lists_counts(db: Database) -> None:
    manager, agent, customer = people(db)
    every_reason(db, customer, agent, manager, 1)
    whole = today(db, agent, now=NOW)
    assert len(whole) == 6
    first = today_page(db, agent, now=NOW, per_page=4)
    second = today_page(db, agent, now=NOW, per_page=4, page=2)
    assert (first.total, first.pages, second.page) == (6, 2, 2)
    assert [r.to_dict() for r in first.rows + second.rows] == [r.to_dict() for r in whole]
    expected = Counter(GROUPS[r.kind] for r in whole)
    assert {g: n for g, n in first.counts.items() if n} == dict(expected)
    assert first.counts == second.counts
    beyond = today_page(db, agent, now=NOW, per_page=4, page=99)
    assert beyond.page == 2 and [r.case_id for r in beyond.rows] == [r.case_id for r in second.rows]
    with pytest.raises(ValueError):
        today_page(db, agent, now=NOW, per_page=0)


def test_a_follow_up_is_listed_when_its_step_falls_due_until_the_worker_drafts_it(
    db: Database,
) -> None:
    _, agent, customer = people(db)
    case_id = open_late(db, customer, agent, known=NOW - 12 * D)
    send(db, case_id, NOW - 11 * D)
    cases.change_state(db, case_id, "resolved", at=NOW - 8 * D)
    run_due(db, NOW - 8 * D + H)  # schedules the follow-up a week after resolution
    assert today(db, agent, now=NOW - 2 * D) == []  # not due yet
    [row] = today(db, agent, now=NOW)
    assert (row.kind, row.case_id) == ("follow_up", case_id)
    assert row.due_at == cases.get_case(db, case_id).resolved_at + 7 * D  # type: ignore[operator]
    assert row.why == "resolved 1 wk ago; the playbook says follow up after 7 days"
    run_due(db, NOW)  # the worker drafts it: now it is a draft to approve
    [draft] = today(db, agent, now=NOW)
    assert draft.kind == "draft" and "follow-up" in draft.action


@pytest.fixture
def manager_client(sqlite_db: Database) -> Iterator[tuple[Client, Database, int]]:
    manager, agent, customer = people(sqlite_db)
    for person in (manager, agent):
        web_auth.set_password(sqlite_db, person, PASSWORD)
    client = Client(create_app(sqlite_db))
    assert client.sign_in("maria@n.example").status_code == 303
    yield client, sqlite_db, customer
    client.close()


def test_the_team_view_shows_fifty_rows_a_page_with_counts_of_all(
    manager_client: tuple[Client, Database, int],
) -> None:
    client, db, customer = manager_client
    agents = [cases.add_agent(db, name=f"Agent {i}", email=f"a{i}@n.example") for i in range(3)]
    now = dt.datetime.now(dt.UTC)
    for i in range(56):
        open_late(db, customer, agents[i % 3].id, title=f"Case number {i:02d}", known=now - H)
    first = client.get("/?team=1")
    assert first.status_code == 200
    assert first.text.count('<a href="/cases/') == 50
    assert "<strong>56</strong>" in first.text  # to tell: all 56, not the 50 shown
    assert "Page 1 of 2" in first.text and 'href="/?team=1&amp;page=2"' in first.text
    assert "Agent 0" in first.text  # the team view says whose case it is
    second = client.get("/?team=1&page=2")
    assert second.text.count('<a href="/cases/') == 6
    assert "Page 2 of 2" in second.text and "<strong>56</strong>" in second.text
    shown = {t for page in (first, second) for t in _titles(page.text)}
    assert shown == {f"Case number {i:02d}" for i in range(56)}
    assert client.get("/?team=1&page=0").status_code == 422


def _titles(html: str) -> set[str]:
    import re

    return set(re.findall(r'<a href="/cases/\d+">([^<]+)</a>', html))
