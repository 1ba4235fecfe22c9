"""Incidents: choosing who is affected, one notice per customer per update, the commitments
an update makes, the day's list, and the bad input that must write nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from frankly import cases, incidents
from frankly.cases import bulk
from frankly.errors import Conflict, InvalidInput, NotFound
from frankly.store import Commitment, Database, Event, Message
from frankly.store.cadence_models import OutboxJob
from frankly.store.incident_models import IncidentNotice, IncidentUpdate


@pytest.fixture(autouse=True)
def _business_contacts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The business's own numbers, which its public texts give (see the public-text guard)."""
    monkeypatch.setenv(
        "FRANKLY_PUBLIC_CONTACTS", "@northwind.example, +44 20 7946 0100, +34 910 000 100"
    )


NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
EN = (
    "Our online ordering portal is down: you cannot place orders online. We are restoring "
    "it now. Meanwhile, send your orders to orders@northwind.example or call +44 20 7946 0100."
)
ES = (
    "Nuestro portal de pedidos no funciona: no puede hacer pedidos en línea. Lo estamos "
    "restaurando ahora. Mientras tanto, envíe sus pedidos a orders@northwind.example o llame "
    "al +34 910 000 100."
)
TEXTS = {"en": EN, "es": ES}
TITLE = {"en": "Ordering portal down", "es": "Portal de pedidos caído"}
IMPACT = {"en": "Orders cannot be placed online.", "es": "No se pueden hacer pedidos en línea."}


def _people(db: Database, count: int = 6, *, no_email: int = 0) -> list[int]:
    """Customers alternating English and Spanish; the last ``no_email`` have no address."""
    ids = []
    for i in range(count):
        lang = "en" if i % 2 == 0 else "es"
        email = None if i >= count - no_email else f"buyer{i}@shop{i}.example"
        customer = cases.add_customer(
            db,
            name=f"Buyer{i} Surname{i}",
            company=f"Shopco{i} Ltd",
            email=email,
            phone=f"+44 20 7946 {1000 + i}",
            language=lang,
            timezone="Europe/Madrid" if lang == "es" else "Europe/London",
        )
        ids.append(customer.id)
    return ids


def _open(db: Database, customer_ids: list[int], **kwargs: object) -> incidents.LinkResult:
    args: dict[str, object] = {
        "title": TITLE,
        "impact": IMPACT,
        "selection": incidents.Selection(customer_ids=customer_ids),
        "texts": TEXTS,
        "author": "maria@northwind.example",
        "at": NOW,
    }
    args.update(kwargs)
    return incidents.open_incident(db, **args)  # type: ignore[arg-type]


def _count(db: Database, model: type, *where: object) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _notices_per_customer(db: Database, incident_id: int) -> dict[tuple[int, int], int]:
    with db.reading() as session:
        rows = session.execute(
            select(IncidentUpdate.seq, Message.case_id, func.count(Message.id))
            .join(IncidentNotice, IncidentNotice.update_id == IncidentUpdate.id)
            .join(Message, Message.id == IncidentNotice.message_id)
            .where(IncidentUpdate.incident_id == incident_id)
            .group_by(IncidentUpdate.seq, Message.case_id)
        ).all()
    return {(seq, case_id): n for seq, case_id, n in rows}


# -- choosing who is affected ------------------------------------------------------------


def test_query_links_open_cases_and_hand_picked_customers_get_new_cases(db: Database) -> None:
    ids = _people(db, 4)
    late = [
        cases.open_case(
            db,
            customer_id=ids[i],
            kind="late_delivery",
            title="Late",
            facts={"product": "Oak chairs", "order_number": f"44{i}1"},
        )
        for i in (0, 1)
    ]
    cases.open_case(
        db, customer_id=ids[2], kind="late_delivery", title="Late", facts={"product": "Desks"}
    )
    selection = incidents.Selection(
        kind="late_delivery", facts={"product": "oak chairs"}, customer_ids=[ids[3], ids[0]]
    )
    result = _open(db, [], selection=selection)
    assert (result.linked, result.opened, result.already) == (2, 1, 0)
    view = incidents.show_incident(db, result.incident.id)
    assert {c["case_id"] for c in view.cases if not c["opened_by_incident"]} == {c.id for c in late}
    new_case = next(c for c in view.cases if c["opened_by_incident"])
    assert new_case["customer_id"] == ids[3]
    # The new case's paper trail tells its own story and rebuilds to the stored row.
    shown = cases.show_case(db, new_case["case_id"])
    assert [e.kind for e in shown.events][:1] == ["case_opened"]
    assert shown.case.kind == "service_outage"
    assert shown.case.title == TITLE["es"] if shown.customer.language == "es" else TITLE["en"]
    rebuilt = cases.rebuild_case(db, new_case["case_id"])
    assert rebuilt["state"] == shown.case.state and rebuilt["facts"] == shown.case.facts
    # A linked case records the link on its own timeline.
    linked = cases.show_case(db, late[0].id)
    assert any(
        e.kind == "note_added" and e.payload.get("incident_id") == result.incident.id
        for e in linked.events
    )


