"""Scanning a message once for every cue of a language (Aho-Corasick over folded text).

Text is folded (lower case, accents removed, curly quotes straightened) without changing its
length, so every hit's offsets point into the original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import ahocorasick

from frankly.triage._data import LanguagePack


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if len(base) == 1 and base.isascii() and base != char:
            table[code] = base.lower()
    for quote in "’‘`´":
        table[ord(quote)] = "'"
    for space in "\n\r\t\f\v\u00a0\u2028\u2029":
        table[ord(space)] = " "
    return table


_FOLD = _fold_table()
_NEUTRAL = "neutral"


def fold(text: str) -> str:
    """Lower-case ``text``, drop accents and straighten quotes, keeping its length."""
    low = text.lower()
    if len(low) != len(text):
        # A few characters (e.g. "İ") lower-case to two; keep them as they are.
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.translate(_FOLD)


def cue_span(match: re.Match[str]) -> tuple[int, int]:
    """The words a pattern match shows as its trigger: its ``cue`` group when the pattern has
    one ("by Friday" in "if it isn't here by Friday"), else the whole match."""
    if "cue" in match.re.groupindex and match.start("cue") >= 0:
        return match.span("cue")
    return match.span()


@dataclass(frozen=True, slots=True)
class Hit:
    """One cue found in a message: ``group`` is e.g. ``cue:anger``, ``kind:late_delivery``."""

    group: str
    start: int
    end: int


class Matcher:
    """All cues of one language, compiled once into one automaton."""

    def __init__(self, pack: LanguagePack) -> None:
        entries: dict[str, list[tuple[str, bool]]] = {}

        def add(group: str, words: tuple[str, ...]) -> None:
            for word in words:
                prefix = word.endswith("*")
                key = fold(word.rstrip("*").strip())
                entries.setdefault(key, []).append((group, prefix))

        for name, words in pack.cues.items():
            add(f"cue:{name}", words)
        for name, words in pack.kinds.items():
            add(f"kind:{name}", words)
        for name, words in pack.risks.items():
            add(f"risk:{name}", words)
        add("risk:urgency", pack.urgency_words)
        add(_NEUTRAL, pack.neutral)
        # Patterns run on folded text (already lower case and without accents).
        self._patterns = tuple(
            (f"risk:{name}", pattern)
            for name, patterns in pack.risk_patterns.items()
            for pattern in patterns
        ) + tuple(("risk:urgency", pattern) for pattern in pack.urgency_patterns)
        self._automaton = ahocorasick.Automaton()
        for key, values in entries.items():
            self._automaton.add_word(key, (len(key), tuple(values)))
        self._automaton.make_automaton()
        self.language = pack.language

    def scan(self, folded: str) -> list[Hit]:
        """Every cue in ``folded`` (from ``fold``) on word boundaries, and every risk pattern's
        first match; nested hits of one group are dropped in favour of the longest ("still not
        arrived" over "not arrived"), and hits inside a neutral phrase are dropped ("molestias"
        in "disculpen las molestias")."""
        hits: list[Hit] = []
        size = len(folded)
        for end_index, (length, values) in self._automaton.iter(folded):
            start = end_index - length + 1
            if start > 0 and folded[start - 1].isalnum():
                continue
            end = end_index + 1
            whole = end >= size or not folded[end].isalnum()
            word_end = end
            if not whole:
                while word_end < size and folded[word_end].isalnum():
                    word_end += 1
            for group, prefix in values:
                if whole:
                    hits.append(Hit(group, start, end))
                elif prefix:
                    hits.append(Hit(group, start, word_end))
        for group, pattern in self._patterns:
            match = pattern.search(folded)
            if match is not None:
                start, end = cue_span(match)
                if end > start:
                    hits.append(Hit(group, start, end))
        neutral = [(h.start, h.end) for h in hits if h.group == _NEUTRAL]
        if neutral:
            hits = [
                h
                for h in hits
                if h.group != _NEUTRAL
                and not any(start <= h.start and h.end <= end for start, end in neutral)
            ]
        if len(hits) < 2:
            return hits
        hits.sort(key=lambda h: (h.group, h.start, -h.end))
        kept: list[Hit] = []
        for hit in hits:
            last = kept[-1] if kept else None
            if last is not None and last.group == hit.group and hit.end <= last.end:
                continue
            kept.append(hit)
        return kept
