"""Inbound mail from strangers and crafted mail: the review queue, contacts, and limits.

Each test names the finding of the Hardening probe it guards against.
"""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frankly import InvalidInput, cases
from frankly.cli import app
from frankly.delivery import parse_mail
from frankly.store import Database
from frankly.text.mail import MAX_BODY_CHARS, MAX_REFERENCES

from .test_cadence_run import counted
from .test_delivery import _reply, draft, make_case
from .test_web import Site, site  # noqa: F401  (the fixture)

STRANGER = "Mallory <mallory@elsewhere.example>"


def crlf_name_mail(message_id: str = "<crlf@x.example>") -> bytes:
    return (
        "From: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40x=2Eexample?= <sarah@acme.example>\r\n"
        "To: support@northwind.example\r\n"
        "Subject: =?utf-8?q?Hi=0D=0AX-Injected=3A_yes?=\r\n"
        f"Message-ID: {message_id}\r\n\r\n"
        "Hello\r\n"
    ).encode()


def nested_mail(depth: int) -> bytes:
    head = "From: a@b.example\r\nSubject: deep\r\nMessage-ID: <deep@x.example>\r\n"
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth)
    )
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    return (head + opening + "Content-Type: text/plain\r\n\r\nhello\r\n" + closing).encode()


# ------------------------------------------------------------------- crafted mail


def test_a_crlf_in_an_encoded_from_name_is_stripped_not_a_crash(db: Database) -> None:
    mail = parse_mail(crlf_name_mail())
    assert mail.sender == "sarah@acme.example"
    assert mail.sender_name == "Evil Bcc: victim@x.example"
    assert mail.subject == "Hi X-Injected: yes"
    received = cases.receive_inbound(db, crlf_name_mail())
    view = cases.show_case(db, received.case_id)
    assert "\n" not in view.customer.name and "\r" not in view.customer.name


def test_a_mime_tree_nested_3000_deep_is_refused_naming_the_header() -> None:
    with pytest.raises(InvalidInput, match="too many nested parts") as refused:
        parse_mail(nested_mail(3000))
    assert refused.value.field == "Content-Type"
    with pytest.raises(InvalidInput, match="too many nested parts"):
        parse_mail(nested_mail(25))  # under the count limit, over the depth limit
    assert parse_mail(nested_mail(5)).body == "hello"


def test_a_huge_references_header_is_refused_and_a_long_one_costs_one_query(
    db: Database,
) -> None:
    case_id = make_case(db)
    sent = draft(db, case_id)
    cases.approve_message(db, sent.id)
    cases.mark_sent(db, sent.id)
    assert sent.message_id is not None
    many = " ".join(f"<ref{i}@x.example>" for i in range(100_000))
    raw = _reply(message_id="<huge@acme.example>").replace(
        b"Subject:", f"References: {many}\r\nSubject:".encode()
    )
    with pytest.raises(InvalidInput, match="headers are larger") as refused:
        cases.receive_inbound(db, raw)
    assert refused.value.field == "headers"
    # 3,000 ids, ours the last: found, with one look-up for all of them.
    some = " ".join(f"<ref{i}@x.example>" for i in range(3_000)) + f" {sent.message_id}"
    raw = _reply(message_id="<long@acme.example>").replace(
        b"Subject:", f"References: {some}\r\nSubject:".encode()
    )
    assert len(parse_mail(raw).references) == 2 * MAX_REFERENCES
    with counted(db) as statements:
        received = cases.receive_inbound(db, raw)
    assert (received.case_id, received.matched_by) == (case_id, "thread")
    lookups = [s for s in statements if "messages.message_id IN" in s.replace('"', "")]
    assert len(lookups) == 1, lookups


def test_a_huge_body_is_stored_cut_to_the_api_limit_with_a_note(db: Database) -> None:
    case_id = make_case(db)
    body = "All the details of my order. " * 190_000  # about 5.5 MB
    raw = _reply(subject=f"[Case #{case_id}] details", body=body, message_id="<big@acme.example>")
    received = cases.receive_inbound(db, raw)
    assert received.message is not None
    stored = cases.get_message(db, received.message.id).body
    assert len(stored) <= MAX_BODY_CHARS
    assert stored.startswith("All the details of my order.")
    assert "Frankly kept the first part of this mail" in stored