def test_a_query_that_selects_nobody_is_refused_and_writes_nothing(db: Database) -> None:
    _people(db, 2)
    selection = incidents.Selection(kind="late_delivery", facts={"product": "Nothing"})
    with pytest.raises(incidents.NobodySelected, match="nobody was selected"):
        _open(db, [], selection=selection)
    with pytest.raises(incidents.NobodySelected, match="Say who is affected"):
        _open(db, [], selection=incidents.Selection())
    assert incidents.list_incidents(db) == []


def test_unknown_customer_ids_are_named(sqlite_db: Database) -> None:
    ids = _people(sqlite_db, 1)
    with pytest.raises(InvalidInput, match="No customer with id 998, 999"):
        _open(sqlite_db, [ids[0], 998, 999])
    assert incidents.list_incidents(sqlite_db) == []


def test_csv_columns_become_facts_of_the_new_cases(sqlite_db: Database) -> None:
    ids = _people(sqlite_db, 2)
    selection = incidents.parse_csv(
        f"customer_id,order_number,new_eta\n{ids[0]},4471,2026-12-05\n{ids[1]},4472,2026-12-07\n"
    )
    result = _open(sqlite_db, [], selection=selection)
    view = incidents.show_incident(sqlite_db, result.incident.id)
    facts = {c["customer_id"]: cases.get_case(sqlite_db, c["case_id"]).facts for c in view.cases}
    assert facts[ids[0]]["order_number"] == "4471"
    assert facts[ids[1]]["new_eta"] == "2026-12-07"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("customer_id,order\nabc,1\n", "line 2: 'abc' is not a customer id"),
        ("name,order\nAna,1\n", "no customer_id, id or email column"),
        ("12\nx\n", "line 2"),
    ],
)
def test_bad_csv_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        incidents.parse_csv(text)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_csv_text_parses_or_is_refused_plainly(text: str) -> None:
    try:
        selection = incidents.parse_csv(text)
    except InvalidInput:
        return
    assert not selection.empty


# -- one notice per affected customer per update -------------------------------------------


def test_each_update_queues_exactly_one_notice_per_affected_customer(db: Database) -> None:
    ids = _people(db, 8, no_email=1)
    opened = _open(db, ids)
    assert opened.update is not None
    assert opened.update.queued == 7 and len(opened.update.skipped) == 1
    second = incidents.post_update(
        db, opened.incident.id, texts=TEXTS, status="identified", author="maria", at=NOW
    )
    assert second.queued == 7
    per = _notices_per_customer(db, opened.incident.id)
    assert len(per) == 14 and set(per.values()) == {1}
    # Every notice has its outbox job, and every job its events on the case.
    assert _count(db, OutboxJob) == 14
    assert _count(db, Message, Message.status == "queued") == 14
    assert _count(db, Event, Event.kind == "message_queued") == 14
    # The unique constraint refuses a second notice for the same customer and update.
    with pytest.raises(IntegrityError), db.transaction() as session:
        first = session.scalars(select(IncidentNotice).limit(1)).one()
        session.execute(
            insert(IncidentNotice),
            [
                {
                    "update_id": first.update_id,
                    "customer_id": first.customer_id,
                    "case_id": first.case_id,
                }
            ],
        )


