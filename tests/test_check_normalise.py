"""Spelling tricks do not get a phrase past a rule, and findings still point at the original."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frankly.check import _accel, check
from frankly.check._normalise import normalise, suspect

# Every test here runs twice: with the C accelerator (when built) and in pure Python.
pytestmark = pytest.mark.usefixtures("checker_path")

EN = "Dear Sarah,\n\nYou failed to order early enough. We ship the rest on Friday.\n\nJames"
ES = (
    "Estimada Carmen:\n\nUsted no leyó las instrucciones del pedido. Le enviamos el resto el "
    "viernes.\n\nLucía"
)
CASES = [
    ("en", EN, "You failed to", "blame.customer"),
    ("es", ES, "Usted no leyó", "blame.cliente"),
]


def _letters(phrase: str, swap: dict[str, str]) -> str:
    return "".join(swap.get(c, c) for c in phrase)


def _fullwidth(phrase: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in phrase)


# The eleven tricks of the trust issue, each a change to the flagged phrase (or to the text).
TRICKS: dict[str, Callable[[str], str]] = {
    "two spaces": lambda p: p.replace(" ", "  ", 1),
    "no-break space": lambda p: p.replace(" ", "\xa0", 1),
    "newline": lambda p: p.replace(" ", "\n", 1),
    "zero-width space": lambda p: p[:2] + "\u200b" + p[2:],
    "zero-width joiner": lambda p: p[:3] + "\u200d" + p[3:],
    "soft hyphen": lambda p: p[:3] + "\xad" + p[3:],
    "cyrillic letters": lambda p: _letters(p, {"a": "а", "e": "е", "o": "о"}),
    "greek omicron": lambda p: _letters(p, {"o": "ο"}),
    "full-width letters": _fullwidth,
    "right-to-left override": lambda p: "\u202e" + p + "\u202c",
    "decomposed accents": lambda p: unicodedata.normalize("NFD", p),
}


@pytest.mark.parametrize("trick", TRICKS)
@pytest.mark.parametrize(("lang", "base", "phrase", "rule"), CASES)
def test_every_trick_still_raises_the_finding_on_the_original_text(
    trick: str, lang: str, base: str, phrase: str, rule: str
) -> None:
    tricked = TRICKS[trick](phrase)
    assert tricked != phrase or trick == "decomposed accents"
    text = base.replace(phrase, tricked)
    found = [f for f in check(text, lang=lang).findings if f.rule == rule]
    assert len(found) == 1, (trick, [f.rule for f in check(text, lang=lang).findings])
    f = found[0]
    assert f.severity == "error"
    # Offsets, flagged words, line and column are the original text's.
    assert f.text == text[f.start : f.end]
    at = text.index(tricked)
    assert at <= f.start and f.end <= at + len(tricked)
    assert unicodedata.normalize("NFKC", f.text).replace("\xad", "").strip()
    assert f.line == text.count("\n", 0, f.start) + 1 == 3
    assert f.column == f.start - text.rfind("\n", 0, f.start)
    # The message quotes the words as they read, without the invisible characters.
    assert "\u200b" not in f.message and "\u202e" not in f.message


@pytest.mark.parametrize(("lang", "base", "phrase", "rule"), CASES)
def test_a_whole_decomposed_text_gives_the_composed_texts_findings(
    lang: str, base: str, phrase: str, rule: str
) -> None:
    nfd = unicodedata.normalize("NFD", base)
    plain = check(base, lang=lang, stage="first_notice")
    tricked = check(nfd, lang=lang, stage="first_notice")
    assert [f.rule for f in tricked.findings] == [f.rule for f in plain.findings]
    assert any(f.rule == rule for f in tricked.findings)
    for mine, theirs in zip(tricked.findings, plain.findings, strict=True):
        assert mine.text == nfd[mine.start : mine.end]
        assert unicodedata.normalize("NFC", mine.text) == theirs.text
        assert (mine.line, mine.message) == (theirs.line, theirs.message)


def test_plain_text_is_not_normalised_and_reports_are_unchanged() -> None:
    assert not suspect(EN) and not suspect(ES)
    assert normalise(EN) is None
    assert check(EN).to_dict()["findings"][0]["start"] == EN.index("You failed")


def test_a_russian_or_greek_text_is_not_folded_to_latin() -> None:
    russian = "Вы опоздали с заказом, и мы ничего не можем сделать. Заказ пришёл поздно."
    assert normalise(russian) is None
    greek = "Η παραγγελία σας θα φτάσει την Παρασκευή."
    assert normalise(greek) is None


def test_paragraph_breaks_survive_and_single_breaks_inside_a_phrase_match() -> None:
    norm = normalise("Hello  Sarah,\r\n\r\nYou failed \n to order.")
    assert norm is not None
    assert norm.text == "Hello Sarah,\n\nYou failed\nto order."
    # A span in the normalised text maps back to the original's characters.
    start = norm.text.index("You")
    original = "Hello  Sarah,\r\n\r\nYou failed \n to order."
    s, e = norm.span(start, start + len("You failed\nto"))
    assert original[s:e] == "You failed \n to"


_TRICKY = st.sampled_from(
    [" ", "  ", "\n", "\n\n", "\r\n", "\t", "\xa0", "\u200b", "\xad", "\u202e", "а", "ο", "Ｙ",
     "e\u0301", "\u0301", "ﬁ", "𝐘", "\ufeff", "you failed to", "usted no leyó", "x", "\n "]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=st.lists(_TRICKY | st.text(max_size=6), max_size=30).map("".join))
def test_the_c_test_and_the_python_test_agree_and_spans_stay_on_characters(text: str) -> None:
    if _accel.speedups is not None:
        assert _accel.speedups.suspect(text) == suspect(text)
        # prepare(): the engine's lower case (before its "’" step) or None, in one pass.
        low = _accel.speedups.prepare(text)
        if suspect(text):
            assert low is None
        elif low is not None:
            assert low == text.lower().replace("\n", " ")
        else:
            assert any(ord(c) > 255 for c in text)
    norm = normalise(text)
    if norm is None:
        return
    assert suspect(text)
    n = len(norm.text)
    for a in range(0, n + 1, max(1, n // 7)):
        for b in range(a, n + 1, max(1, n // 5)):
            s, e = norm.span(a, b)
            assert 0 <= s <= e <= len(text)


def test_prepare_and_suspect_agree_with_python_on_every_character() -> None:
    # The module itself, not _accel.speedups: a pure-Python fixture may have set that to None.
    speedups = pytest.importorskip("frankly._speedups", reason="the C accelerator is not built")
    for code in [*range(0xD800), *range(0xE000, 0x10000), *range(0x1D400, 0x1D800), 0xE0041]:
        for text in (f"a{chr(code)}b", f" {chr(code)}\n"):
            assert speedups.suspect(text) == suspect(text), hex(code)
            low = speedups.prepare(text)
            assert low is None or low == text.lower().replace("\n", " "), hex(code)
            assert low is not None or suspect(text) or code > 255, hex(code)
