"""The candour checker as a library: what it flags, what it leaves alone, bad input."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import frankly.check
from frankly.check import STAGES, Report, _accel, check
from frankly.check._engine import sentence_cuts
from frankly.errors import InvalidInput

# Every test here runs twice: with the C accelerator (when built) and in pure Python.
pytestmark = pytest.mark.usefixtures("checker_path")


GOOD = (Path(__file__).parent / "data" / "good_messages").glob("*.txt")
GOOD_MESSAGES = sorted(GOOD)

PRACTICES_EXAMPLE = """\
Your order 4471 will not arrive on 12 May as we promised. Our supplier's
factory stopped for two days, and we found out this morning. It is our job to
plan around that, and we did not. We can ship the 40 units we have today and
the other 60 on 20 May, or send all 100 on 20 May with delivery at our cost.
Tell us which you prefer. I will write again by Thursday 5 pm with the
carrier's tracking number. You can reach me directly on +1 555 0100."""

WORDING = {
    "doublespeak",
    "evasive-passive",
    "blame",
    "hedging",
    "minimizing",
    "over-apology",
    "vague-promise",
    "shouting",
    "readability",
}


def test_public_api_is_deliberate() -> None:
    assert sorted(frankly.check.__all__) == sorted(
        [
            "CATEGORIES",
            "FAULTS",
            "RULE_KINDS",
            "LEVELS",
            "RULES_ENV",
            "STAGES",
            "Example",
            "Finding",
            "Fix",
            "Report",
            "Rule",
            "RuleError",
            "RuleSet",
            "accelerated",
            "check",
            "clear_cache",
            "default_rules",
            "load_rules",
        ]
    )


@pytest.mark.parametrize("stage", ["first_notice", "options", "update"])
def test_the_practices_example_passes_cleanly(stage: str) -> None:
    report = check(PRACTICES_EXAMPLE, stage=stage, fault="ours")
    assert report.language == "en"
    assert report.findings == ()
    assert report.score == 100


@pytest.mark.parametrize("path", GOOD_MESSAGES, ids=lambda p: p.stem)
def test_well_written_bad_news_gets_no_findings(path: Path) -> None:
    lang, rest = path.stem.split("_", 1)
    stage = next(s for s in STAGES if rest.startswith(s))
    report = check(path.read_text(encoding="utf-8"), stage=stage)
    assert report.language == lang
    assert [(f.rule, f.text) for f in report.findings] == []


def test_the_good_corpus_is_big_enough_in_both_languages() -> None:
    names = [p.stem for p in GOOD_MESSAGES]
    assert len(names) >= 30
    assert sum(n.startswith("en_") for n in names) >= 15
    assert sum(n.startswith("es_") for n in names) >= 15


BAD_EN = """\
Dear valued customer,

Please be advised that due to unforeseen circumstances and supply chain headwinds, there is a
slight delay with your order. Mistakes were made. It's the shipping company's fault, not ours.
We think it may possibly arrive soon, and we will keep you updated.
We apologize for any inconvenience this may have caused. We are terribly sorry!!
"""

BAD_ES = """\
Estimado cliente:

Le informamos de que, debido a circunstancias sobrevenidas, hay un pequeño retraso con su
pedido. Se cometieron errores. El retraso es culpa de la empresa de transporte.
Quizás tal vez llegue pronto, y le mantendremos informado.
Lamentamos las molestias. Mil disculpas. ¡¡Lo sentimos!!
"""


@pytest.mark.parametrize(("text", "lang"), [(BAD_EN, "en"), (BAD_ES, "es")])
def test_a_bad_draft_is_flagged_in_every_wording_category(text: str, lang: str) -> None:
    report = check(text, stage="first_notice")
    assert report.language == lang
    categories = {f.category for f in report.findings}
    expected = {
        "doublespeak",
        "evasive-passive",
        "blame",
        "hedging",
        "minimizing",
        "over-apology",
        "vague-promise",
        "shouting",
        "missing-next-update",
        "missing-contact",
    }
    assert expected <= categories
    assert report.score < 40
    for f in report.findings:
        assert f.text == text[f.start : f.end]
        assert f.message and f.category in frankly.check.CATEGORIES


def test_findings_carry_line_column_and_suggestion() -> None:
    text = "Hello,\n\nWe will leverage synergies to fix it."
    (finding,) = [f for f in check(text, lang="en").findings if f.category == "doublespeak"]
    assert (finding.line, finding.column) == (3, 9)
    assert finding.text == "leverage synergies"
    assert finding.suggestion == "work together"
    assert "work together" in finding.message
    assert finding.to_dict()["suggestion"] == "work together"


def test_dates_and_quoted_words_are_not_read_as_wording() -> None:
    text = (
        "In May we shipped 40 units, and May 12 is the new date. You called it a "
        '"slight delay", and you were right to be angry: it is two weeks.'
    )
    assert [f.rule for f in check(text, lang="en").findings] == []
    # The same words written by us are flagged.
    assert any(
        f.category == "minimizing" for f in check("It is a slight delay.", lang="en").findings
    )


