"""frankly.text: language, sentences, masking, questions and email cleaning."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frankly.errors import InvalidInput
from frankly.text import _profiles, clean, language, mask, questions, sentences

# -- language ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("When will my order arrive? I paid for express delivery.", "en"),
        ("Hola, ¿cuándo llega mi pedido? Pagué el envío urgente.", "es"),
        ("Bonjour, où est ma commande ? Je l'attends depuis une semaine.", "fr"),
        ("Hallo, wo ist meine Bestellung? Ich warte seit einer Woche.", "de"),
        ("Olá, onde está o meu pedido? Estou à espera há uma semana.", "pt"),
        ("Ciao, dov'è il mio ordine? Lo aspetto da una settimana, grazie.", "it"),
        ("Hallo, waar is mijn bestelling? Ik wacht al een week.", "nl"),
    ],
)
def test_detect_names_the_language(text: str, expected: str) -> None:
    code, confidence = language.detect(text)
    assert code == expected
    assert 0 < confidence <= 1


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "12345 678", "!!!"])
def test_detect_says_undetermined_when_nothing_tells(text: str) -> None:
    assert language.detect(text) == ("und", 0.0)


def test_detect_is_more_confident_on_longer_text() -> None:
    short = language.detect("Thanks")[1]
    long = language.detect(
        "Thank you for the update. We would like to know when the order will arrive, "
        "because our shop opens on Monday and we need the chairs before then."
    )[1]
    assert long > short


# -- sentences -----------------------------------------------------------------------------


def _sentences(text: str, lang: str = "en") -> list[str]:
    return [text[a:b] for a, b in sentences.split(text, lang)]


def test_split_keeps_abbreviations_and_wrapped_lines_together() -> None:
    text = (
        "Hi Ana,\nYour order will not arrive on 12 May. Our supplier's\n"
        "factory stopped, and Mr. Smith told us e.g. this. Why?\n\n- first option\n"
        "- second option\nBest regards,\nTom"
    )
    assert _sentences(text) == [
        "Hi Ana,",
        "Your order will not arrive on 12 May.",
        "Our supplier's\nfactory stopped, and Mr. Smith told us e.g. this.",
        "Why?",
        "- first option",
        "- second option",
        "Best regards,",
        "Tom",
    ]


def test_split_knows_spanish_abbreviations() -> None:
    text = "Estimada Sra. Martín: la Dña. Ruiz le llamará. ¿Le parece bien?"
    assert _sentences(text, "es") == [
        "Estimada Sra. Martín: la Dña. Ruiz le llamará.",
        "¿Le parece bien?",
    ]


# -- masking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "piece", "kind"),
    [
        ("en", "It will arrive on 12 May.", "12 May", "date"),
        ("en", "See you on May 12, 2025 then.", "May 12, 2025", "date"),
        ("en", "I will write again by Thursday 5 pm.", "5 pm", "time"),
        ("en", "I will write again by Thursday 5 pm.", "Thursday", "date"),
        ("en", "We refunded $1,200.50 today.", "$1,200.50", "amount"),
        ("en", "Call me on +1 555 0100 any time.", "+1 555 0100", "phone"),
        ("en", "Write to ana.garcia@example.com today.", "ana.garcia@example.com", "email"),
        ("en", "Pay at https://pay.example.com/5520.", "https://pay.example.com/5520", "url"),
        ("en", "Your order ORD-4471 is late.", "ORD-4471", "number"),
        ("en", 'You wrote "slight delay" in your email.', '"slight delay"', "quote"),
        ("es", "Le escribiré el jueves a las 17:00.", "17:00", "time"),
        ("es", "Llegará el 12 de mayo de 2025.", "12 de mayo de 2025", "date"),
        ("es", "Le devolvemos 1.200,50 € hoy.", "1.200,50 €", "amount"),
        ("es", "Puede llamarme al +34 600 000 000.", "+34 600 000 000", "phone"),
    ],
)
def test_mask_finds_and_classifies(lang: str, text: str, piece: str, kind: str) -> None:
    found = {text[s.start : s.end]: s.kind for s in mask.spans(text, lang)}
    assert found.get(piece) == kind


def test_mask_keeps_length_lines_and_plain_words() -> None:
    text = "We may ship on 12 May.\n> you idiots\nCall +1 555 0100."
    masked = mask.mask(text, "en")
    assert len(masked) == len(text)
    assert masked.count("\n") == text.count("\n")
    assert masked.startswith("We may ship on ")  # "may" the verb stays; "12 May" goes
    assert "May" not in masked and "idiots" not in masked and "555" not in masked


def test_mask_cuts_the_quoted_previous_message() -> None:
    text = "Thanks, it is fixed.\n\nOn Mon, 3 May 2025, Ana <ana@example.com> wrote:\nIt broke."
    masked = mask.mask(text, "en")
    assert masked.startswith("Thanks, it is fixed.")
    assert "broke" not in masked


# -- questions -----------------------------------------------------------------------------


def test_find_questions_direct_and_indirect_in_english() -> None:
    text = (
        "My order 4471 is late again. When will it arrive? I want to know why nobody told "
        "me. Please tell me whether you will refund the shipping cost.\n\n"
        "On Mon, 3 May 2025, Shop <help@shop.example> wrote:\n> Will you need anything else?"
    )
    found = questions.find_questions(text, "en")
    assert [(q.text, q.kind, q.asks) for q in found] == [
        ("When will it arrive?", "direct", "time"),
        ("I want to know why nobody told me", "indirect", "reason"),
        ("Please tell me whether you will refund the shipping cost", "indirect", "other"),
    ]
    for q in found:
        assert text[q.start : q.end] == q.text
    assert "refund" in found[2].topic and "shipping" in found[2].topic


def test_find_questions_direct_and_indirect_in_spanish() -> None:
    text = (
        "Hola, ¿cuándo llegará mi pedido? Quiero saber por qué no me avisaron. "
        "Me gustaría saber si me devolverán el dinero.\n\nEl lun, 3 may 2025, Ana escribió:\n"
        "> ¿Algo más?"
    )
    found = questions.find_questions(text, "es")
    assert [(q.text, q.kind, q.asks) for q in found] == [
        ("¿cuándo llegará mi pedido?", "direct", "time"),
        ("Quiero saber por qué no me avisaron", "indirect", "reason"),
        ("Me gustaría saber si me devolverán el dinero", "indirect", "other"),
    ]
    assert "dinero" in found[2].topic


def test_a_statement_is_not_a_question() -> None:
    assert questions.find_questions("Thank you, let me know.", "en") == []
    assert questions.find_questions("Your order arrived. Thanks!", "en") == []


def test_topic_keys_join_synonyms() -> None:
    assert questions.topic_key("delivered", "en") == questions.topic_key("arrive", "en")
    assert questions.topic_key("reembolso", "es") == questions.topic_key("devolución", "es")


# -- email cleaning ------------------------------------------------------------------------


def test_clean_strips_html_and_the_quoted_reply() -> None:
    body = (
        "<html><body><p>Hello,<br>where is my order?</p>"
        "<div class='gmail_quote'>On Mon, Shop wrote: old text</div></body></html>"
    )
    assert clean.clean_email_body(body) == "Hello,\nwhere is my order?"


def test_clean_cuts_plain_text_quotes_in_both_languages() -> None:
    en = "Where is it?\r\n\r\nOn Mon, 3 May 2025 at 10:00, Shop <a@b.com> wrote:\r\n> Shipped"
    es = "¿Dónde está?\n\nEl lun, 3 may 2025 a las 10:00, Tienda escribió:\n> Enviado"
    assert clean.clean_email_body(en) == "Where is it?"
    assert clean.clean_email_body(es) == "¿Dónde está?"
    assert clean.clean_email_body("> only a quote") == ""


# -- properties ----------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400
) | st.sampled_from(
    [
        'On 12 May we said "soon". When?\n> quoted\n\nOn Mon, Ana wrote:\nx',
        "¿Cuándo? Quiero saber por qué. +34 600 000 000 el 12 de mayo a las 17:00.",
        "İİİ ßß ǅ Straße. Mr. X. e.g. y.",
    ]
)


@settings(max_examples=150, deadline=None)
@given(text=_TEXT, lang=st.sampled_from(["en", "es", "fr", "und"]))
def test_text_functions_never_crash_and_stay_inside_the_text(text: str, lang: str) -> None:
    code, confidence = language.detect(text)
    assert 0.0 <= confidence <= 1.0 and isinstance(code, str)
    for a, b in sentences.split(text, lang):
        assert 0 <= a < b <= len(text)
    assert len(mask.mask(text, lang)) == len(text)
    for span in mask.spans(text, lang):
        assert 0 <= span.start < span.end <= len(text) and span.kind in mask.SPAN_KINDS
    for q in questions.find_questions(text, lang):
        assert 0 <= q.start < q.end <= len(text)
        assert text[q.start : q.end] == q.text
    assert isinstance(clean.clean_email_body(text), str)


@pytest.mark.parametrize("path", sorted(_profiles.data_dir().glob("*.yml")), ids=lambda p: p.name)
def test_every_language_profile_follows_the_schema(path: Path) -> None:
    # Start-up reads the shipped profiles without the schema check; this is where they are held
    # to it.
    profile = _profiles._load_file(path, validate=True)
    assert profile.language == path.stem


def test_a_profile_that_breaks_the_schema_is_rejected_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "xx.yml"
    bad.write_text("language: xx\nfunction_words: 12\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"xx\.yml"):
        _profiles._load_file(bad, validate=True)
