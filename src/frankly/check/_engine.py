"""The check itself: one scan of the lower-cased draft, then each rule reads its matches.

Order of work for one draft: choose the language, lower-case once, find the stretches to
mask (dates, amounts, quotes…), run the language's Aho-Corasick automaton once, drop matches
inside masked stretches, split sentences, and hand each rule only its own matches. Rules with
no matches cost nothing unless they are metrics or scripts.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from itertools import pairwise
from operator import sub
from typing import Any

from frankly.check import _accel, _metrics, _normalise
from frankly.check._report import Finding, Report, make_finding, make_report, score
from frankly.check._rules import (
    DATE_RULE,
    FAULTS,
    SPECIAL_MASK,
    SPECIAL_MONTH,
    STAGES,
    Entry,
    Pack,
    Rule,
    RuleSet,
    load_rules,
)
from frankly.config import extra_dirs
from frankly.errors import InvalidInput
from frankly.text import mask as _mask
from frankly.text.language import detect
from frankly.text.sentences import split

RULES_ENV = "FRANKLY_RULES_DIRS"
_LANG_CODE = re.compile(r"^[a-z]{2,3}$")
_FALLBACK = "en"

Hit = tuple[int, int, str | None]
# Per automaton key: the slots it fills as a whole word, and as the start of a word.
Live = tuple[tuple[Entry, ...], tuple[Entry, ...]]


def default_rules() -> RuleSet:
    """Built-in rules plus the packs named in ``FRANKLY_RULES_DIRS`` (cached)."""
    if not os.environ.get(RULES_ENV):
        # The common case: no extra packs, so skip building and resolving a folder list.
        return load_rules(())
    return load_rules(extra_dirs(RULES_ENV))


# Candidate sentence ends for scoping rules and counting sentences (frankly.text.sentences
# does the careful split; this cheap one is enough to tell whether two words share a sentence):
# terminal punctuation, more of it, closing quotes, then white space; or a blank line not
# right after punctuation. One pattern per first character, because the regex engine skips
# to a literal far faster than to a character class; a run like "?!" gives the same end from
# each of its characters, so the ends are simply merged.
_CLOSE = "[\"'»”’)\\]]*(?=\\s)"
_DOT_END = re.compile(r"\.[.!?…]*" + _CLOSE)
_OTHER_ENDS = tuple((ch, re.compile(re.escape(ch) + "[.!?…]*" + _CLOSE)) for ch in "!?…")
_NEWLINE = re.compile("\n")
_DIGIT = re.compile(r"\d")
_LONG_TEXT = 20_000
_BLANK_LINE = re.compile(r"\n(?<![.!?…\"'»”’)\]]\n)[ \t]*\n")


def sentence_cuts(text: str) -> list[int]:
    """Offsets where a sentence may end, in order.

    The same ends as one pass of ``[.!?…](?:[.!?…]*)closers*(?=\\s)`` or a blank line.
    """
    ends = [m.end() for m in _DOT_END.finditer(text)]
    extra: list[int] = []
    for ch, pattern in _OTHER_ENDS:
        if ch in text:
            extra.extend(m.end() for m in pattern.finditer(text))
    if "\n" in text:
        extra.extend(m.end() for m in _BLANK_LINE.finditer(text))
    if extra:
        ends = sorted(set(ends).union(extra))
    return ends


class Context:
    """What rules and scripts see of one draft. Built once per check; not shared."""

    __slots__ = (
        "_all_kinds",
        "_caps",
        "_cheap_kinds",
        "_cuts",
        "_date_hits",
        "_dates",
        "_fig",
        "_newlines",
        "_sentence_kinds",
        "_sentences",
        "fault",
        "lang",
        "low",
        "pack",
        "reply_to",
        "span_ends",
        "span_starts",
        "spans",
        "stage",
        "text",
    )

    def __init__(
        self,
        text: str,
        low: str,
        lang: str,
        pack: Pack,
        stage: str | None,
        fault: str | None,
        reply_to: str | None,
    ) -> None:
        self.text = text
        self.low = low
        self.lang = lang
        self.pack = pack
        self.stage = stage
        self.fault = fault
        self.reply_to = reply_to
        # Stretches wording rules skip (quotes, emails, URLs); numbers are classified lazily,
        # only when a rule asks for a date, time, amount or phone number.
        self.spans: list[_mask.Span] = []
        self.span_starts: list[int] = []
        self.span_ends: list[int] = []
        self._dates: list[_mask.Span] | None = None
        # The date words the scan found (when the pack's automaton holds them), else None.
        self._date_hits: list[Hit] | None = None
        self._cuts: list[int] | None = None
        self._sentences: list[tuple[int, int]] | None = None
        self._all_kinds: list[_mask.Span] | None = None
        self._caps: bool | None = None
        # The C accelerator's figures (cuts, counts, capitals...), when it ran.
        self._fig: _accel.Figures | None = None
        self._newlines: list[int] | None = None
        self._sentence_kinds: dict[tuple[int, int], frozenset[str]] = {}
        self._cheap_kinds: dict[tuple[int, int], set[str]] = {}

    def set_spans(self, spans: list[_mask.Span]) -> None:
        self.spans = spans
        self.span_starts = [s.start for s in spans]
        self.span_ends = [s.end for s in spans]

    def line_of(self, pos: int) -> int:
        """1-based line number of ``pos``."""
        text = self.text
        if len(text) <= _LONG_TEXT:
            return text.count("\n", 0, pos) + 1
        # A long text can have tens of thousands of findings: counting from the start for
        # each would take minutes for 5 MB, so its line ends are indexed once.
        if self._newlines is None:
            self._newlines = [m.start() for m in _NEWLINE.finditer(text)]
        return bisect_left(self._newlines, pos) + 1

    def masked(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` overlaps a stretch wording rules skip."""
        i = bisect_right(self.span_starts, end - 1) - 1
        return i >= 0 and self.span_ends[i] > start

    @property
    def dates(self) -> list[_mask.Span]:
        """Weekday names and words like "tomorrow", found on first use."""
        if self._dates is None:
            hits = self._date_hits
            if hits is None:
                self._dates = _mask.date_word_spans(self.low, self.lang)
            else:  # found by the scan: the same spans in the same order
                self._dates = [_mask.Span(s, e, "date") for s, e, _ in hits]
        return self._dates

    @property
    def sentences(self) -> list[tuple[int, int]]:
        """Careful sentence spans (frankly.text.sentences.split), computed on first use."""
        if self._sentences is None:
            self._sentences = split(self.text, self.lang)
        return self._sentences

    @property
    def cuts(self) -> list[int]:
        """Offsets where a sentence may end (cheap; for scoping and counting)."""
        if self._cuts is None:
            self._cuts = sentence_cuts(self.text)
        return self._cuts

    def sentence_of(self, pos: int) -> tuple[int, int]:
        """The ``(start, end)`` of the stretch between sentence ends that holds ``pos``."""
        cuts = self.cuts
        k = bisect_right(cuts, pos)
        return (cuts[k - 1] if k else 0, cuts[k] if k < len(cuts) else len(self.text))

    def segments(self) -> Iterator[tuple[int, int]]:
        """The stretches between cheap sentence ends, including empty ones."""
        return pairwise([0, *self.cuts, len(self.text)])

    def kind_spans(self) -> list[_mask.Span]:
        """Every classified stretch: dates, times, amounts, numbers, phones, emails, URLs."""
        if self._all_kinds is None:
            found = [s for s in self.spans if s.kind in ("email", "url")]
            found.extend(self.dates)
            found.extend(_mask.number_spans(self.text, self.lang))
            self._all_kinds = _mask.merge(found)
        return self._all_kinds

    def kinds_in(self, bounds: tuple[int, int], kinds: list[str] | tuple[str, ...]) -> bool:
        """Whether ``text[start:end]`` holds a stretch of one of ``kinds`` (date, phone…)."""
        hits = self._date_hits
        if hits and "date" in kinds:
            # The usual answer: a date word the scan found inside the stretch ("by Friday").
            s, e = bounds
            for a, b, _ in hits:
                if a >= s and b <= e:
                    return True
        found = self._sentence_kinds.get(bounds)
        if found is None:
            s, e = bounds
            cached = self._cheap_kinds.get(bounds)
            if cached is not None:
                names = cached
            else:
                names = set()
                hits = self._date_hits
                if hits is not None:
                    # A date word the scan found inside the stretch.
                    for a, b, _ in hits:
                        if a >= s and b <= e:
                            names.add("date")
                            break
                    words = None
                else:
                    words = _mask._date_words(self.lang)
                low, offset = self.low, 0
                if words is not None and len(low) > _LONG_TEXT:
                    # The automaton reads the whole string on every call: in a long text, give
                    # it the sentence and one character either side (for the word boundaries).
                    offset = max(s - 1, 0)
                    low = low[offset : e + 1]
                # mask.date_word_spans's test, stopping at the first date word: one is enough.
                if words is not None:
                    n = len(low)
                    for last, size in words.iter(low, s - offset, e - offset):
                        first = last - size + 1
                        if (first == 0 or not low[first - 1].isalnum()) and (
                            last + 1 >= n or not low[last + 1].isalnum()
                        ):
                            names.add("date")
                            break
                if self.spans:
                    names.update(
                        sp.kind
                        for sp in self.spans
                        if sp.kind in ("email", "url") and sp.start < e and sp.end > s
                    )
                self._cheap_kinds[bounds] = names
            if not names.isdisjoint(kinds):
                # Numbers only add kinds, so the (slower) number scan cannot change the answer.
                return True
            # The kinds mask.number_spans would give this stretch, without building its spans.
            # The first number of a wanted kind settles the answer: the stretch's kinds are
            # then not all known, so only that kind joins the ones known to be there.
            text = self.text
            speedups = _accel.speedups
            if speedups is not None:
                digit = speedups.first_digit(text, s, e)
            else:
                m = _DIGIT.search(text, s, e)
                digit = -1 if m is None else m.start()
            if digit < 0:
                # Every number pattern needs a digit inside the stretch: nothing to classify.
                found = frozenset(names)
                self._sentence_kinds[bounds] = found
                return not found.isdisjoint(kinds)
            known = names
            names = set(names)
            classify = _mask._classify
            # A number starts at most two characters before its first digit ("$ 5"), so the
            # pattern is tried from there rather than from every character before it.
            for m in _mask._numeric(self.lang).finditer(text, max(s, digit - 2), e):
                kind = classify(m.group())
                if kind in kinds:
                    known.add(kind)
                    return True
                names.add(kind)
            if "number" not in names and _mask._CODE.search(text, s, e):
                names.add("number")
            found = frozenset(names)
            self._sentence_kinds[bounds] = found
        return not found.isdisjoint(kinds)

    def has_kind(self, kinds: list[str] | tuple[str, ...]) -> bool:
        """Whether the text holds a stretch of one of ``kinds`` anywhere."""
        return any(sp.kind in kinds for sp in self.kind_spans())

    def words_between(self, start: int, end: int) -> int:
        """Words between two offsets; a sentence end in between counts as far apart."""
        piece = self.low[start:end]
        if not piece or piece.isspace():
            return 0
        if any(c in piece for c in ".!?;") or "\n" in self.text[start:end]:
            return 99
        return len(piece.split())


