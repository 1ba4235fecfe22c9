"""Which language a message is written in, from its function words and special characters.

Light and fast on purpose (tens of thousands of messages a second): a message's first
kilobyte is split into words once, and each language scores the distinct function words it
shares with them. One-word messages are unreliable in every detector; the confidence says so.
"""

from __future__ import annotations

import re
import threading
from functools import cache

from frankly.text._profiles import profiles

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SAMPLE = 1200
_FAST_SAMPLE = 320
_LOCK = threading.Lock()
_TABLE: tuple[frozenset[str], dict[str, tuple[int, ...]], tuple[str, ...], tuple[str, ...]] | None
_TABLE = None


def _table() -> tuple[frozenset[str], dict[str, tuple[int, ...]], tuple[str, ...], tuple[str, ...]]:
    global _TABLE
    if _TABLE is None:
        with _LOCK:
            if _TABLE is None:
                profs = list(profiles().values())
                langs = tuple(p.language for p in profs)
                owners: dict[str, list[int]] = {}
                for i, prof in enumerate(profs):
                    for word in prof.stopwords:
                        owners.setdefault(word, []).append(i)
                index = {w: tuple(v) for w, v in owners.items()}
                _TABLE = (frozenset(index), index, langs, tuple(p.chars for p in profs))
    return _TABLE


@cache
def _unique() -> tuple[frozenset[str], ...]:
    _, index, langs, _ = _table()
    return tuple(
        frozenset(w for w, owners in index.items() if owners == (i,)) for i in range(len(langs))
    )


@cache
def _sole_owner() -> dict[str, int]:
    """Each word only one language uses, mapped to that language's index."""
    return {w: i for i, own in enumerate(_unique()) for w in own}


def _scores(hits: set[str] | frozenset[str], langs: int) -> list[float]:
    _, index, _, _ = _table()
    scores = [0.0] * langs
    for word in hits:
        owners = index[word]
        # A word shared by several languages counts for each, but less.
        weight = 1.0 / len(owners)
        for i in owners:
            scores[i] += weight
    return scores


def _verdict(scores: list[float], langs: tuple[str, ...]) -> tuple[str, float]:
    if not langs:
        return ("und", 0.0)
    top = max(scores)
    if top <= 0.0:
        return ("und", 0.0)
    best = scores.index(top)  # the first of equal tops, as max() with a key would pick
    # The highest of the others: a tie for the top shows up as second == top.
    second = sorted(scores)[-2] if len(scores) > 1 else 0.0
    if second >= top:
        return ("und", 0.0)
    margin = (top - second) / top
    volume = min(1.0, top / 6.0)
    return (langs[best], round(margin * (0.4 + 0.6 * volume), 3))


def detect(text: str) -> tuple[str, float]:
    """Guess the language of ``text``.

    Returns an ISO 639-1 code ("en", "es", or another profiled language such as "fr") and a
    confidence from 0 to 1, or ``("und", 0.0)`` when nothing tells (empty text, emoji,
    numbers only, a tie). Never raises.
    """
    known, _, langs, chars = _table()
    # Fast path: the white-space words of the first few hundred characters, counted against
    # the words only one language uses, usually settle it.
    hits = known.intersection(text[:_FAST_SAMPLE].lower().split())
    if len(hits) >= 4:
        # Count each hit once against the one language that owns it alone (if any).
        fast = [0] * len(langs)
        sole = _sole_owner()
        for word in hits:
            i = sole.get(word)
            if i is not None:
                fast[i] += 1
        ordered = sorted(fast)
        if ordered[-1] >= 4 and (len(ordered) < 2 or ordered[-2] * 3 < ordered[-1]):
            return _verdict([float(x) for x in fast], langs)
    # Slow path for short or mixed texts: proper word splitting and special characters.
    sample = text[:_SAMPLE].lower()
    if "’" in sample:
        sample = sample.replace("’", "'")
    scores = _scores(known.intersection(_WORD.findall(sample)), len(langs))
    for i, special in enumerate(chars):
        for ch in special:
            if ch in sample:
                scores[i] += 2.0
    return _verdict(scores, langs)


__all__ = ["detect"]
