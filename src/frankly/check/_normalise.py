"""Normalising a draft before matching, so that no spelling trick slips a phrase past a rule.

A writer (or a tool) can hide "you failed to" from a phrase list with two spaces, a no-break
space, a zero-width character, a soft hyphen, a Cyrillic "а", full-width letters, a
right-to-left override or decomposed accents. ``normalise`` undoes all of these:

* Unicode compatibility forms (NFKC) for combining accents, full-width and mathematical
  letters, ligatures, letter-like and enclosed symbols;
* invisible format characters dropped (zero-width, joiners, bidi controls, soft hyphen,
  variation selectors, tags);
* Cyrillic, Greek and Armenian look-alikes folded to their Latin letters, when Latin is the
  main script of the text (a Russian or Greek text is left as it is);
* runs of spaces, tabs and no-break spaces collapsed to one space, a line break with spaces
  around it to one line break, "\\r\\n" to "\\n"; paragraph breaks (two line breaks or more)
  are kept, because the structure checks read them.

Findings still point at the original text: ``Normalised`` maps offsets back. Ordinary text
pays almost nothing: ``suspect`` (or ``frankly._speedups.suspect``, the same test in C) says in
one pass whether anything could change, and usually nothing can.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right

# Characters whose presence means the text may need normalising (the C accelerator's
# suspect() tests the same set: keep the two equal).
_ODD = (
    "\t\r\xa0\xad\u0131\u0251\u0261\u0300-\u058f\u061c\u1680\u180e\u2000-\u200f"
    "\u202a-\u202f\u205f-\u206f\u2100-\u214f\u2460-\u24ff\u3000\ufb00-\ufb06\ufe00-\ufe0f"
    "\ufeff\uff01-\uff5e\U0001d400-\U0001d7ff\U000e0000-\U000e007f"
)
_SUSPECT = re.compile(f"[{_ODD}]|  | \n|\n ")

# Dropped: invisible format characters (zero-width, joiners, bidi marks and overrides, soft
# hyphen, variation selectors, tags).
_DROP = (
    "\xad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff"
    "\U000e0000-\U000e007f"
)
# White space collapsed to one space (or one line break); "\r" counts as space.
_HSPACE = "\t\r\xa0\u1680\u2000-\u200a\u202f\u205f\u3000"
# Replaced by their compatibility form (NFKC) or folded to a Latin look-alike.
_OTHER = (
    "\u0131\u0251\u0261\u0370-\u058f\u2100-\u214f\u2460-\u24ff\ufb00-\ufb06\uff01-\uff5e"
    "\U0001d400-\U0001d7ff"
)
_UNIT = re.compile(
    f"(?P<ws>[ \n{_HSPACE}{_DROP}]{{2,}}|[{_HSPACE}])"
    f"|(?P<mark>[^\u0300-\u036f]?[\u0300-\u036f]+)"
    f"|(?P<drop>[{_DROP}]+)"
    f"|(?P<other>[{_OTHER}]+)",
    re.DOTALL,
)
_DROP_CHARS = re.compile(f"[{_DROP}]+")
_HSPACE_CHARS = re.compile(f"[{_HSPACE}]")

# Letters of other scripts that look like Latin ones (after Unicode's confusables.txt, the
# ones a reader cannot tell apart in an ordinary font).
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "к": "k",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y",
    "Ӏ": "I", "Ь": "b",
    # Greek
    "α": "a", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "υ": "u", "χ": "x", "γ": "y",
    "ϲ": "c", "ϳ": "j", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K",
    "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
    # Armenian, and Latin letters that pass for others
    "օ": "o", "ս": "u", "ց": "g", "հ": "h", "ո": "n", "ı": "i", "ɑ": "a", "ɡ": "g",
}  # fmt: skip
_FOLD = str.maketrans(_LOOKALIKES)
_OTHER_SCRIPT = re.compile("[\u0370-\u03ff\u0400-\u052f\u0531-\u058f]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")


def suspect(text: str) -> bool:
    """Whether ``normalise`` could change ``text`` (False for almost every ordinary text)."""
    if text.isascii():  # O(1): CPython knows it
        return "  " in text or "\t" in text or "\r" in text or " \n" in text or "\n " in text
    return _SUSPECT.search(text) is not None


class Normalised:
    """A normalised text and the map from its offsets back to the original's.

    The map is a list of replaced stretches ``(n0, n1) -> (o0, o1)`` whose lengths differ;
    between them offsets shift by a constant. An offset inside a replaced stretch maps to the
    stretch's start (for a start) or end (for an end), so a span never cuts a character of
    the original in half.
    """

    __slots__ = ("_n0", "_n1", "_o0", "_o1", "text")

    def __init__(self, text: str, chunks: list[tuple[int, int, int, int]]) -> None:
        self.text = text
        self._n0 = [c[0] for c in chunks]
        self._n1 = [c[1] for c in chunks]
        self._o0 = [c[2] for c in chunks]
        self._o1 = [c[3] for c in chunks]

    def start(self, pos: int) -> int:
        """The original offset where a span starting at normalised ``pos`` starts."""
        i = bisect_right(self._n0, pos) - 1
        if i < 0:
            return pos
        if pos < self._n1[i]:
            return self._o0[i]
        return self._o1[i] + pos - self._n1[i]

    def end(self, pos: int) -> int:
        """The original offset where a span ending at normalised ``pos`` ends."""
        i = bisect_left(self._n0, pos) - 1
        if i < 0:
            return pos
        if pos <= self._n1[i]:
            return self._o1[i]
        return self._o1[i] + pos - self._n1[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """``(start, end)`` in the original; an empty span stays empty (0, 0 stays 0, 0)."""
        if end <= start:
            if start == 0:
                return 0, 0
            pos = self.start(start)
            return pos, pos
        return self.start(start), self.end(end)


def _whitespace(run: str) -> str:
    core = _DROP_CHARS.sub("", run) if not run.isspace() else run
    if not core:
        return ""
    lines = core.count("\n")
    if lines == 0:
        return " "
    if lines == 1:
        return "\n"
    # A paragraph break: kept, only tidied ("\r" dropped, odd spaces made plain).
    return _HSPACE_CHARS.sub(" ", core.replace("\r\n", "\n"))


def normalise(text: str) -> Normalised | None:
    """``text`` normalised for matching, with its offset map; None when nothing changes."""
    fold: bool | None = None
    pieces: list[str] = []
    chunks: list[tuple[int, int, int, int]] = []
    done = 0  # original offset copied up to
    size = 0  # length of the normalised text so far
    changed = False
    for m in _UNIT.finditer(text):
        group = m.lastgroup
        run = m.group()
        if group == "ws":
            rep = _whitespace(run)
        elif group == "drop":
            rep = ""
        else:
            rep = unicodedata.normalize("NFKC", run)
            if _OTHER_SCRIPT.search(rep):
                if fold is None:
                    # Fold look-alikes only when Latin is the main script: a Russian or Greek
                    # text is not a trick.
                    fold = len(_LATIN.findall(text)) > len(_OTHER_SCRIPT.findall(text))
                if fold:
                    rep = rep.translate(_FOLD)
            if group == "mark":
                rep = _DROP_CHARS.sub("", rep)
        if rep == run:
            continue
        changed = True
        start, end = m.span()
        if start > done:
            pieces.append(text[done:start])
            size += start - done
        pieces.append(rep)
        if len(rep) != len(run):
            if chunks and chunks[-1][1] == size and chunks[-1][3] == start:
                n0, _, o0, _ = chunks.pop()  # touching the previous stretch: one stretch
                chunks.append((n0, size + len(rep), o0, end))
            else:
                chunks.append((size, size + len(rep), start, end))
        size += len(rep)
        done = end
    if not changed:
        return None
    pieces.append(text[done:])
    return Normalised("".join(pieces), chunks)
