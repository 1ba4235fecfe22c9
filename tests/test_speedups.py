"""The C accelerator gives exactly what the pure-Python checker gives: figures, scan, reports."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frankly.check import STAGES, Report, _accel, _metrics, accelerated, check, load_rules
from frankly.check._engine import Context, _lower, _scan, sentence_cuts
from frankly.text.language import detect

pytestmark = pytest.mark.skipif(
    not accelerated(),
    reason="the C accelerator frankly._speedups is not built, or FRANKLY_PURE_PYTHON is set",
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from corpus import corpus  # noqa: E402  (the benchmark's own generator)

RULES = load_rules()
SPEEDUPS = _accel.speedups


@contextmanager
def _pure() -> Iterator[None]:
    _accel.speedups = None
    try:
        yield
    finally:
        _accel.speedups = SPEEDUPS


def _both(text: str, **kwargs: Any) -> tuple[Report, Report]:
    fast = check(text, **kwargs)
    with _pure():
        slow = check(text, **kwargs)
    return fast, slow


# Texts that exercise the C code's edges: every string kind, case changes that change length
# (İ), context-dependent case (Σ), lone surrogates, combining marks, CRLF, NEL, U+2028,
# sentence ends before closers, blank lines, capitals, masked stretches and the month "May".
_PIECES = [
    "We apologize for the slight delay.",
    "Mistakes were made",
    "it's the shipping company's fault",
    "Lamentamos el pequeño retraso",
    "se cometieron errores",
    "quizás tal vez",
    "as soon as possible",
    "lo antes posible",
    "May",
    "may",
    "12 May",
    '"soon"',
    "> idiot",
    "bob@example.com",
    "WE ARE SORRY!!!",
    "İSTANBUL",
    "ΣΟΦΊΑ",
    "e\u0301",
    "\ud800",
    "😀",
    "\U0001d400",
    "\r\n",
    "\n\n",
    "\n \t\n",
    ".\n\n",
    "?!",
    "…",
    '."',
    "’",
    "»",
    "\u00a0",
    "\u2028",
    "\x85",
    "\x1c",
    "the and for with you",
    "el la de que y",
    " ",
]
_WORDS = [p for pack in RULES.packs.values() for p in pack.phrases[:400]]
texts = st.lists(
    st.sampled_from(_PIECES) | st.sampled_from(_WORDS) | st.text(max_size=12),
    min_size=1,
    max_size=60,
).map(" ".join) | st.text(max_size=300)


def _python_figures(text: str) -> tuple[Any, ...]:
    cuts = sentence_cuts(text)
    bounds = [0, *cuts, len(text)]
    return (
        detect(text),
        cuts,
        _metrics.counts(text, english=True),
        _metrics.counts(text, english=False),
        _metrics.has_capitals_run(text),
        max(b - a for a, b in pairwise(bounds)),
    )


def _c_figures(text: str) -> tuple[Any, ...]:
    fig = _accel.figures(SPEEDUPS, text)  # type: ignore[arg-type]
    words, syll, e_space = fig[2], fig[3], fig[4]
    return (
        _accel.language_of(fig, text),
        fig[1],
        (words, max(syll - e_space, words)),
        (words, max(syll, words)),
        fig[5],
        fig[6],
    )


@settings(max_examples=400, deadline=None)
@given(text=texts)
def test_figures_match_python_on_any_text(text: str) -> None:
    assert _c_figures(text) == _python_figures(text)


@settings(max_examples=400, deadline=None)
@given(text=texts)
def test_lower_is_str_lower_on_any_text(text: str) -> None:
    low = SPEEDUPS.lower(text)  # type: ignore[union-attr]
    assert low == text.lower()
    assert low.isascii() == text.lower().isascii()


def test_lower_is_str_lower_for_every_character() -> None:
    # Each character alone and next to capitals: a mapping to another character, to several
    # characters (İ) or depending on context (Σ) must give exactly what str.lower gives.
    for first in range(0, 0x110000, 128):
        chars = [chr(c) for c in range(first, first + 128) if not 0xD800 <= c < 0xE000]
        for text in ("".join(chars), *(c + "ÁB" for c in chars)):
            assert SPEEDUPS.lower(text) == text.lower(), hex(first)  # type: ignore[union-attr]


def _all_live(lang: str) -> list[Any]:
    return [(c, o) if c or o else None for c, o in RULES.packs[lang].entries]


def _scans(text: str, lang: str, live: list[Any]) -> tuple[Any, Any]:
    pack = RULES.packs[lang]
    low = _lower(text)
    fast = _scan(Context(text, low, lang, pack, None, None, None), live)
    with _pure():
        slow = _scan(Context(text, low, lang, pack, None, None, None), live)
    return fast, slow


@settings(max_examples=300, deadline=None)
@given(text=texts, lang=st.sampled_from(["en", "es"]))
def test_scan_matches_python_in_the_same_order(text: str, lang: str) -> None:
    fast, slow = _scans(text, lang, _all_live(lang))
    # Same dicts in the same insertion order: rules, roles and hits.
    assert [(r, list(roles.items())) for r, roles in fast.items()] == [
        (r, list(roles.items())) for r, roles in slow.items()
    ]


@settings(max_examples=200, deadline=None)
@given(
    text=texts.filter(lambda t: t.strip()),
    stage=st.sampled_from([None, *STAGES]),
    fault=st.sampled_from([None, "ours"]),
    lang=st.sampled_from([None, "en", "es", "fr"]),
    reply=st.sampled_from([None, "When? Why?", "¿Cuándo? Son unos idiotas."]),
)
def test_reports_match_python_on_any_text(
    text: str, stage: str | None, fault: str | None, lang: str | None, reply: str | None
) -> None:
    fast, slow = _both(text, lang=lang, stage=stage, fault=fault, reply_to=reply)
    assert fast == slow


CORPUS = corpus(400, seed=7)


@pytest.mark.parametrize("start", range(0, len(CORPUS), 100))
def test_reports_match_python_on_the_benchmark_corpus(start: int) -> None:
    stages = [None, *STAGES]
    for i, (_, text) in enumerate(CORPUS[start : start + 100]):
        stage = stages[i % len(stages)]
        fault = "ours" if i % 3 == 0 else None
        reply = "When will it arrive? Why?" if i % 5 == 0 else None
        fast, slow = _both(text, stage=stage, fault=fault, reply_to=reply)
        assert fast == slow, text
        assert _c_figures(text) == _python_figures(text)


def test_reports_match_python_on_every_rule_example() -> None:
    count = 0
    for rule in RULES.rules():
        for example in (*rule.fire, *rule.quiet):
            for lang in (rule.language, None):
                kwargs = {"stage": example.stage, "fault": example.fault}
                fast, slow = _both(example.text, lang=lang, reply_to=example.reply_to, **kwargs)
                assert fast == slow, (rule.id, example.text)
                count += 1
    assert count > 500


@pytest.mark.parametrize(
    "text",
    [
        "a",
        "\ud800",
        "😀" * 10,
        "İ" * 400 + " the and for with you to of",
        ("The slight delay is nothing to worry about. " * 120_000)[:5_000_000],
        "ñ" * 5_000_000,
        "\U0001f600 hello\r\n" * 300_000,
    ],
    ids=["one", "surrogate", "emoji", "dotted-i", "5MB-ascii", "5MB-latin1", "5MB-astral"],
)
def test_edge_texts_give_the_python_figures_and_scan(text: str) -> None:
    assert _c_figures(text) == _python_figures(text)
    fast, slow = _scans(text, "en", _all_live("en"))
    assert fast == slow


def test_wrong_arguments_raise_instead_of_crashing() -> None:
    pack = RULES.packs["en"]
    table = _accel._words()[0]
    with pytest.raises(TypeError):
        SPEEDUPS.shared(b"bytes", table)  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        SPEEDUPS.lower(b"bytes")  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        SPEEDUPS.shared("text", pack.scanner)  # type: ignore[union-attr]
    with pytest.raises(ValueError):  # live must have one entry per key
        SPEEDUPS.scan(pack.scanner, "abc", "abc", [])  # type: ignore[union-attr]
    with pytest.raises(ValueError):  # the lower case must be as long as the text
        SPEEDUPS.scan(pack.scanner, "ab", "abc", _all_live("en"))  # type: ignore[union-attr]


def test_keys_beyond_the_bmp_fall_back_to_the_python_scan() -> None:
    value = (2, False, False, 0, 0, None)
    assert _accel.build_scan(["😀x"], [value], 2, 3) is None
    assert _accel.build_scan(["ok"], [value], 2, 3) is not None


def test_a_business_pack_with_an_emoji_key_gives_the_python_reports(tmp_path: Path) -> None:
    folder = tmp_path / "pack" / "en"
    folder.mkdir(parents=True)
    (folder / "acme.yml").write_text(
        """\
