"""Split a message into sentences, as character spans into the original text.

Email text wraps lines in the middle of sentences, so a single line break ends a sentence
only after punctuation, before a list item, or after a short line (a greeting, a name)
followed by a capital; never before a lower-case word. A blank line always does. A full
stop after a known abbreviation ("Mr.", "Sra.") or a single initial does not.
"""

from __future__ import annotations

import re
from functools import cache

from frankly.text._profiles import profile

# Candidate boundaries: terminal punctuation (with closing quotes) followed by white space,
# or a line break. Whether a candidate really ends a sentence is decided afterwards. The
# pattern starts with one character class so the regex engine can skip ahead quickly.
_BOUNDARY = re.compile(r"[.!?…\n](?:(?<=\n)|(?<=[.!?…])[.!?…]*[\"'»”’)\]]*(?=\s))")
_SHORT_LINE = 60
_LIST_ITEM = re.compile(r"(?:[-*•·–]|\d{1,2}[.)])\s")


@cache
def _abbreviations(lang: str) -> frozenset[str]:
    prof = profile(lang)
    base = prof.abbreviations if prof else frozenset()
    en = profile("en")
    return base | (en.abbreviations if en else frozenset())


def split(text: str, lang: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``, trimmed of surrounding white space.

    Spans are in order, do not overlap and lie inside the text. Unknown languages use the
    English abbreviation list. Never raises.
    """
    abbreviations = _abbreviations(lang)
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        pos = m.start()
        ch = text[pos]
        if ch == "\n":
            line_start = text.rfind("\n", 0, pos) + 1
            line = text[line_start:pos].rstrip()
            following = text[pos + 1 : pos + 12].lstrip(" \t")
            if (
                line
                and following
                and following[0] != "\n"
                and line[-1] not in ".!?:;,…"
                and not _LIST_ITEM.match(following)
                and (following[0].islower() or len(line) >= _SHORT_LINE)
            ):
                continue  # a wrapped line in the middle of a sentence
        elif ch == ".":
            # "Mr. Smith", "p. ej.", "J. García": not an end.
            word_start = max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos)) + 1
            if pos - word_start <= 6:
                word = text[word_start:pos].lower().lstrip("(\"'«“")
                if word in abbreviations or (len(word) == 1 and word.isalpha()):
                    continue
        end = m.end()
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            first = start + len(piece) - len(piece.lstrip())
            spans.append((first, first + len(stripped)))
        start = end
    piece = text[start:]
    stripped = piece.strip()
    if stripped:
        first = start + len(piece) - len(piece.lstrip())
        spans.append((first, first + len(stripped)))
    return spans


__all__ = ["split"]
