"""Scanning a message once for every cue of a language (Aho-Corasick over folded text).

Text is folded (lower case, accents removed, curly quotes straightened) without changing its
length, so every hit's offsets point into the original text.
"""

from __future__ import annotations

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


def fold(text: str) -> str:
    """Lower-case ``text``, drop accents and straighten quotes, keeping its length."""
    low = text.lower()
    if len(low) != len(text):
        # A few characters (e.g. "İ") lower-case to two; keep them as they are.
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.translate(_FOLD)


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
        self._automaton = ahocorasick.Automaton()
        for key, values in entries.items():
            self._automaton.add_word(key, (len(key), tuple(values)))
        self._automaton.make_automaton()
        self.language = pack.language

    def scan(self, folded: str) -> list[Hit]:
        """Every cue in ``folded`` (from ``fold``) on word boundaries; nested hits of one group
        are dropped in favour of the longest ("still not arrived" over "not arrived")."""
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