def test_notices_speak_the_customers_language_and_say_what_it_means_for_them(
    sqlite_db: Database,
) -> None:
    ids = _people(sqlite_db, 2)
    selection = incidents.parse_csv(
        f"customer_id,order_number,new_eta\n{ids[0]},4471,2026-12-05\n{ids[1]},4472,2026-12-07\n"
    )
    result = _open(sqlite_db, [], selection=selection)
    assert result.update is not None
    bodies = {}
    with sqlite_db.reading() as session:
        for message in session.scalars(select(Message).where(Message.direction == "out")):
            bodies[message.language] = (message.subject, message.body, message.recipient)
    en_subject, en_body, en_to = bodies["en"]
    es_subject, es_body, es_to = bodies["es"]
    assert en_to == "buyer0@shop0.example" and es_to == "buyer1@shop1.example"
    assert en_subject == "Ordering portal down: Investigating"
    assert es_subject == "Portal de pedidos caído: Investigando"
    assert en_body.startswith("Dear Buyer0,") and EN in en_body
    assert es_body.startswith("Buenos días, Buyer1:") and ES in es_body
    assert "your order 4471 will now arrive on Saturday 5 December" in en_body
    assert "su pedido 4472 llegará ahora el lunes 7 de diciembre" in es_body
    # The next update, in each customer's own time zone.
    assert "by Monday 23 November, 09:30 GMT" in en_body
    assert "antes del lunes 23 de noviembre, 10:30 CET" in es_body
    assert f"/status/incidents/{result.incident.id}" in en_body


def test_a_customer_without_email_is_counted_noted_and_not_half_sent(db: Database) -> None:
    ids = _people(db, 3, no_email=1)
    result = _open(db, ids)
    assert result.update is not None
    assert result.update.queued == 2
    assert [s["customer_id"] for s in result.update.skipped] == [ids[2]]
    assert "1 affected customer(s) have no email address" in result.update.warning_lines[0]
    view = incidents.show_incident(db, result.incident.id)
    case_id = view.skipped[0]["case_id"]
    shown = cases.show_case(db, case_id)
    assert shown.messages == []
    assert any("no email address" in e.payload.get("text", "") for e in shown.events)
    assert view.delivery[result.update.update.id] == {"queued": 2, "no_email": 1}


def test_a_failure_while_queueing_leaves_nothing_behind(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _people(sqlite_db, 5)
    opened = _open(sqlite_db, ids)
    before = (_count(sqlite_db, Message), _count(sqlite_db, OutboxJob), _count(sqlite_db, Event))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "touch_cases", broken)
    with pytest.raises(RuntimeError):
        incidents.post_update(sqlite_db, opened.incident.id, texts=TEXTS, at=NOW)
    after = (_count(sqlite_db, Message), _count(sqlite_db, OutboxJob), _count(sqlite_db, Event))
    assert after == before
    assert len(incidents.show_incident(sqlite_db, opened.incident.id).updates) == 1


def test_the_same_form_posted_twice_publishes_once(sqlite_db: Database) -> None:
    ids = _people(sqlite_db, 3)
    opened = _open(sqlite_db, ids)
    first = incidents.post_update(
        sqlite_db, opened.incident.id, texts=TEXTS, request_key="form-1", at=NOW
    )
    again = incidents.post_update(
        sqlite_db, opened.incident.id, texts=TEXTS, request_key="form-1", at=NOW
    )
    assert again.replay and again.update.id == first.update.id
    assert set(_notices_per_customer(sqlite_db, opened.incident.id).values()) == {1}
    assert _count(sqlite_db, Message) == 6


def test_customers_added_later_get_the_latest_update_once(sqlite_db: Database) -> None:
    ids = _people(sqlite_db, 4)
    opened = _open(sqlite_db, ids[:2])
    added = incidents.add_affected(
        sqlite_db,
        opened.incident.id,
        incidents.Selection(customer_ids=ids[1:]),
        author="maria",
        at=NOW,
    )
    assert (added.opened, added.already) == (2, 1)
    assert added.update is not None and added.update.queued == 2
    per = _notices_per_customer(sqlite_db, opened.incident.id)
    assert len(per) == 4 and set(per.values()) == {1}


# -- commitments and the day's list --------------------------------------------------------