def test_plain_passives_that_hide_nothing_are_fine() -> None:
    text = "Your order was shipped on 12 May. The invoice was paid on 3 June."
    assert check(text, lang="en").findings == ()


def test_one_apology_is_fine_two_are_not() -> None:
    one = check("I'm sorry your order is late. It leaves on Friday.", lang="en")
    two = check("I'm sorry your order is late. We apologise. It leaves on Friday.", lang="en")
    assert not [f for f in one.findings if f.category == "over-apology"]
    assert [f.text for f in two.findings if f.category == "over-apology"] == ["We apologise"]


def test_a_promise_with_a_date_is_not_vague() -> None:
    vague = check("We will send the replacement soon.", lang="en")
    dated = check("We will send the replacement soon, on Friday 16 May.", lang="en")
    assert [f.text for f in vague.findings] == ["soon"]
    assert dated.findings == ()


def test_missing_admission_only_when_the_fault_is_ours() -> None:
    text = "Your order will arrive on Friday instead of Tuesday. We will refund the delivery."
    assert [f.category for f in check(text, fault="ours").findings] == ["missing-admission"]
    assert check(text, fault="partner").findings == ()
    admitted = text + " That was our mistake."
    assert check(admitted, fault="ours").findings == ()


@pytest.mark.parametrize(
    ("draft", "customer", "unanswered"),
    [
        (
            "Your order will arrive on Friday 16 May. I'm sorry for the wait.",
            "When will my order arrive? And will you refund the shipping cost?",
            ["And will you refund the shipping cost?"],
        ),
        (
            "Your order will arrive on Friday 16 May. We will refund the shipping cost today.",
            "When will my order arrive? And will you refund the shipping cost?",
            [],
        ),
        (
            "Your order will arrive soon. We will refund the shipping cost.",
            "I want to know when my order will arrive.",
            ["I want to know when my order will arrive"],
        ),
        (
            "Le enviamos el pedido el lunes porque la fábrica paró dos días.",
            "Quiero saber por qué no me avisaron. ¿Cuándo llega el pedido?",
            ["Quiero saber por qué no me avisaron"],
        ),
    ],
)
def test_unanswered_questions_are_named(draft: str, customer: str, unanswered: list[str]) -> None:
    report = check(draft, reply_to=customer)
    found = [f for f in report.findings if f.category == "unanswered-question"]
    assert len(found) == len(unanswered)
    for finding, question in zip(found, unanswered, strict=True):
        assert question in finding.message


def test_questions_in_a_quoted_earlier_message_do_not_count() -> None:
    customer = "Thanks.\n\nOn Mon, 3 May 2025, Shop <help@shop.example> wrote:\n> Any questions?"
    report = check("You are welcome. Your order arrives on Friday.", reply_to=customer)
    assert not [f for f in report.findings if f.category == "unanswered-question"]


def test_mirroring_flags_the_customers_insults_repeated() -> None:
    customer = "You are a bunch of clowns and this is a scam."
    repeated = check(
        "I understand this feels like a scam. The refund leaves today.", reply_to=customer
    )
    calm = check(
        "I understand how frustrating this is. The refund leaves today.", reply_to=customer
    )
    assert [f.text for f in repeated.findings if f.category == "mirroring"] == ["scam"]
    assert not [f for f in calm.findings if f.category == "mirroring"]
    # Without the customer's message there is nothing to mirror.
    assert not check("This is not a scam.", lang="en").findings


def test_structure_checks_run_only_with_a_stage() -> None:
    text = "Thank you for your patience."
    assert check(text, lang="en").findings == ()
    missing = {f.category for f in check(text, lang="en", stage="first_notice").findings}
    assert {"missing-what", "missing-why", "missing-action", "missing-next-update"} <= missing
    assert "missing-contact" in missing


@pytest.mark.parametrize(
    ("text", "lang", "stage"),
    [
        (
            "Your order is late. I will write again by Thursday 5 pm. "
            "You can reach me directly on +1 555 0100.",
            "en",
            "update",
        ),
        (
            "Su pedido va con retraso. Le escribiré de nuevo el jueves a las 17:00. "
            "Puede llamarme directamente al +34 600 000 000.",
            "es",
            "update",
        ),
    ],
)
def test_natural_next_update_and_contact_phrasing_is_recognised(
    text: str, lang: str, stage: str
) -> None:
    categories = {f.category for f in check(text, lang=lang, stage=stage).findings}
    assert not categories & {"missing-next-update", "missing-contact"}