rules:
  - id: acme.emoji
    category: minimizing
    level: warning
    kind: existence
    message: Do not laugh it off.
    tokens: ["lol 😂", synergy]
    examples:
      fire: [The delay is short lol 😂.]
      quiet: [The delay is short.]
""",
        encoding="utf-8",
    )
    rules = load_rules([tmp_path / "pack"])
    assert rules.packs["en"].scanner is None  # this pack uses the Python scan
    assert RULES.packs["en"].scanner is not None
    text = "Sorry, the slight delay is short lol 😂. Our synergy is great."
    fast, slow = _both(text, rules=rules)
    assert fast == slow
    assert {f.rule for f in fast.findings} >= {"acme.emoji"}


def _naive_hits(keys: list[str], text: str) -> dict[int, dict[str, list[Any]]]:
    # Every occurrence, by end offset, the longest key first: the automaton's output order.
    index = {k: i for i, k in enumerate(keys)}
    longest = max(map(len, keys))
    by_rule: dict[int, dict[str, list[Any]]] = {}
    for end in range(1, len(text) + 1):
        for size in range(min(longest, end), 0, -1):
            i = index.get(text[end - size : end])
            if i is not None:
                by_rule.setdefault(i % 50, {}).setdefault("fire", []).append((end - size, end, i))
    return by_rule


@pytest.mark.parametrize("count", [300, 20_000], ids=["16-bit-cells", "32-bit-cells"])
def test_scan_with_narrow_and_wide_state_numbers(count: int) -> None:
    # 20,000 keys of up to 14 letters make more than 65,536 states: the table falls back to
    # 32-bit cells. Texts of the keys' letters and others give long partial matches.
    import random

    rng = random.Random(count)
    keys = list(
        dict.fromkeys("".join(rng.choices("abcdefgh", k=rng.randint(1, 14))) for _ in range(count))
    )
    values = [(len(k), False, False, i, 0, None) for i, k in enumerate(keys)]
    automaton = _accel.build_scan(keys, values, 2, 3)
    assert automaton is not None
    live = [(((i % 50, "fire", i),), ()) for i in range(len(keys))]
    for _ in range(20):
        text = "".join(rng.choices("abcdefghij ", k=200)) + rng.choice(keys) + "ñ€😀"
        by_rule, parts = SPEEDUPS.scan(automaton, text, text, live)  # type: ignore[union-attr]
        assert parts is None
        expected = _naive_hits(keys, text)
        assert [(r, list(roles.items())) for r, roles in by_rule.items()] == [
            (r, list(roles.items())) for r, roles in expected.items()
        ]


def _shape(by_rule: dict[Any, dict[Any, list[Any]]]) -> list[Any]:
    # Everything, down to which objects are the keys and the payloads, in insertion order.
    return [
        (
            id(rule),
            rule,
            [(id(role), role, [(a, b, id(p)) for a, b, p in hits]) for role, hits in roles.items()],
        )
        for rule, roles in by_rule.items()
    ]


@pytest.mark.parametrize("rules", [3, 40, 200], ids=["few-rules", "some-rules", "many-rules"])
def test_scan_files_hits_like_python_with_equal_but_distinct_keys(rules: int) -> None:
    # The scan remembers rules and roles by identity: equal objects that are not the same one
    # (ints above the small-int cache, 1 and True and 1.0, copies of a role string), more
    # rules than it remembers, and several roles per rule must still file each hit where the
    # Python loop does, under the key object that came first.
    import random

    rng = random.Random(rules)
    keys = list(
        dict.fromkeys("".join(rng.choices("abcde", k=rng.randint(1, 6))) for _ in range(300))
    )
    values = [(len(k), False, False, i, 0, None) for i, k in enumerate(keys)]
    automaton = _accel.build_scan(keys, values, 2, 3)
    assert automaton is not None
    pool: list[Any] = [1, True, 1.0, 2, 2.0]
    roles = ["fire", "cue", "other"]

    def rule() -> Any:
        n = rng.randrange(rules + len(pool))
        return pool[n - rules] if n >= rules else int(str(1000 + n))  # a new int object

    def role() -> str:
        name = rng.choice(roles)
        return name if rng.random() < 0.5 else "".join(list(name))  # the same object, or a copy

    live: list[Any] = [
        (tuple((rule(), role(), object()) for _ in range(rng.randint(1, 3))), ())
        if rng.random() < 0.8
        else None
        for _ in keys
    ]
    index = {k: i for i, k in enumerate(keys)}
    for _ in range(30):
        text = "".join(rng.choices("abcdef ", k=300))
        by_rule, parts = SPEEDUPS.scan(automaton, text, text, live)  # type: ignore[union-attr]
        assert parts is None
        expected: dict[Any, dict[Any, list[Any]]] = {}
        for end in range(1, len(text) + 1):
            for size in range(min(6, end), 0, -1):
                i = index.get(text[end - size : end])
                if i is not None and live[i] is not None:
                    for r, ro, payload in live[i][0]:
                        expected.setdefault(r, {}).setdefault(ro, []).append(
                            (end - size, end, payload)
                        )
        assert _shape(by_rule) == _shape(expected)