def test_an_update_promises_the_next_one_and_delivery_keeps_the_promise(db: Database) -> None:
    ids = _people(db, 2)
    due = NOW + dt.timedelta(minutes=45)
    opened = _open(db, ids, next_update_at=due)
    incident_id = opened.incident.id
    assert opened.incident.next_update_due_at == due
    with db.reading() as session:
        proposed = list(session.scalars(select(Commitment).where(Commitment.status == "proposed")))
        first_messages = list(session.scalars(select(Message.id).order_by(Message.id)))
    assert len(proposed) == 2 and {c.due_at for c in proposed} == {due}
    # The worker delivers: the promise becomes open, the case is notified.
    for message_id in first_messages:
        assert cases.mark_sent(db, message_id, at=NOW + dt.timedelta(minutes=1))
    with db.reading() as session:
        assert set(session.scalars(select(Commitment.status))) == {"open"}
    case_id = incidents.show_incident(db, incident_id).cases[0]["case_id"]
    assert cases.get_case(db, case_id).state == "notified"
    # The day's list: quiet until due soon, then due, then the most urgent row of all.
    assert incidents.due_rows(db, NOW) == []
    soon = incidents.due_rows(db, due - dt.timedelta(minutes=10))
    assert [(r["kind"], r["overdue"], r["urgency"]) for r in soon] == [
        ("incident_update", False, 1)
    ]
    late = incidents.due_rows(db, due + dt.timedelta(minutes=5))
    assert late[0]["overdue"] and late[0]["urgency"] == 0 and late[0]["incident_id"] == incident_id
    assert "due 5 min ago" in late[0]["why"]
    assert late[0]["affected"] == 2 and late[0]["url"] == f"/incidents/{incident_id}"
    # The next update, sent before the promised time, keeps the first promise.
    at = due - dt.timedelta(minutes=5)
    second = incidents.post_update(db, incident_id, texts=TEXTS, status="identified", at=at)
    assert second.update.next_update_at == at + dt.timedelta(minutes=30)
    assert incidents.due_rows(db, at) == []
    with db.reading() as session:
        new_ids = [
            n.message_id
            for n in session.scalars(
                select(IncidentNotice).where(IncidentNotice.update_id == second.update.id)
            )
        ]
    for message_id in new_ids:
        assert message_id is not None
        cases.mark_sent(db, message_id, at=at + dt.timedelta(minutes=1))
    with db.reading() as session:
        statuses = sorted(session.scalars(select(Commitment.status)))
    assert statuses == ["kept", "kept", "open", "open"]


def test_monitoring_updates_come_less_often_and_resolution_promises_none(
    sqlite_db: Database,
) -> None:
    ids = _people(sqlite_db, 2)
    opened = _open(sqlite_db, ids)
    watch = incidents.post_update(
        sqlite_db, opened.incident.id, texts=TEXTS, status="monitoring", at=NOW
    )
    assert watch.update.next_update_at == NOW + dt.timedelta(minutes=60)
    done = incidents.resolve_incident(sqlite_db, opened.incident.id, texts=TEXTS, at=NOW)
    assert done.update.kind == "resolution" and done.update.next_update_at is None
    assert done.incident.next_update_due_at is None and done.incident.resolved_at == NOW
    with sqlite_db.reading() as session:
        last = session.scalars(
            select(Message).where(Message.stage == "resolution").order_by(Message.id)
        ).all()
    assert len(last) == 2 and all(m.next_update_at is None for m in last)
    assert "We will write to you again" not in last[0].body
    rows = incidents.due_rows(sqlite_db, NOW + dt.timedelta(days=8))
    assert [r["kind"] for r in rows] == ["incident_follow_up", "incident_review"]


def test_resolution_resolves_the_cases_it_opened_once_customers_were_told(
    sqlite_db: Database,
) -> None:
    ids = _people(sqlite_db, 2)
    opened = _open(sqlite_db, ids)
    first = incidents.show_incident(sqlite_db, opened.incident.id).cases
    with sqlite_db.reading() as session:
        one = session.scalars(
            select(Message.id).where(Message.case_id == first[0]["case_id"])
        ).one()
    cases.mark_sent(sqlite_db, one, at=NOW)
    incidents.resolve_incident(sqlite_db, opened.incident.id, texts=TEXTS, at=NOW)
    states = {
        c["case_id"]: c["state"]
        for c in incidents.show_incident(sqlite_db, opened.incident.id).cases
    }
    assert states == {first[0]["case_id"]: "resolved", first[1]["case_id"]: "open"}
    assert cases.rebuild_case(sqlite_db, first[0]["case_id"])["state"] == "resolved"


