"""Find the questions a customer asked, direct ("When will it arrive?", "¿Cuándo llega?") and
indirect ("I want to know when…", "quiero saber cuándo…").

Each question carries its topic (a few content words) and what it asks for (a time, a reason,
an amount, a place), so a reply can be checked for an answer. Quoted previous messages
("On … wrote:", lines starting with ">") are not the customer's new questions and are skipped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from frankly.text._profiles import QuestionLexicon, profile
from frankly.text.mask import quoted_start
from frankly.text.sentences import split

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SPANISH_QUESTION = re.compile(r"¿[^?¿]*\?")
_MAX_TOPIC = 6


@dataclass(frozen=True, slots=True)
class Question:
    """One question: its words, where it is in the text, and what it is about."""

    text: str
    start: int
    end: int
    kind: str  # "direct" or "indirect"
    topic: tuple[str, ...]
    asks: str = "other"  # "time", "reason", "amount", "place" or "other"


@cache
def _lexicon(lang: str) -> QuestionLexicon | None:
    prof = profile(lang)
    if prof is not None and prof.questions is not None:
        return prof.questions
    return None


@cache
def _indirect_pattern(lang: str) -> re.Pattern[str] | None:
    lex = _lexicon(lang)
    if lex is None or not lex.indirect:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(lex.indirect, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


@cache
def _asks_patterns(lang: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    lex = _lexicon(lang)
    if lex is None:
        return ()
    return tuple(
        (kind, re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(w) for w in words)})(?!\w)"))
        for kind, words in lex.asks
        if words
    )


def _strip_accents(word: str) -> str:
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


@lru_cache(maxsize=65536)
def topic_key(word: str, lang: str) -> str:
    """The key two words share when they are about the same thing.

    Synonym groups from the language profile map to their first word; other words to their
    first five letters without accents ("refunded" and "refund" share "refun"). Never raises.
    """
    low = word.lower().replace("’", "'")
    lex = _lexicon(lang)
    if lex is not None:
        group = lex.synonyms.get(low)
        if group is not None:
            return "=" + group
    return _strip_accents(low)[:5]


def topic_keys(text: str, lang: str) -> frozenset[str]:
    """The topic keys of every word in ``text`` (see ``topic_key``)."""
    return frozenset(topic_key(w, lang) for w in _WORD.findall(text))


def _topic(question: str, lang: str) -> tuple[str, ...]:
    prof = profile(lang)
    lex = _lexicon(lang)
    stop: frozenset[str] = frozenset()
    if prof is not None:
        stop = prof.stopwords
    if lex is not None:
        stop = stop | lex.topic_stopwords | lex.wh
    words: list[str] = []
    for word in _WORD.findall(question.lower().replace("’", "'")):
        if len(word) < 3 or word in stop or word in words:
            continue
        words.append(word)
        if len(words) == _MAX_TOPIC:
            break
    return tuple(words)


def _asks(question: str, lang: str) -> str:
    low = question.lower()
    for kind, pattern in _asks_patterns(lang):
        if pattern.search(low):
            return kind
    return "other"


def _make(text: str, start: int, end: int, kind: str, lang: str) -> Question:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    words = text[start:end]
    return Question(words, start, end, kind, _topic(words, lang), _asks(words, lang))


def find_questions(text: str, lang: str) -> list[Question]:
    """The questions asked in ``text``, in order of appearance.

    ``lang`` selects the indirect openers and topic word lists; for a language without them
    only direct questions (ending in "?") are found. Offsets point into ``text``. Never raises.
    """
    # The same customer message is read again for every draft of its reply: remember it.
    return list(_find_questions(text, lang))


@lru_cache(maxsize=512)
def _find_questions(text: str, lang: str) -> tuple[Question, ...]:
    limit = quoted_start(text, lang)
    body = text[:limit]
    found: list[Question] = []
    indirect = _indirect_pattern(lang)
    for start, end in split(body, lang):
        line_start = body.rfind("\n", 0, start) + 1
        if body[line_start:start].lstrip().startswith(">") or body[start] == ">":
            continue
        sentence = body[start:end]
        if "¿" in sentence:
            before = len(found)
            for m in _SPANISH_QUESTION.finditer(sentence):
                found.append(_make(body, start + m.start(), start + m.end(), "direct", lang))
            if len(found) > before:
                continue
        if sentence.rstrip(" )»”\"'").endswith("?"):
            found.append(_make(body, start, end, "direct", lang))
            continue
        if indirect is None:
            continue
        cue = indirect.search(sentence.lower())
        if cue is None:
            continue
        rest = sentence[cue.end() :]
        if len(_WORD.findall(rest)) < 2:
            continue
        q_end = end
        while q_end > start + cue.start() and body[q_end - 1] in ".!;:,…":
            q_end -= 1
        found.append(_make(body, start + cue.start(), q_end, "indirect", lang))
    return tuple(found)


__all__ = ["Question", "find_questions", "topic_key", "topic_keys"]