# With the accelerator, a Context, a Finding and a Report are each built in one C call with
# every field given (speedups.new), not one attribute store at a time.
_CONTEXT_FIELDS = (
    "text", "low", "lang", "pack", "stage", "fault", "reply_to", "spans", "span_starts",
    "span_ends", "_dates", "_date_hits", "_cuts", "_sentences", "_all_kinds", "_caps", "_fig",
    "_newlines", "_sentence_kinds", "_cheap_kinds",
)  # fmt: skip
_FINDING_FIELDS = (
    "category", "rule", "severity", "message", "start", "end", "text", "suggestion", "line",
    "column",
)  # fmt: skip
_REPORT_FIELDS = (
    "language", "language_confidence", "score", "findings", "stage", "fault", "notes", "source",
)  # fmt: skip
_CONTEXT = _accel.maker(Context, _CONTEXT_FIELDS)
_FINDING = _accel.maker(Finding, _FINDING_FIELDS)
_REPORT = _accel.maker(Report, _REPORT_FIELDS)


def _lower(text: str) -> str:
    speedups = _accel.speedups
    # The accelerator's lower() is str.lower, without its per-character look-ups for accents.
    low = text.lower() if speedups is None else speedups.lower(text)
    if len(low) != len(text):
        # A few characters grow when lower-cased ("İ"); keep offsets aligned.
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if "’" in low:
        low = low.replace("’", "'")
    if "\n" in low:
        # A phrase broken by a line break (hard-wrapped mail) is still the phrase; a blank
        # line becomes two spaces, which no phrase contains. Same length: offsets hold.
        low = low.replace("\n", " ")
    return low