def test_an_unsupported_language_gets_only_language_free_checks() -> None:
    text = "Bonjour, votre commande est en retard. NOUS SOMMES DÉSOLÉS POUR CE RETARD!!"
    report = check(text, stage="first_notice")
    assert report.language == "fr"
    assert {f.category for f in report.findings} == {"shouting"}
    assert any("'fr'" in note for note in report.notes)


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        check(text)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stage": "someday"}, "Unknown stage"),
        ({"fault": "gremlins"}, "Unknown fault"),
        ({"lang": "english please"}, "Unknown language"),
    ],
)
def test_bad_arguments_are_invalid_input(kwargs: dict[str, str], match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        check("Your order is late.", **kwargs)


def test_a_megabyte_message_is_checked() -> None:
    text = (BAD_EN + "\n") * (1_000_000 // len(BAD_EN))
    report = check(text, stage="first_notice")
    assert len(report.findings) > 1000
    assert report.score == 0
    assert all(0 <= f.start <= f.end <= len(text) for f in report.findings)


def test_report_to_dict_is_plain_data() -> None:
    data = check(BAD_EN, stage="first_notice").to_dict()
    assert data["language"] == "en" and data["stage"] == "first_notice"
    assert data["counts"]["warning"] >= 5
    assert {"category", "rule", "severity", "message", "start", "end", "text"} <= set(
        data["findings"][0]
    )


def test_check_is_safe_from_many_threads() -> None:
    expected = [f.to_dict() for f in check(BAD_EN, stage="first_notice").findings]
    results: list[Report] = []

    def work() -> None:
        for _ in range(20):
            results.append(check(BAD_EN, stage="first_notice"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 80
    assert all([f.to_dict() for f in r.findings] == expected for r in results)


@settings(max_examples=120, deadline=None)
@given(
    text=st.text(min_size=1, max_size=600).filter(lambda t: t.strip())
    | st.sampled_from([BAD_EN, BAD_ES, PRACTICES_EXAMPLE, '¡¡NO!! 12 May "soon"\n> idiot']),
    stage=st.sampled_from([None, *STAGES]),
    reply=st.sampled_from([None, "When? Why?", "¿Cuándo? Son unos idiotas.", ""]),
)
def test_any_text_checks_without_crashing_and_offsets_stay_inside(
    text: str, stage: str | None, reply: str | None
) -> None:
    report = check(text, stage=stage, reply_to=reply, fault="ours")
    assert 0 <= report.score <= 100
    for f in report.findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert f.text == text[f.start : f.end]
        assert f.line >= 1 and f.column >= 1


# The sentence ends the checker scopes rules with, written as one pattern: the engine finds
# them with one pattern per first character (faster), which must give exactly these ends.
_ONE_PASS_CUTS = re.compile(
    r"[.!?…\n](?:(?<=\n)(?<![.!?…\"'»”’)\]]\n)[ \t]*\n|(?<=[.!?…])[.!?…]*[\"'»”’)\]]*(?=\s))"
)


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet=".!?…\n \t\"'»”’)]ab\u00a0\r", max_size=30)
    | st.text(max_size=200)
    | st.sampled_from([BAD_EN, BAD_ES, PRACTICES_EXAMPLE])
)
def test_sentence_ends_match_the_one_pass_pattern(text: str) -> None:
    assert sentence_cuts(text) == [m.end() for m in _ONE_PASS_CUTS.finditer(text)]


def test_missing_part_findings_match_the_rule_in_every_message() -> None:
    # A finding about the whole message is built once per rule and shared between reports.
    first = check("Your order is late.", lang="en", stage="update")
    second = check("We found the cause. It was the carrier.", lang="en", stage="update")
    contact = [f for f in first.findings if f.category == "missing-contact"]
    again = [f for f in second.findings if f.category == "missing-contact"]
    assert contact and contact == again
    assert (contact[0].start, contact[0].end, contact[0].line, contact[0].column) == (0, 0, 1, 1)
    assert contact[0].text == "" and "{" not in contact[0].message


def test_findings_in_a_long_text_have_the_right_line_and_column() -> None:
    # Long texts index their line ends instead of counting them for each finding.
    text = (BAD_EN + "\n\n") * (30_000 // len(BAD_EN))
    findings = check(text, stage="first_notice").findings
    assert len(text) > 20_000 and len(findings) > 100
    for f in findings:
        assert f.line == text.count("\n", 0, f.start) + 1
        assert f.column == f.start - text.rfind("\n", 0, f.start)


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(
            [
                "friday",
                "Friday",
                "today",
                "next friday",
                "end of day",
                "hoy",
                "mañana",
                "lunes",
                "pasado mañana",
                "esta noche",
                "x",
                "1",
                " ",
                "\n",
                ".",
                "-",
                "é",
                '"',
                "@a.co",
            ]
        ),
        max_size=40,
    ).map("".join),
    lang=st.sampled_from(["en", "es"]),
)
def test_date_words_found_by_the_scan_are_the_mask_modules(text: str, lang: str) -> None:
    # The pack's automaton finds the language's date words in the same pass as the phrases;
    # they must be exactly the spans frankly.text.mask.date_word_spans gives, on both paths.
    from frankly.check import load_rules
    from frankly.check._engine import Context, _applicable, _lower, _scan
    from frankly.text.mask import date_word_spans

    pack = load_rules().packs[lang]
    assert pack.date_words
    low = _lower(text)
    expected = date_word_spans(low, lang)
    speedups = _accel.speedups
    for module in {speedups, None}:
        _accel.speedups = module
        try:
            ctx = Context(text, low, lang, pack, None, None, None)
            _scan(ctx, _applicable(pack, "update", "ours", False).live)
            assert ctx.dates == expected
        finally:
            _accel.speedups = speedups