def test_mbox_import_goes_on_past_a_bad_mail_and_reports_it(
    use_db: Database, tmp_path: Path
) -> None:
    case_id = make_case(use_db)
    box = tmp_path / "replies.mbox"
    mbox = mailbox.mbox(str(box))
    mbox.add(_reply(subject=f"[Case #{case_id}] first", message_id="<m1@acme.example>"))
    mbox.add(nested_mail(3000))
    mbox.add(_reply(subject=f"[Case #{case_id}] third", message_id="<m3@acme.example>"))
    mbox.close()
    result = CliRunner().invoke(app, ["inbox", "import", str(box)])
    assert result.exit_code == 1, result.output
    assert "2 new message(s)" in result.output
    assert "Mail 2 of" in result.output and "too many nested parts" in result.output
    subjects = [m.subject for m in cases.show_case(use_db, case_id).messages]
    assert subjects == [f"[Case #{case_id}] first", f"[Case #{case_id}] third"]


# ------------------------------------------------------------------- who may write


def test_a_stranger_naming_a_case_is_held_for_review_and_does_not_chase(db: Database) -> None:
    case_id = make_case(db)
    by_tag = cases.receive_inbound(
        db, _reply(sender=STRANGER, subject=f"[Case #{case_id}] cancel", message_id="<s1@e.x>")
    )
    by_address = cases.receive_inbound(
        db,
        _reply(
            sender=STRANGER, to=f"support+case-{case_id}@northwind.example", message_id="<s2@e.x>"
        ),
    )
    for received in (by_tag, by_address):
        assert received.held and received.message is None and not received.chased
        assert received.review is not None and received.review.case_id == case_id
    view = cases.show_case(db, case_id)
    assert view.messages == [] and view.case.chased_at is None
    assert [e.kind for e in view.events] == ["case_opened"]
    held = cases.list_inbound_reviews(db)
    assert [r.sender for r in held] == ["mallory@elsewhere.example"] * 2
    # The same mail again is a duplicate, not a second entry.
    again = cases.receive_inbound(
        db, _reply(sender=STRANGER, subject=f"[Case #{case_id}] cancel", message_id="<s1@e.x>")
    )
    assert again.duplicate and len(cases.list_inbound_reviews(db)) == 2


def test_the_customer_and_their_contacts_reach_the_case_directly(db: Database) -> None:
    case_id = make_case(db)
    customer = cases.show_case(db, case_id).customer
    own = cases.receive_inbound(db, _reply(subject=f"[Case #{case_id}] hi", message_id="<c1@x>"))
    assert own.message is not None and own.chased
    cases.set_contacts(db, customer.id, add=["Ops@Acme.example"])
    colleague = cases.receive_inbound(
        db,
        _reply(
            sender="Ops <ops@acme.example>", subject=f"[Case #{case_id}] hi", message_id="<c2@x>"
        ),
    )
    assert colleague.message is not None and colleague.case_id == case_id
    with pytest.raises(InvalidInput, match="Not a valid email"):
        cases.set_contacts(db, customer.id, add=["not an address"])
    cases.set_contacts(db, customer.id, remove=["ops@acme.example"])
    assert cases.get_customer(db, customer.id).contacts == []


def test_a_reply_to_our_own_message_id_reaches_the_case_from_any_address(db: Database) -> None:
    # Our Message-IDs carry random bits: answering one proves the sender received our mail
    # (the customer forwarded it). The customer's own Message-ID proves nothing of the kind.
    case_id = make_case(db)
    sent = draft(db, case_id)
    cases.approve_message(db, sent.id)
    cases.mark_sent(db, sent.id)
    forwarded = cases.receive_inbound(
        db, _reply(sender=STRANGER, in_reply_to=sent.message_id, message_id="<f1@e.x>")
    )
    assert forwarded.message is not None and forwarded.matched_by == "thread"
    theirs = cases.receive_inbound(db, _reply(message_id="<theirs@acme.example>"))
    assert theirs.case_id != case_id or theirs.message is not None
    customer_mail = cases.receive_inbound(
        db, _reply(subject=f"[Case #{case_id}] note", message_id="<own@acme.example>")
    )
    assert customer_mail.message is not None
    copied = cases.receive_inbound(
        db, _reply(sender=STRANGER, in_reply_to="<own@acme.example>", message_id="<f2@e.x>")
    )
    assert copied.held and copied.case_id == case_id


def test_held_mail_is_accepted_or_rejected_by_a_person(db: Database) -> None:
    case_id = make_case(db)
    other_case = make_case(db)
    first = cases.receive_inbound(
        db, _reply(sender=STRANGER, subject=f"[Case #{case_id}] a", message_id="<h1@e.x>")
    )
    second = cases.receive_inbound(
        db, _reply(sender=STRANGER, subject=f"[Case #{case_id}] b", message_id="<h2@e.x>")
    )
    assert first.review is not None and second.review is not None
    message = cases.accept_inbound(
        db, first.review.id, case_id=other_case, add_contact=True, author="james"
    )
    assert message.case_id == other_case and message.direction == "in"
    view = cases.show_case(db, other_case)
    [event] = [e for e in view.events if e.kind == "message_received"]
    assert event.payload["matched_by"] == "review" and event.payload["accepted_by"] == "james"
    assert "mallory@elsewhere.example" in (view.customer.contacts or [])
    rejected = cases.reject_inbound(db, second.review.id, author="james")
    assert rejected.status == "rejected"
    assert cases.show_case(db, case_id).messages == []
    assert cases.list_inbound_reviews(db) == []
    from frankly import Conflict

    with pytest.raises(Conflict, match="accepted already"):
        cases.reject_inbound(db, first.review.id)