def _scan(ctx: Context, live: list[Live | None]) -> dict[int, dict[str, list[Hit]]]:
    """Run the automaton once; return each rule's matches by role, masked ones removed.

    ``live`` holds, per automaton key, the (rule, role, payload) slots of the rules that can
    fire for this stage and fault (``None`` when there are none): other matches cost one
    lookup.
    """
    pack = ctx.pack
    if pack.automaton is None:
        return {}
    by_rule: dict[int, dict[str, list[Hit]]]
    if pack.scanner is not None:
        speedups = _accel.speedups
        if speedups is not None:
            # The same matches, filters and order as the loop below, in C.
            by_rule, parts = speedups.scan(pack.scanner, ctx.low, ctx.text, live)
            if pack.date_words and ctx.lang == pack.language:
                dates = by_rule.pop(DATE_RULE, None)
                ctx._date_hits = dates["date"] if dates is not None else []
            if parts:
                _drop_masked(ctx, by_rule, parts)
            return by_rule
    low = ctx.low
    text = ctx.text
    n = len(low)
    by_rule = {}
    mask_parts: set[str] | None = None
    for last, (size, need_left, need_right, key, special, part) in pack.automaton.iter(low):
        slots = live[key]
        if slots is None and special != SPECIAL_MASK:
            continue
        start = last - size + 1
        if need_left and start and low[start - 1].isalnum():
            continue
        end = last + 1
        if not need_right or end >= n or not low[end].isalnum():
            if special:
                if special == SPECIAL_MONTH:
                    if text[start].isupper():
                        continue  # "May" the month is not "may" the hedge
                elif mask_parts is None:
                    mask_parts = {part}
                else:
                    mask_parts.add(part)
            if slots is not None and slots[0]:
                for rule, role, payload in slots[0]:
                    roles = by_rule.get(rule)
                    if roles is None:
                        by_rule[rule] = {role: [(start, end, payload)]}
                    elif role in roles:
                        roles[role].append((start, end, payload))
                    else:
                        roles[role] = [(start, end, payload)]
        if slots is not None and slots[1]:
            stop = end
            while stop < n and (low[stop].isalnum() or low[stop] == "-"):
                stop += 1
            for rule, role, payload in slots[1]:
                roles = by_rule.get(rule)
                if roles is None:
                    by_rule[rule] = {role: [(start, stop, payload)]}
                elif role in roles:
                    roles[role].append((start, stop, payload))
                else:
                    roles[role] = [(start, stop, payload)]
    if pack.date_words and ctx.lang == pack.language:
        dates = by_rule.pop(DATE_RULE, None)
        ctx._date_hits = dates["date"] if dates is not None else []
    if mask_parts:
        _drop_masked(ctx, by_rule, mask_parts)
    return by_rule


