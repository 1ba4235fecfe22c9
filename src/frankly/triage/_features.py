"""Features of a message, the same for training and for triage.

Two families:
- *shared* features: counts of lexicon cues by category, of kind cues and risk cues, and style
  (exclamation marks, capitals, length). They mean the same in every language that has a
  lexicon folder, which is how models trained on English data read Spanish.
- *word* features: English word unigrams and bigrams from a fixed vocabulary.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable

from frankly.triage._data import CUE_CATEGORIES, ISSUE_KINDS
from frankly.triage._lexicon import Hit

_RISK_FEATURES = ("churn", "legal", "public", "repeat", "urgency")
_STYLE = ("exclaim", "multi_exclaim", "question", "caps_ratio", "caps_words", "length")

SHARED_NAMES: tuple[str, ...] = (
    tuple(f"cue:{name}" for name in CUE_CATEGORIES)
    + tuple(f"kind:{name}" for name in ISSUE_KINDS)
    + tuple(f"risk:{name}" for name in _RISK_FEATURES)
    + tuple(f"style:{name}" for name in _STYLE)
)
_INDEX = {name: i for i, name in enumerate(SHARED_NAMES)}
_RISK_INDEX = {f"risk:{name}" for name in _RISK_FEATURES}

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CAPS_WORD = re.compile(r"\b[A-ZÁÉÍÓÚÑÜ]{2,}\b")
_MULTI_EXCLAIM = re.compile(r"[!?¡¿]{2,}")


def group_counts(hits: Iterable[Hit]) -> dict[str, int]:
    """How many hits each group (``cue:anger``, ``kind:wrong_item``…) has."""
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.group] = counts.get(hit.group, 0) + 1
    return counts


def shared_vector(text: str, counts: dict[str, int]) -> list[float]:
    """The shared features of ``text`` given its cue ``counts``, in ``SHARED_NAMES`` order."""
    values = [0.0] * len(SHARED_NAMES)
    for group, count in counts.items():
        index = _INDEX.get(group)
        if index is not None:
            values[index] = 1.0 if group in _RISK_INDEX else math.log1p(count)
    letters = sum(map(str.isalpha, text))
    upper = sum(map(str.isupper, text))
    base = len(_INDEX) - len(_STYLE)
    values[base] = math.log1p(text.count("!"))
    values[base + 1] = 1.0 if _MULTI_EXCLAIM.search(text) else 0.0
    values[base + 2] = math.log1p(text.count("?"))
    # Capitals only say "shouting" in a message long enough to have lower case in it.
    values[base + 3] = upper / letters if letters >= 12 else 0.0
    values[base + 4] = math.log1p(len(_CAPS_WORD.findall(text))) if letters >= 12 else 0.0
    values[base + 5] = math.log1p(letters / 50.0)
    return values


def word_tokens(folded: str) -> list[str]:
    """Unigrams and bigrams of folded text; numbers become ``<num>``."""
    words = ["<num>" if any(c.isdigit() for c in w) else w for w in _TOKEN.findall(folded)]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