def test_inbox_review_from_the_cli(use_db: Database) -> None:
    case_id = make_case(use_db)
    runner = CliRunner()
    cases.receive_inbound(
        use_db, _reply(sender=STRANGER, subject=f"[Case #{case_id}] a", message_id="<v1@e.x>")
    )
    cases.receive_inbound(
        use_db, _reply(sender=STRANGER, subject=f"[Case #{case_id}] b", message_id="<v2@e.x>")
    )
    [one, two] = cases.list_inbound_reviews(use_db)
    listed = runner.invoke(app, ["inbox", "review"])
    assert listed.exit_code == 0 and listed.output.count("mallory@") == 2
    accepted = runner.invoke(app, ["inbox", "review", "accept", str(one.id)])
    assert accepted.exit_code == 0, accepted.output
    assert f"on case {case_id}" in accepted.output
    rejected = runner.invoke(app, ["inbox", "review", "reject", str(two.id)])
    assert rejected.exit_code == 0 and "rejected" in rejected.output
    again = runner.invoke(app, ["inbox", "review", "reject", str(two.id)])
    assert again.exit_code != 0 and "rejected already" in again.output
    assert "No mail waits" in runner.invoke(app, ["inbox", "review"]).output
    customer = cases.show_case(use_db, case_id).customer
    added = runner.invoke(
        app, ["customer", "contacts", str(customer.id), "--add", "b@acme.example"]
    )
    assert added.exit_code == 0 and "also b@acme.example" in added.output


# ------------------------------------------------------------------- web and API


def test_the_api_answers_crafted_mail_with_422_or_holds_it(site: Site) -> None:  # noqa: F811
    client = site.signed_in("maria@northwind.example")
    from frankly.web import auth as web_auth

    maria = cases.find_agent(site.db, "maria@northwind.example")
    assert maria is not None
    _, token = web_auth.issue_token(site.db, maria.id, "tests")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"}
    api = site.client()
    crlf = api.post("/api/v1/inbound", content=crlf_name_mail(), headers=headers)
    assert crlf.status_code == 201, crlf.text
    deep = api.post("/api/v1/inbound", content=nested_mail(3000), headers=headers)
    assert deep.status_code == 422 and "Content-Type" in deep.text
    case_id = cases.list_cases(site.db)[0].id
    held = api.post(
        "/api/v1/inbound",
        content=_reply(sender=STRANGER, subject=f"[Case #{case_id}] x", message_id="<w1@e.x>"),
        headers=headers,
    )
    assert held.status_code == 201 and held.json()["matched_by"] == "review"
    review_id = held.json()["review_id"]
    listed = api.get("/api/v1/inbound/review", headers={"Authorization": headers["Authorization"]})
    assert [r["id"] for r in listed.json()] == [review_id]
    # The page shows it; accepting it from the page puts it on the case.
    page = client.get("/inbox/review")
    assert page.status_code == 200 and "mallory@elsewhere.example" in page.text
    done = client.form(f"/inbox/review/{review_id}/accept", {"case_id": str(case_id)})
    assert done.status_code in (200, 303)
    assert any(m.message_id == "<w1@e.x>" for m in cases.show_case(site.db, case_id).messages)
    assert (
        "No hay correo pendiente de revisar." in client.get("/inbox/review").text
    )  # Maria reads Spanish


def test_only_someone_who_may_write_to_the_case_accepts_held_mail(db: Database) -> None:
    """Probe: an agent could put held mail on another agent's case through the review API."""
    owner = cases.add_agent(db, name="Owner One", email="owner1@shop.example")
    other = cases.add_agent(db, name="Other Two", email="other2@shop.example")
    case_id = make_case(db)
    cases.update_case(db, case_id, owner_id=owner.id)
    held = cases.receive_inbound(
        db, _reply(sender=STRANGER, subject=f"[Case #{case_id}] x", message_id="<h9@e.x>")
    )
    assert held.review is not None
    with pytest.raises(cases.NotAllowed):
        cases.accept_inbound(db, held.review.id, author=other.email, actor=other)
    assert cases.show_case(db, case_id).messages == []
    message = cases.accept_inbound(db, held.review.id, author=owner.email, actor=owner)
    assert message.case_id == case_id