def _drop_masked(
    ctx: Context, by_rule: dict[int, dict[str, list[Hit]]], mask_parts: set[str]
) -> None:
    """Find the stretches to mask that the scan saw cues of; drop the matches inside them."""
    text = ctx.text
    speedups = _accel.speedups
    if len(mask_parts) == 1 and "email" in mask_parts and not text.startswith("'"):
        # The usual cue (an address in the signature): what wording_spans finds for "email"
        # alone, without its general set-up.
        if speedups is not None:
            found = [_mask.Span(s, e, "email") for s, e in speedups.emails(text)]
        else:
            found = _mask._emails(text)
    else:
        found = _mask.wording_spans(text, ctx.lang, lower=ctx.low, only=frozenset(mask_parts))
    ctx.set_spans(_mask.merge(found))
    spans = ctx.spans
    if not spans:
        return
    if speedups is not None:
        speedups.drop(by_rule, ctx.span_starts, ctx.span_ends)  # drop_hits, in C
    else:
        drop_hits(by_rule, ctx.span_starts, ctx.span_ends)


def drop_hits(by_rule: dict[int, dict[str, list[Hit]]], starts: list[int], ends: list[int]) -> None:
    """Remove the hits that overlap a masked stretch (``starts``/``ends``: sorted, disjoint),
    then the roles and rules left without hits (``_speedups.drop`` does the same in C).
    """
    if not starts:
        return
    # Usually one stretch (an email address): a match is kept when it ends before the first
    # stretch starts or starts after the last one ends, and tested one by one otherwise.
    first, last = starts[0], ends[-1]

    def masked(start: int, end: int) -> bool:
        i = bisect_right(starts, end - 1) - 1
        return i >= 0 and ends[i] > start

    for rule, roles in list(by_rule.items()):
        for role, hits in list(roles.items()):
            for h in hits:
                if h[1] > first and h[0] < last:
                    break
            else:
                continue
            kept = [h for h in hits if not masked(h[0], h[1])]
            if kept:
                roles[role] = kept
            else:
                del roles[role]
        if not roles:
            del by_rule[rule]


