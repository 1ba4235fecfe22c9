"""One-click fixes never invent: only real wording or the case's own values reach a customer."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from frankly import cases
from frankly.check import STAGES, check
from frankly.check._fixes import PLACEHOLDER
from frankly.store import Database
from frankly.web._case import _fix_context

from .test_web import Site

# Every checker test here runs twice: with the C accelerator (when built) and in pure Python.
pytestmark = pytest.mark.usefixtures("checker_path")

# What must never land in a customer's text: fake numbers, template marks, advice.
FORBIDDEN = re.compile(
    r"\b0{3} 0{3}\b|\bX{3}\b|\[[^\]]*\]|\{[^}]*\}|\b(?:Explain|Say|State|Explique|Diga|Dígalo)\b"
)
GREETING = {"en": "Dear {name},", "es": "Estimado/a {name}:"}
SIGN_OFF = {"en": "Kind regards,\n{agent}", "es": "Un saludo,\n{agent}"}
# A thin draft that misses most parts, so that every missing-part fix is offered.
BODY = {
    "en": "Thank you for your patience.\n\nWe value you as a customer.",
    "es": "Gracias por su paciencia.\n\nValoramos mucho su confianza.",
}


def _draft(lang: str, customer: str, agent: str) -> str:
    return "\n\n".join(
        [
            GREETING[lang].format(name=customer.split()[0]),
            BODY[lang],
            SIGN_OFF[lang].format(agent=agent),
        ]
    )


def test_every_fix_for_every_demo_case_is_real_and_placed_after_the_greeting(
    demo_db: Database,
) -> None:
    seen_insertions = 0
    for case in cases.list_cases(demo_db, limit=500):
        view = cases.show_case(demo_db, case.id)
        context = _fix_context(view)
        agent = view.owner.name if view.owner is not None else "Northwind"
        for lang in ("en", "es"):
            text = _draft(lang, view.customer.name, agent)
            greeting_end = text.index("\n")
            sign_off = text.index(SIGN_OFF[lang].split(",")[0])
            for stage in STAGES:
                report = check(text, lang=lang, stage=stage, fault="ours", context=context)
                for f in report.to_dict()["findings"]:
                    replacement = f["replacement"]
                    if replacement is None:
                        assert f["insert_at"] is None
                        continue
                    assert not FORBIDDEN.search(replacement), (case.external_ref, f)
                    wording = replacement
                    for value in [*map(str, context["facts"].values()), context["agent_phone"]]:
                        wording = wording.replace(value, "")
                    assert not PLACEHOLDER.search(wording.strip()), (case.external_ref, f)
                    if f["insert_at"] is not None:
                        seen_insertions += 1
                        assert greeting_end < f["insert_at"] <= sign_off, (case.external_ref, f)
                        fixed = text[: f["insert_at"]] + replacement + text[f["insert_at"] :]
                        assert fixed.startswith(text[:greeting_end])
                        # The inserted sentence is not glued to its neighbours.
                        assert re.search(r"[.:,]\s+\S", fixed[f["insert_at"] - 2 :]) or (
                            fixed[f["insert_at"] - 1].isspace()
                        )
                    # Every value in the replacement comes from the case (no invented number).
                    for number in re.findall(r"\d[\d.,]*\d|\d", replacement):
                        known = " ".join(str(v) for v in context["facts"].values())
                        known += f" {context['agent_phone']} {context['agent_email']}"
                        digits = re.sub(r"\D", "", number)
                        assert digits in re.sub(r"\D", "", known) or digits in "2026", (
                            case.external_ref,
                            replacement,
                        )
    assert seen_insertions > 100


def test_the_news_goes_after_the_greeting_and_the_contact_before_the_sign_off() -> None:
    text = "Buenos días, Marta:\n\nGracias por su paciencia.\n\nUn saludo,\nLucía"
    context = {
        "kind": "late_delivery",
        "facts": {"order_number": "8812", "promised_date": "2026-11-25"},
        "agent_phone": "+34 910 000 103",
    }
    report = check(text, lang="es", stage="first_notice", context=context)
    fixes = {f["category"]: f for f in report.to_dict()["findings"]}
    what = fixes["missing-what"]
    at = what["insert_at"]
    assert text[:at] == "Buenos días, Marta:\n\n"
    assert (
        what["replacement"] == "Su pedido 8812 no llegará el 25 de noviembre como le prometimos. "
    )
    contact = fixes["missing-contact"]
    assert text[: contact["insert_at"]].endswith("Gracias por su paciencia.")
    assert contact["replacement"] == " Puede llamarme directamente al +34 910 000 103."
    # No cause in the case: nothing to insert, and the writer is told what is missing.
    why = fixes["missing-why"]
    assert why["replacement"] is None and why["insert_at"] is None
    assert "cause" in why["advice"]


def test_without_a_case_nothing_is_invented() -> None:
    text = "Hello Sam,\n\nDebido a circunstancias ajenas, you failed to order early enough.\n"
    report = check(text, lang="en", stage="first_notice")
    for f in report.to_dict()["findings"]:
        if f["end"] == f["start"]:
            assert f["replacement"] is None or not FORBIDDEN.search(f["replacement"])
    blame = next(f for f in report.to_dict()["findings"] if f["category"] == "blame")
    assert blame["replacement"] is None
    assert blame["advice"] and blame["advice"] == blame["suggestion"]


def test_the_blame_fix_is_advice_not_a_replacement() -> None:
    text = "Debido a circunstancias ajenas a nuestra voluntad, el transportista lo perdió."
    report = check(text, lang="es")
    found = [f for f in report.to_dict()["findings"] if f["category"] == "blame"]
    assert found
    for f in found:
        assert f["replacement"] is None
        assert f["advice"]


def test_a_plain_swap_is_a_replacement_with_the_flagged_words_case() -> None:
    report = check("Leverage our synergies to fix it.", lang="en")
    swaps = [f for f in report.to_dict()["findings"] if f["replacement"]]
    assert swaps and all(f["insert_at"] is None for f in swaps)
    assert all(not FORBIDDEN.search(f["replacement"]) for f in swaps)


class _Buttons(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.buttons: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "button" and ("class", "apply") in attrs:
            self.buttons.append(dict(attrs))


@pytest.fixture
def site(demo_db: Database) -> Site:
    from frankly.web import create_app

    return Site(demo_db, create_app(demo_db))


def test_the_composer_buttons_carry_only_safe_values(site: Site) -> None:
    case = cases.find_case_by_ref(site.db, "demo:02")
    assert case is not None
    client = site.signed_in("lucia@northwind.example")
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200
    body = (
        "Estimada Carmen:\n\nDebido a circunstancias ajenas, no es culpa nuestra. Gracias por "
        "su paciencia.\n\nUn saludo,\nLucía"
    )
    response = client.form(
        f"/cases/{case.id}/check", {"body": body, "stage": "first_notice", "lang": "es"}
    )
    assert response.status_code == 200, response.text
    parser = _Buttons()
    parser.feed(response.text)
    inserts = [b for b in parser.buttons if "data-insert-at" in b]
    assert inserts, response.text
    for button in parser.buttons:
        replacement = button.get("data-replacement") or ""
        assert replacement and not FORBIDDEN.search(replacement), button
        assert "data-suggestion" not in button
    # The news uses the case's order number and promised date, after the greeting.
    news = next(b for b in inserts if "8812" in (b["data-replacement"] or ""))
    # The demo is dated from the day it was loaded: the date is the case's own fact.
    from babel.dates import format_date

    promised = dt.date.fromisoformat(str(case.facts["promised_date"]))
    assert format_date(promised, "d 'de' MMMM", locale="es") in (news["data-replacement"] or "")
    assert int(news["data-insert-at"] or 0) == body.index("Debido")
    # Advice is shown as text only, never on a button.
    assert "Explique" in response.text
    assert not any("Explique" in (b.get("data-replacement") or "") for b in parser.buttons)