# -- bad input -----------------------------------------------------------------------------


def test_updating_a_resolved_incident_is_refused(sqlite_db: Database) -> None:
    ids = _people(sqlite_db, 2)
    opened = _open(sqlite_db, ids)
    incidents.resolve_incident(sqlite_db, opened.incident.id, texts=TEXTS, at=NOW)
    count = _count(sqlite_db, Message)
    with pytest.raises(incidents.IncidentClosed, match="is resolved"):
        incidents.post_update(sqlite_db, opened.incident.id, texts=TEXTS, at=NOW)
    assert _count(sqlite_db, Message) == count


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ({"en": "   ", "es": ""}, "is empty"),
        ("", "is empty"),
        ({"en": EN}, "Affected customers read Español"),
        ({"en": EN, "fr": "Bonjour"}, "Unknown language 'fr'"),
        ({"en": "x" * 10_001, "es": ES}, "limit is 10000"),
    ],
)
def test_bad_update_texts_are_refused_and_send_nothing(
    sqlite_db: Database, texts: object, message: str
) -> None:
    ids = _people(sqlite_db, 2)
    opened = _open(sqlite_db, ids)
    count = _count(sqlite_db, Message)
    with pytest.raises(InvalidInput, match=message):
        incidents.post_update(sqlite_db, opened.incident.id, texts=texts, at=NOW)  # type: ignore[arg-type]
    assert _count(sqlite_db, Message) == count


def test_the_checker_refuses_an_update_that_blames_the_customer(sqlite_db: Database) -> None:
    ids = _people(sqlite_db, 2)
    opened = _open(sqlite_db, ids)
    blaming = {"en": EN + " You failed to provide a correct address.", "es": ES}
    with pytest.raises(incidents.UpdateRefused, match="en public text cannot go out") as info:
        incidents.post_update(sqlite_db, opened.incident.id, texts=blaming, at=NOW)
    assert info.value.findings[0]["rule"] == "blame.customer"
    assert len(incidents.show_incident(sqlite_db, opened.incident.id).updates) == 1


@pytest.mark.parametrize(
    "leak", ["Buyer0 Surname0", "shopco1 ltd", "buyer0@shop0.example", "order 4471"]
)
def test_a_public_text_naming_an_affected_customer_is_refused(
    sqlite_db: Database, leak: str
) -> None:
    ids = _people(sqlite_db, 2)
    selection = incidents.parse_csv(f"customer_id,order_number\n{ids[0]},4471\n{ids[1]},4472\n")
    opened = _open(sqlite_db, [], selection=selection)
    with pytest.raises(incidents.UpdateRefused, match="affected customer"):
        incidents.post_update(
            sqlite_db, opened.incident.id, texts={"en": f"{EN} {leak}.", "es": ES}, at=NOW
        )


def test_a_next_update_in_the_past_is_refused(sqlite_db: Database) -> None:
    ids = _people(sqlite_db, 2)
    opened = _open(sqlite_db, ids)
    with pytest.raises(InvalidInput, match="must be in the future"):
        incidents.post_update(
            sqlite_db,
            opened.incident.id,
            texts=TEXTS,
            next_update_at=NOW - dt.timedelta(minutes=1),
            at=NOW,
        )


def test_unknown_incident_and_bad_status(sqlite_db: Database) -> None:
    with pytest.raises(NotFound, match="No incident with id 42"):
        incidents.post_update(sqlite_db, 42, texts=TEXTS)
    with pytest.raises(InvalidInput, match="Unknown status"):
        incidents.open_incident(sqlite_db, title=TITLE, impact=IMPACT, status="resolved")


# -- review and follow-up ------------------------------------------------------------------

REVIEW = {
    lang: {
        "what_happened": f"{lang}: the portal was down for five hours.",
        "why": f"{lang}: a database upgrade failed and we had no way back ready.",
        "what_we_change": f"{lang}: we now test every upgrade on a copy first.",
    }
    for lang in ("en", "es")
}