def _finding(
    ctx: Context,
    rule: Rule,
    start: int,
    end: int,
    suggestion: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Finding:
    if start == end == 0 and suggestion is None and not extra:
        # A finding about the whole message (a missing part) reads the same in every message:
        # build it once per rule; a Finding is immutable, so one copy can be shared.
        cache = ctx.pack.cache
        key = ("whole", rule.id)
        found = cache.get(key)
        if found is None or found[0] is not rule:
            found = cache[key] = (rule, _build_finding(ctx, rule, 0, 0, None, None))
        return found[1]
    return _build_finding(ctx, rule, start, end, suggestion, extra)


def _build_finding(
    ctx: Context,
    rule: Rule,
    start: int,
    end: int,
    suggestion: str | None,
    extra: dict[str, Any] | None,
) -> Finding:
    text = ctx.text
    speedups = _accel.speedups
    if speedups is not None and _FINDING is not None and not extra and len(text) <= _LONG_TEXT:
        # The steps below in one C call (a long text keeps its index of line ends instead).
        return speedups.finding(
            _FINDING, rule.category, rule.id, rule.level, rule.message,
            rule.suggestion if suggestion is None else suggestion, text, start, end,
        )  # fmt: skip
    flagged = text[start:end]
    message = rule.message.replace("{text}", flagged)
    if suggestion is None:
        suggestion = rule.suggestion
    if suggestion:
        message = message.replace("{suggestion}", suggestion)
    if extra:
        for key, value in extra.items():
            message = message.replace("{" + key + "}", str(value))
            if suggestion:
                suggestion = suggestion.replace("{" + key + "}", str(value))
    line = ctx.line_of(start)
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    if speedups is not None and _FINDING is not None:
        return speedups.new(
            _FINDING, rule.category, rule.id, rule.level, message, start, end, flagged,
            suggestion, line, column,
        )  # fmt: skip
    return make_finding(
        rule.category, rule.id, rule.level, message, start, end, flagged, suggestion, line, column
    )


def _longest_first(hits: list[Hit]) -> list[Hit]:
    """Hits without overlaps, keeping the longest of overlapping ones."""
    if len(hits) < 2:
        return hits
    ordered = sorted(hits, key=lambda h: (h[0], h[0] - h[1]))
    kept: list[Hit] = [ordered[0]]
    for hit in ordered[1:]:
        if hit[0] < kept[-1][1]:
            continue
        kept.append(hit)
    return kept


def _tokens(roles: dict[str, list[Hit]], role: str = "tokens") -> list[Hit]:
    hits = _longest_first(roles.get(role, []))
    exceptions = roles.get("exceptions")
    if exceptions and hits:
        hits = [h for h in hits if not any(e[0] <= h[0] and h[1] <= e[1] for e in exceptions)]
    return hits


# -- kinds -------------------------------------------------------------------------------


def _existence(ctx: Context, index: int, rule: Rule, roles: dict[str, list[Hit]]) -> list[Finding]:
    patterns = ctx.pack.regexes.get(index)
    trigger = ctx.pack.triggers.get(index)
    if not roles and trigger == "capitals" and not _has_caps_run(ctx):
        return []  # the common case for the capitals rule: no match, no two capitals
    hits = _tokens(roles)
    if patterns and (
        trigger is None
        # The only text trigger is "capitals"; the others are patterns.
        or (_has_caps_run(ctx) if isinstance(trigger, str) else trigger.search(ctx.text))
    ):
        extra: list[Hit] = []
        for pattern in patterns:
            for m in pattern.finditer(ctx.text):
                if m.end() > m.start() and not ctx.masked(m.start(), m.end()):
                    extra.append((m.start(), m.end(), None))
        if extra:
            hits = _longest_first(hits + extra)
    return [_finding(ctx, rule, s, e) for s, e, _ in hits]


def _substitution(
    ctx: Context, index: int, rule: Rule, roles: dict[str, list[Hit]]
) -> list[Finding]:
    return [_finding(ctx, rule, s, e, suggestion=p) for s, e, p in _tokens(roles, "swap")]


def _occurrence(ctx: Context, index: int, rule: Rule, roles: dict[str, list[Hit]]) -> list[Finding]:
    hits = _tokens(roles)
    limit = int(rule.spec["max"])
    if len(hits) <= limit:
        return []
    if rule.spec.get("scope") == "sentence":
        groups: dict[tuple[int, int], list[Hit]] = {}
        for hit in hits:
            groups.setdefault(ctx.sentence_of(hit[0]), []).append(hit)
        over = [h for g in groups.values() if len(g) > limit for h in g[limit:]]
    else:
        over = hits[limit:]
    return [_finding(ctx, rule, s, e, extra={"count": len(hits)}) for s, e, _ in over]


def _requires(ctx: Context, index: int, rule: Rule, roles: dict[str, list[Hit]]) -> list[Finding]:
    needed = {ctx.sentence_of(s) for s, _, _ in roles.get("requires", ())}
    kinds = rule.spec.get("requires_kinds") or ()
    out = []
    for s, e, _ in _tokens(roles):
        bounds = ctx.sentence_of(s)
        if bounds in needed or (kinds and ctx.kinds_in(bounds, kinds)):
            continue
        out.append(_finding(ctx, rule, s, e))
    return out


def _sequence(ctx: Context, index: int, rule: Rule, roles: dict[str, list[Hit]]) -> list[Finding]:
    anchors = roles.get("seq0")
    if not anchors:
        return []
    followers = ctx.pack.followers[index]
    unless = ctx.pack.unless.get(index)
    exceptions = roles.get("exceptions", ())
    low = ctx.low
    found: list[Hit] = []
    for start, end, _ in anchors:
        pos = end
        for follower in followers:
            m = follower.match(low, pos)
            if m is None:
                break
            pos = m.end()
        else:
            if unless is not None and unless.match(low, pos):
                continue
            if any(e[0] <= start and pos <= e[1] for e in exceptions):
                continue
            found.append((start, pos, None))
    return [_finding(ctx, rule, s, e) for s, e, _ in _longest_first(found)]


def _metric(ctx: Context, index: int, rule: Rule, roles: dict[str, list[Hit]]) -> list[Finding]:
    spec = rule.spec
    metric = spec["metric"]
    if metric == "sentence_words":
        limit = int(spec.get("max", 35))
        bounds = [0, *ctx.cuts, len(ctx.text)]
        # The longest stretch between two ends (from the accelerator's figures, or found by
        # map in C): usually no stretch is long enough to hold that many words.
        fig = ctx._fig
        if (fig[6] if fig is not None else max(map(sub, bounds[1:], bounds))) <= limit * 5:
            return []
        low = ctx.low
        out = []
        for s, e in pairwise(bounds):
            # Only stretches long enough to hold that many words are split carefully.
            if e - s <= limit * 5:
                continue
            for a, b in split(ctx.text[s:e], ctx.lang):
                words = low.count(" ", s + a, s + b) + low.count("\n", s + a, s + b) + 1
                if words > limit:
                    out.append(
                        _finding(ctx, rule, s + a, s + b, extra={"words": words, "max": limit})
                    )
        return out
    if metric == "caps_ratio":
        if not _has_caps_run(ctx):
            return []
        ratio, letters = _metrics.caps_ratio(ctx.text)
        if letters >= int(spec.get("min_words", 20)) and ratio > float(spec.get("max", 0.5)):
            # About the whole message, so it does not hide the capitals findings inside it.
            return [_finding(ctx, rule, 0, 0, extra={"percent": round(ratio * 100)})]
        return []
    return _readability_check(rule)(ctx, index, rule, roles)


def _readability_check(rule: Rule) -> _Handler:
    """The handler of a readability metric rule (flesch…), with its settings read once:
    it runs for every message long enough to score.
    """
    spec = rule.spec
    metric = spec["metric"]
    english = metric == "flesch"
    min_words = int(spec.get("min_words", 40))
    floor = float(spec.get("min", 40))
    formula: Callable[[int, int, int], float] = getattr(_metrics, metric)

    def readability(
        ctx: Context, index: int, rule: Rule, roles: dict[str, list[Hit]]
    ) -> list[Finding]:
        fig = ctx._fig
        if fig is None:
            words, syllables = _metrics.counts(ctx.text, english=english)
        else:  # the same figures, counted in the accelerator's one pass
            words = fig[2]
            syllables = max(fig[3] - fig[4] if english else fig[3], words)
        if words < min_words:
            return []
        cuts = ctx.cuts
        sentences = len(cuts) + (1 if not cuts or ctx.text[cuts[-1] :].strip() else 0)
        value = formula(words, max(sentences, 1), syllables)
        if value >= floor:
            return []
        s, e = max(ctx.sentences, key=lambda span: span[1] - span[0], default=(0, 0))
        return [_finding(ctx, rule, s, e, extra={"score": round(value)})]

    return readability


def _has_caps_run(ctx: Context) -> bool:
    if ctx._caps is None:
        ctx._caps = _metrics.has_capitals_run(ctx.text)
    return ctx._caps


def _script(ctx: Context, index: int, rule: Rule, roles: dict[str, list[Hit]]) -> list[Finding]:
    out = []
    for item in ctx.pack.scripts[index](ctx, rule, roles):
        start, end, extra = item
        out.append(_finding(ctx, rule, start, end, extra=extra))
    return out


_CHECKERS_BY_KIND: dict[
    str, Callable[[Context, int, Rule, dict[str, list[Hit]]], list[Finding]]
] = {
    "existence": _existence,
    "substitution": _substitution,
    "occurrence": _occurrence,
    "requires": _requires,
    "sequence": _sequence,
    "metric": _metric,
    "script": _script,
}


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop a finding inside another of the same category ("soon" in "as soon as possible")."""
    if not findings:
        return findings
    findings.sort(key=lambda f: (f.start, f.start - f.end, f.rule))
    kept: list[Finding] = [findings[0]]
    for f in findings[1:]:
        start, end = f.start, f.end
        if end > start:
            category = f.category
            for k in kept[-6:]:
                if k.category == category and k.start <= start and end <= k.end and k.end > k.start:
                    break
            else:
                kept.append(f)
            continue
        kept.append(f)
    return kept


# -- which rules apply --------------------------------------------------------------------

_NO_HITS: dict[str, list[Hit]] = {}
_Handler = Callable[[Context, int, Rule, dict[str, list[Hit]]], list[Finding]]


class _Applicable:
    """The rules that can fire for one (stage, fault, language support) combination."""

    __slots__ = (
        "always",
        "always_calls",
        "always_gated",
        "cue_rules",
        "handlers",
        "live",
        "matched",
        "quiet_calls",
        "quiet_gated",
        "wanted",
    )

    def __init__(self, pack: Pack, stage: str | None, fault: str | None, independent: bool):
        usable = []
        for index, rule in enumerate(pack.rules):
            if independent and not rule.any_language:
                continue
            if rule.stages is not None and stage not in rule.stages:
                continue
            if rule.faults is not None and fault not in rule.faults:
                continue
            usable.append(index)
        always = set(pack.always)
        self.handlers: dict[int, _Handler] = {i: _handler(pack, i) for i in usable}
        # Rules that run on every message, and rules that run only when they matched.
        self.always = tuple(i for i in usable if i in always)
        self.matched = {i: h for i, h in self.handlers.items() if i not in always}
        # The always-run rules as ready calls; without a customer message, the built-in
        # reply scripts (which return at once when there is none) are left out.
        from frankly.check import _scripts

        reply_only = (_scripts.mirroring, _scripts.unanswered_questions)
        # Structure rules that a cue phrase alone satisfies ("what went wrong", "why"): they
        # fire exactly when none of their cues matched, which the check tests without a call.
        self.cue_rules = tuple(
            (i, pack.rules[i])
            for i in self.always
            if _is_structure(pack, i)
            and not pack.rules[i].spec.get("with_kinds")
            and not pack.rules[i].spec.get("kinds")
        )
        cue_only = {i for i, _ in self.cue_rules}
        self.always_calls = tuple(
            (i, pack.rules[i], self.handlers[i]) for i in self.always if i not in cue_only
        )
        self.quiet_calls = tuple(
            call for call in self.always_calls if pack.scripts.get(call[0]) not in reply_only
        )
        # The same calls for a check with the accelerator's figures, each with its gate.
        self.always_gated = tuple((*call, *_gate(pack, *call)) for call in self.always_calls)
        self.quiet_gated = tuple((*call, *_gate(pack, *call)) for call in self.quiet_calls)
        # The date-word slot rides along unless only language-independent rules run.
        self.wanted = frozenset(
            [*self.handlers, DATE_RULE] if pack.date_words and not independent else self.handlers
        )
        # Per automaton key, only the slots of these rules (None when nothing is left).
        wanted = self.wanted
        live: list[Live | None] = []
        for closed, opened in pack.entries:
            keep_closed = tuple(e for e in closed if e[0] in wanted)
            keep_opened = tuple(e for e in opened if e[0] in wanted)
            live.append((keep_closed, keep_opened) if keep_closed or keep_opened else None)
        self.live = live


def _handler(pack: Pack, index: int) -> _Handler:
    """The function that checks rule ``index``: built for the rules that run on most
    messages (structure, readability), else the one of the rule's kind.
    """
    rule = pack.rules[index]
    if _is_structure(pack, index):
        return _structure_check(rule)
    if rule.kind == "metric" and rule.spec["metric"] not in ("sentence_words", "caps_ratio"):
        return _readability_check(rule)
    return _CHECKERS_BY_KIND[rule.kind]


def _gate(pack: Pack, index: int, rule: Rule, handler: _Handler) -> tuple[int, int, bool]:
    """``(position, limit, unmatched)``: with the accelerator's figures ``fig``, the rule
    cannot fire when ``fig[position] <= limit`` (and, if ``unmatched``, none of its phrases
    matched), exactly as its handler's first test says. Position -1: no gate.
    """
    if rule.kind == "metric":
        spec = rule.spec
        metric = spec["metric"]
        if metric == "sentence_words":
            return (6, int(spec.get("max", 35)) * 5, False)  # the longest stretch
        if metric == "caps_ratio":
            return (5, 0, False)  # two capitals in a row somewhere
        return (2, int(spec.get("min_words", 40)) - 1, False)  # enough words to score
    if handler is _existence and pack.triggers.get(index) == "capitals":
        return (5, 0, True)
    return (-1, 0, False)


def _is_structure(pack: Pack, index: int) -> bool:
    # lazy: the structure scripts load only for packs that use them
    from frankly.check import _scripts

    return pack.scripts.get(index) is _scripts.structure


def _structure_check(rule: Rule) -> _Handler:
    """The built-in structure script for ``rule``, inlined: it runs for every message at
    every stage, so its settings are read once and its one finding (about the whole message,
    the same in every message) is built once.
    """
    with_kinds = rule.spec.get("with_kinds") or None
    kinds = rule.spec.get("kinds") or None
    built: list[Finding] = []

    def structure(
        ctx: Context, index: int, rule: Rule, roles: dict[str, list[Hit]]
    ) -> list[Finding]:
        cues = roles.get("lex:cues")
        if cues:
            if with_kinds is None:
                return []
            for start, _, _ in cues:
                if ctx.kinds_in(ctx.sentence_of(start), with_kinds):
                    return []
        if kinds is not None and ctx.has_kind(kinds):
            return []
        if not built:
            built.append(_finding(ctx, rule, 0, 0))
        return [built[0]]

    return structure


def _applicable(pack: Pack, stage: str | None, fault: str | None, independent: bool) -> _Applicable:
    key = (stage, fault, independent)
    found = pack.cache.get(key)
    if found is None:
        # Built once per combination; a race only builds the same thing twice.
        found = pack.cache[key] = _Applicable(pack, stage, fault, independent)
    return found


# -- entry point -------------------------------------------------------------------------


def check(
    text: str,
    lang: str | None = None,
    stage: str | None = None,
    reply_to: str | None = None,
    fault: str | None = None,
    *,
    rules: RuleSet | None = None,
    context: dict[str, Any] | None = None,
) -> Report:
    """Check a customer-facing draft and return a Report of findings and a 0-100 score.

    ``lang`` is "en", "es", another ISO code, or None/"auto" to detect it; for a language
    without rules only language-independent rules run and the report says so in ``notes``.
    ``stage`` (one of STAGES) turns on the structure checks for that message stage;
    ``reply_to`` is the customer's message the draft answers (unanswered questions,
    mirrored insults); ``fault`` ("ours", "partner", "customer", "outside") turns on the
    admission check when it is ours. ``rules`` defaults to the built-in rules plus
    ``FRANKLY_RULES_DIRS``. ``context`` is the case the draft belongs to, for the one-click
    fixes (``Report.fixes``): ``facts`` (a dict), ``kind``, ``customer_name``, ``agent_name``,
    ``agent_phone``, ``agent_email``, ``next_update``; a fix only ever inserts values found
    there. Pure and thread-safe.

    Raises InvalidInput for empty text, an unknown stage or fault, or a malformed language.
    """
    if not isinstance(text, str):
        raise InvalidInput("The draft must be text.")
    if not text or text.isspace():  # same test as "not text.strip()", without the copy
        raise InvalidInput("There is nothing to check: the draft is empty.")
    if stage is not None and stage not in STAGES:
        raise InvalidInput(f"Unknown stage {stage!r}: use one of {', '.join(STAGES)}.")
    if fault is not None and fault not in FAULTS:
        raise InvalidInput(f"Unknown fault {fault!r}: use one of {', '.join(FAULTS)}.")
    if reply_to is not None and not isinstance(reply_to, str):
        raise InvalidInput("The customer's message must be text.")
    speedups = _accel.speedups
    if speedups is not None:
        # The usual case, in one pass: the lower-cased text when there is nothing to
        # normalise (None sends the text the careful way below).
        low = speedups.prepare(text)
        if low is not None:
            if "’" in low:
                low = low.replace("’", "'")
            return _check(text, lang, stage, reply_to, fault, rules, context, low)
    if _normalise.suspect(text):
        # Spelling tricks (odd spaces, invisible characters, look-alike letters...): check the
        # normalised text, then point the findings back at the original.
        norm = _normalise.normalise(text)
        # (A draft of invisible characters alone has no words to hide: it is checked as is.)
        if norm is not None and norm.text and not norm.text.isspace():
            report = _check(norm.text, lang, stage, reply_to, fault, rules, context)
            return _remap(report, norm, text)
    return _check(text, lang, stage, reply_to, fault, rules, context)


def _remap(report: Report, norm: _normalise.Normalised, text: str) -> Report:
    """``report`` (of the normalised text) with its findings' offsets, line, column and
    flagged words taken from the original ``text``; messages keep the normalised words,
    which read cleanly (no invisible characters or overrides).
    """
    findings = []
    newlines: list[int] | None = None
    for f in report.findings:
        start, end = norm.span(f.start, f.end)
        if len(text) > _LONG_TEXT:
            if newlines is None:
                newlines = [m.start() for m in _NEWLINE.finditer(text)]
            line = bisect_left(newlines, start) + 1
        else:
            line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        findings.append(
            make_finding(
                f.category,
                f.rule,
                f.severity,
                f.message,
                start,
                end,
                text[start:end],
                f.suggestion,
                line,
                column,
            )
        )
    source = report.source
    return make_report(
        report.language,
        report.language_confidence,
        tuple(findings),
        report.stage,
        report.fault,
        report.notes,
        None if source is None else [text, *source[1:4]],
    )


def _check(
    text: str,
    lang: str | None,
    stage: str | None,
    reply_to: str | None,
    fault: str | None,
    rules: RuleSet | None,
    context: dict[str, Any] | None,
    low: str | None = None,
) -> Report:
    ruleset = rules if rules is not None else default_rules()
    notes: list[str] = []
    speedups = _accel.speedups
    fig = _accel.figures(speedups, text) if speedups is not None else None
    if lang is None or lang == "auto":
        if fig is None:
            code, confidence = detect(text)
        elif fig[0] is not None:  # the figures settled the language (_accel.language_of)
            code, confidence = _accel.language_name(fig[0][0]), round(fig[0][1], 3)
        else:
            code, confidence = detect(text)
    else:
        code = lang.strip().lower()
        if not _LANG_CODE.match(code) and code != "und":
            raise InvalidInput(f"Unknown language {lang!r}: use an ISO code such as en or es.")
        confidence = 1.0
    pack = ruleset.packs.get(code)
    independent = pack is None
    if pack is None:
        pack = ruleset.packs.get(_FALLBACK) or next(iter(ruleset.packs.values()))
        supported = ", ".join(ruleset.languages())
        if code == "und":
            notes.append(
                "Could not tell which language this is; only checks that work in any "
                "language ran (capitals, exclamation marks, sentence length)."
            )
        else:
            notes.append(
                f"This text looks like {code!r}; Frankly has rules for {supported} only, so "
                "only checks that work in any language ran."
            )
        if stage is not None:
            notes.append("Structure checks need a supported language and were skipped.")
    if low is None:
        low = _lower(text)
    if fig is not None and _CONTEXT is not None:
        # The same Context as below, with the accelerator's figures, in one call.
        ctx = speedups.new(  # type: ignore[union-attr]
            _CONTEXT, text, low, "und" if independent else code, pack, stage, fault, reply_to,
            [], [], [], None, None, fig[1], None, None, fig[5], fig, None, {}, {},
        )  # fmt: skip
    else:
        ctx = Context(text, low, "und" if independent else code, pack, stage, fault, reply_to)
        if fig is not None:
            ctx._fig = fig
            ctx._cuts = fig[1]
            ctx._caps = fig[5]
    applies = pack.cache.get((stage, fault, independent))
    if applies is None:
        applies = _applicable(pack, stage, fault, independent)
    by_rule = _scan(ctx, applies.live)
    findings: list[Finding] = []
    rules_list = pack.rules
    for index, rule in applies.cue_rules:
        roles = by_rule.get(index)
        if roles is None or "lex:cues" not in roles:
            findings.append(_finding(ctx, rule, 0, 0))
    if fig is None:
        for index, rule, handler in applies.always_calls if reply_to else applies.quiet_calls:
            findings.extend(handler(ctx, index, rule, by_rule.get(index, _NO_HITS)))
    else:
        # The figures settle most metric and capitals rules without calling them.
        counts: tuple[Any, ...] = fig  # read by position: a gate's position is a count
        for index, rule, handler, position, limit, unmatched in (
            applies.always_gated if reply_to else applies.quiet_gated
        ):
            if position >= 0 and counts[position] <= limit and not (unmatched and index in by_rule):
                continue
            findings.extend(handler(ctx, index, rule, by_rule.get(index, _NO_HITS)))
    for index, roles in by_rule.items():
        handler = applies.matched.get(index)
        if handler is not None:
            findings.extend(handler(ctx, index, rules_list[index], roles))
    if len(findings) > 1:
        findings = _dedupe(findings)
    if fig is not None and _REPORT is not None and speedups is not None:
        found = tuple(findings)
        return speedups.new(
            _REPORT, code, confidence, score(found) if found else 100, found, stage, fault,
            tuple(notes), [text, pack, code, context],
        )  # fmt: skip
    return make_report(
        code, confidence, tuple(findings), stage, fault, tuple(notes), [text, pack, code, context]
    )
