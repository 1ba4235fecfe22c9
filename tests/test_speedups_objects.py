"""The accelerator's object maker and digit finder give what the Python they replace gives."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frankly.check import Finding, Report, _accel, accelerated
from frankly.check._engine import _CONTEXT_FIELDS, Context, drop_hits
from frankly.text import mask

pytestmark = pytest.mark.skipif(
    not accelerated(),
    reason="the C accelerator frankly._speedups is not built, or FRANKLY_PURE_PYTHON is set",
)
SPEEDUPS = _accel.speedups
_DIGIT = re.compile(r"\d")


def test_new_builds_the_same_finding_and_report_as_their_constructors() -> None:
    fields = Finding.__slots__
    values = ("blame", "blame.x", "error", "Do not blame.", 4, 9, "carrier", None, 2, 3)
    made = SPEEDUPS.new(_accel.maker(Finding, fields), *values)  # type: ignore[union-attr]
    assert made == Finding(*values) and type(made) is Finding
    with pytest.raises(AttributeError):
        made.start = 0  # still frozen
    report = SPEEDUPS.new(  # type: ignore[union-attr]
        _accel.maker(Report, Report.__slots__), "en", 0.9, 85, (made,), "update", "ours", (),
        None,
    )  # fmt: skip
    assert report == Report("en", 0.9, 85, (made,), "update", "ours", ())
    assert report.to_dict()["counts"]["error"] == 1


def test_new_builds_a_context_with_every_field_set() -> None:
    maker = _accel.maker(Context, _CONTEXT_FIELDS)
    values = [object() for _ in _CONTEXT_FIELDS]
    ctx = SPEEDUPS.new(maker, *values)  # type: ignore[union-attr]
    assert [getattr(ctx, name) for name in _CONTEXT_FIELDS] == values


def test_a_maker_refuses_fields_that_do_not_cover_the_class() -> None:
    with pytest.raises(ValueError, match="every slot"):
        _accel.maker(Finding, Finding.__slots__[:-1])
    with pytest.raises(ValueError, match="every slot"):
        _accel.maker(Finding, (*Finding.__slots__[:-1], "category"))
    with pytest.raises(TypeError):
        SPEEDUPS.maker(Finding, (Report.__dict__["score"],))  # type: ignore[union-attr]
    maker = _accel.maker(Finding, Finding.__slots__)
    with pytest.raises(TypeError, match="9 values for 10 fields"):
        SPEEDUPS.new(maker, *range(9))  # type: ignore[union-attr]


def test_first_digit_matches_the_regex_digit_on_every_code_point() -> None:
    for first in range(0, 0x110000, 4096):
        chars = "".join(chr(c) for c in range(first, first + 4096) if not 0xD800 <= c < 0xE000)
        for ch in chars:
            found = SPEEDUPS.first_digit(ch, 0, 1)  # type: ignore[union-attr]
            assert (found == 0) == bool(_DIGIT.match(ch)), hex(ord(ch))
        m = _DIGIT.search(chars)
        assert SPEEDUPS.first_digit(chars, 0, len(chars)) == (m.start() if m else -1)  # type: ignore[union-attr]


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet="0123456789 $€#+(-:/.,ab\u00a0MayJan ", max_size=40)
    | st.text(max_size=60),
    lang=st.sampled_from(["en", "es"]),
    data=st.data(),
)
def test_numbers_found_from_the_first_digit_are_the_numbers_found_from_the_start(
    text: str, lang: str, data: st.DataObject
) -> None:
    # kinds_in starts the number pattern two characters before the stretch's first digit.
    s = data.draw(st.integers(0, len(text)))
    e = data.draw(st.integers(s, len(text)))
    digit = SPEEDUPS.first_digit(text, s, e)  # type: ignore[union-attr]
    m = _DIGIT.search(text, s, e)
    assert digit == (m.start() if m else -1)
    pattern = mask._numeric(lang)
    every = [(x.start(), x.end()) for x in pattern.finditer(text, s, e)]
    if digit < 0:
        assert every == []
    else:
        assert [(x.start(), x.end()) for x in pattern.finditer(text, max(s, digit - 2), e)] == every


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(alphabet="ab_.+-@ é1\n", max_size=40)
    | st.text(max_size=80)
    | st.sampled_from(["Ana <ana.perez@example.co.uk>", "a@b@c.d", "x@y.", "ü@ß.es"])
)
def test_emails_are_the_mask_modules(text: str) -> None:
    expected = [(s.start, s.end) for s in mask._emails(text)]
    assert SPEEDUPS.emails(text) == expected  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(
    hits=st.dictionaries(
        st.integers(-1, 6),
        st.dictionaries(
            st.sampled_from(["tokens", "exceptions", "lex:cues"]),
            st.lists(
                st.tuples(st.integers(0, 60), st.integers(1, 12)).map(
                    lambda p: (p[0], p[0] + p[1], None)
                ),
                min_size=1,
                max_size=5,
            ),
            min_size=1,
        ),
    ),
    cuts=st.lists(st.integers(0, 80), min_size=2, max_size=8, unique=True).map(sorted),
)
def test_dropping_masked_hits_in_c_matches_python(
    hits: dict[int, dict[str, list[tuple[int, int, None]]]], cuts: list[int]
) -> None:
    spans = list(zip(cuts[::2], cuts[1::2], strict=False))
    fast = {rule: {role: list(h) for role, h in roles.items()} for rule, roles in hits.items()}
    slow = {rule: {role: list(h) for role, h in roles.items()} for rule, roles in hits.items()}
    SPEEDUPS.drop(fast, [s for s, _ in spans], [e for _, e in spans])  # type: ignore[union-attr]
    drop_hits(slow, [s for s, _ in spans], [e for _, e in spans])
    assert fast == slow
    assert list(fast) == list(slow) and all(list(fast[r]) == list(slow[r]) for r in fast)


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet="ab \n{}é’😀", max_size=40),
    template=st.sampled_from(
        ["Plain.", "Avoid “{text}”.", "Say {suggestion} for {text}.", "{text}{text} {suggestion}"]
    ),
    suggestion=st.sampled_from([None, "", "now", "{text}"]),
    data=st.data(),
)
def test_a_finding_built_in_c_is_the_one_python_builds(
    text: str, template: str, suggestion: str | None, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    flagged = text[start:end]
    message = template.replace("{text}", flagged)
    if suggestion:
        message = message.replace("{suggestion}", suggestion)
    expected = Finding(
        "hedging", "hedging.x", "warning", message, start, end, flagged, suggestion,
        text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start),
    )  # fmt: skip
    maker = _accel.maker(Finding, Finding.__slots__)
    made = SPEEDUPS.finding(  # type: ignore[union-attr]
        maker, "hedging", "hedging.x", "warning", template, suggestion, text, start, end
    )
    assert made == expected


def test_a_finding_outside_the_text_is_refused() -> None:
    maker = _accel.maker(Finding, Finding.__slots__)
    with pytest.raises(ValueError, match="inside the text"):
        SPEEDUPS.finding(maker, "c", "r", "error", "m", None, "abc", 2, 9)  # type: ignore[union-attr]