def test_review_and_follow_up_come_after_resolution_once(sqlite_db: Database) -> None:
    ids = _people(sqlite_db, 2)
    opened = _open(sqlite_db, ids)
    incident_id = opened.incident.id
    with pytest.raises(Conflict, match="review it once it is resolved"):
        incidents.write_review(sqlite_db, incident_id, REVIEW)
    with pytest.raises(Conflict, match="not resolved yet"):
        incidents.send_follow_up(sqlite_db, incident_id, texts=TEXTS)
    incidents.resolve_incident(sqlite_db, incident_id, texts=TEXTS, at=NOW)
    with pytest.raises(InvalidInput, match="why must not be empty"):
        incidents.write_review(sqlite_db, incident_id, {"en": {**REVIEW["en"], "why": " "}})
    incident = incidents.write_review(sqlite_db, incident_id, REVIEW, publish=True, at=NOW)
    assert incident.review_published_at == NOW
    public = incidents.public_incident(sqlite_db, incident_id, "es")
    assert public["review"]["why"].startswith("es: a database upgrade")
    follow = incidents.send_follow_up(
        sqlite_db, incident_id, texts=TEXTS, at=NOW + dt.timedelta(days=7)
    )
    assert follow.queued == 2 and not follow.update.public
    with pytest.raises(Conflict, match="sent already"):
        incidents.send_follow_up(sqlite_db, incident_id, texts=TEXTS)
    assert incidents.due_rows(sqlite_db, NOW + dt.timedelta(days=9)) == []
    # The follow-up is personal: it is not one of the public updates.
    assert [u["seq"] for u in public["updates"]] == [2, 1]


# -- the demo and the words files ----------------------------------------------------------


def test_the_demo_incident_links_the_outage_cases_once(demo_db: Database) -> None:
    incident = incidents.load_demo_incident(demo_db)
    assert incident is not None and incident.status == "identified"
    again = incidents.load_demo_incident(demo_db)
    assert again is not None and again.id == incident.id
    view = incidents.show_incident(demo_db, incident.id)
    refs = {cases.get_case(demo_db, c["case_id"]).external_ref for c in view.cases}
    assert refs == {f"demo:{n}" for n in range(35, 41)}
    assert view.languages == {"en": 3, "es": 3}
    assert [u.notices_queued for u in view.updates] == [6, 6]
    assert len(incidents.list_incidents(demo_db)) == 1


def test_the_words_files_load_and_a_broken_one_names_file_and_line(tmp_path: Path) -> None:
    import json

    from frankly import packs
    from frankly.incidents import _words

    assert incidents.languages() == ["en", "es"]
    schema = json.loads((_words.FOLDER / "schema.json").read_text())
    source = (
        (packs.builtin_dir() / "en" / "incidents.yml")
        .read_text()
        .replace("  identified: Cause identified\n", "  identified: 42\n")
    )
    broken = tmp_path / "en.yml"
    broken.write_text(source)
    with pytest.raises(incidents.WordsInvalid, match=r"en\.yml:\d+: statuses/identified"):
        _words.load_file(broken, schema)
    with pytest.raises(incidents.WordsInvalid) as info:
        _words.load_file(broken, schema)
    line = int(str(info.value).split(":")[1])
    assert source.splitlines()[line - 1].strip() == "identified: 42"


def test_an_update_that_promises_another_time_than_its_field_is_asked(db: Database) -> None:
    from frankly.compose.promises import PromiseConflict

    ids = _people(db, 2)
    incident_id = _open(db, ids).incident.id
    before = _count(db, Message)
    later = NOW + dt.timedelta(hours=2)
    words = {
        "en": EN + " We will write to you again tomorrow at 15:00.",
        "es": ES + " Le escribiremos de nuevo mañana a las 15:00.",
    }
    with pytest.raises(PromiseConflict):
        incidents.post_update(
            db,
            incident_id,
            texts=words,
            next_update_at=later,
            author="maria@northwind.example",
            at=NOW + dt.timedelta(minutes=5),
        )
    assert _count(db, Message) == before  # nothing of the update was queued
