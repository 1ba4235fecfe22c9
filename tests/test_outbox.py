"""The outbox from the case's side: the language an inbound mail is stored in."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from frankly import cases
from frankly.cases._receive import _language
from frankly.store import Database

from .test_delivery import make_case


def mail(subject: str, body: str, language: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Sarah Mitchell <sarah@acme.example>"
    message["To"] = "support@northwind.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash(body))}@acme.example>"
    message.set_content(body)  # (clears Content-* headers: the language comes after)
    if language:
        message["Content-Language"] = language
    return message.as_bytes()


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        # Triage reads Spanish although the mail says nothing and the customer is English.
        ("Buenos días, ¿dónde está nuestro pedido? Llevamos una semana esperando.", None, "es"),
        # French is not supported: the mail's own header, then the customer's language.
        ("Bonjour, où est notre commande ? Nous attendons depuis une semaine.", None, "en"),
        ("Bonjour, où est notre commande ? Nous attendons depuis une semaine.", "es", "es"),
        ("Hello, where is our order? We have waited a week now.", None, "en"),
    ],
)
def test_an_inbound_mail_is_stored_in_the_language_triage_reads(
    db: Database, body: str, header: str | None, expected: str
) -> None:
    case_id = make_case(db, language="en")
    received = cases.receive_inbound(db, mail(f"[Case #{case_id}] pedido", body, header))
    assert received.case_id == case_id
    stored = cases.get_message(db, received.message.id)
    assert stored.language == expected
    assert isinstance(stored.triage, dict) and isinstance(stored.triage["language"], dict)


@pytest.mark.parametrize(
    ("triage", "header", "expected"),
    [
        ({"language": {"code": "es", "confidence": 0.9, "supported": True}}, None, "es"),
        ({"language": {"code": "fr", "confidence": 0.9, "supported": False}}, None, "en"),
        ({"language": {"code": None, "confidence": 0.0, "supported": False}}, "es-ES", "es"),
        ({"language": "es"}, None, "es"),  # an older report: the bare code
        ({"language": 42}, None, "en"),
        (None, "en-GB", "en"),
        (None, None, "en"),
    ],
)
def test_the_language_reads_triages_report_defensively(
    triage: dict[str, Any] | None, header: str | None, expected: str
) -> None:
    assert _language(header, triage, "en") == expected
