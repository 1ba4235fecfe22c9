"""Reading one inbound message: clean, detect the language, scan cues, score, advise."""

from __future__ import annotations

import threading
from datetime import datetime
from functools import lru_cache

from frankly import packs
from frankly.errors import InvalidInput
from frankly.triage._advice import choose_advice
from frankly.triage._data import (
    LEVELS,
    RISKS,
    LanguagePack,
    Settings,
    available_languages,
    load_language,
    load_settings,
)
from frankly.triage._features import group_counts, shared_vector, word_tokens
from frankly.triage._lexicon import Hit, Matcher, cue_span, fold
from frankly.triage._model import Model, load_model, model_languages
from frankly.triage._report import (
    Anger,
    Complaint,
    Emotion,
    IssueKind,
    LanguageGuess,
    Notice,
    Risk,
    TriageReport,
    Trigger,
)

# Words in a stated deadline that the date parser reads better without.
_DEADLINE_LEADS = ("on ", "this ", "the ", "el ", "este ", "esta ", "las ")


class _Engine:
    """Everything loaded once: settings, language packs, their matchers, the model."""

    def __init__(self) -> None:
        self.settings: Settings = load_settings()
        self.packs: dict[str, LanguagePack] = {
            code: load_language(code) for code in available_languages()
        }
        self.matchers = {code: Matcher(pack) for code, pack in self.packs.items()}
        # The shipped model's cue heads read every language; a pack's own model also reads
        # its words.
        self.model: Model = load_model()
        self.word_models: dict[str, Model] = {
            code: load_model(folder)
            for code, folder in model_languages().items()
            if code in self.packs
        }
        # Imported here so the training script can use this package's features without them.
        from frankly.text import clean, language, questions

        self.clean = clean.clean_email_body
        self.detect = language.detect
        self.find_questions = questions.find_questions


_engines: dict[tuple[str, ...], _Engine] = {}
_engine_lock = threading.Lock()


def load() -> None:
    """Load lexicons and models now instead of on the first message (a web app calls this at
    start). Raises ``TriageDataError`` when a data file or the model is broken or missing."""
    _get_engine()


def _get_engine() -> _Engine:
    # One engine per set of installed language packs: adding a pack folder adds its language.
    key = packs.stamp()
    engine = _engines.get(key)
    if engine is None:
        with _engine_lock:
            engine = _engines.get(key)
            if engine is None:
                engine = _engines[key] = _Engine()
    return engine


def supported_languages() -> tuple[str, ...]:
    """The languages triage has lexicons and advice for."""
    return tuple(_get_engine().packs)


def triage(text: str, lang: str | None = None, *, now: datetime | None = None) -> TriageReport:
    """Read a customer's message and report language, complaint, anger, emotions, issue kind,
    risks, questions and advice for the person answering.

    ``lang`` skips language detection. ``now`` anchors relative deadlines ("by Friday"); it
    defaults to the current time. HTML and quoted earlier replies are removed first, and only
    the first ``max_analysed_chars`` characters are read. Empty or unreadable text gives a
    report whose ``notices`` say why nothing could be said.

    Raises ``InvalidInput`` when ``text`` is not a string or ``lang`` is not supported, and
    ``TriageDataError`` when the shipped data or model is broken.
    """
    return _triage(text, lang, now, use_words=True)


def _triage(text: str, lang: str | None, now: datetime | None, *, use_words: bool) -> TriageReport:
    """``triage``; ``use_words=False`` reads English through cues only, as Spanish is read
    (the evaluation uses it to show what the cue path alone achieves)."""
    if not isinstance(text, str):
        raise InvalidInput("The message must be text.", field="text")
    engine = _get_engine()
    settings = engine.settings
    if lang is not None and lang not in engine.packs:
        supported = ", ".join(engine.packs)
        raise InvalidInput(
            f"Triage does not support the language {lang!r}; use one of: {supported}.",
            field="lang",
        )
    notices: list[Notice] = []
    truncated = len(text) > settings.max_input_chars
    raw = text[: settings.max_input_chars]
    cleaned = engine.clean(raw)
    if _substantially_changed(raw, cleaned):
        notices.append(
            Notice("cleaned", "Markup and quoted earlier replies were removed before reading.")
        )
    if len(cleaned) > settings.max_analysed_chars:
        cut = cleaned.rfind(" ", 0, settings.max_analysed_chars)
        cleaned = cleaned[
            : cut if cut > settings.max_analysed_chars // 2 else settings.max_analysed_chars
        ]
        truncated = True
    if truncated:
        notices.append(
            Notice(
                "truncated",
                f"The message is long; only its first {len(cleaned):,} characters were read.",
            )
        )
    letters = sum(map(str.isalpha, cleaned))
    if not cleaned.strip():
        notices.append(Notice("empty", "The message is empty: there is nothing to triage."))
        return _blank(LanguageGuess(lang, 0.0, lang is not None), notices, cleaned, truncated)
    if letters < settings.min_letters:
        notices.append(
            Notice(
                "no_words",
                "The message has no words to read (only emoji, numbers or symbols): "
                "read it yourself.",
            )
        )
        return _blank(LanguageGuess(lang, 0.0, lang is not None), notices, cleaned, truncated)

    if lang is not None:
        code, confidence = lang, 1.0
    else:
        code, confidence = engine.detect(cleaned)
    folded = fold(cleaned)
    unsure = lang is None and confidence < settings.mixed_language_confidence
    if code not in engine.packs and unsure:
        # A short message or a neighbour language ("Mi pedido no ha llegado" reads as
        # Portuguese): read it as the supported language whose cues it holds most.
        hits_by_lang = {c: len(m.scan(folded)) for c, m in engine.matchers.items()}
        best = max(hits_by_lang, key=hits_by_lang.__getitem__)
        if hits_by_lang[best] > 0:
            code = best
    if code not in engine.packs:
        guess = LanguageGuess(code, round(float(confidence), 3), False)
        name = code or "unknown"
        notices.append(
            Notice(
                "unsupported_language",
                f"The message seems to be in {name!r}, which triage does not read "
                f"(it reads {', '.join(engine.packs)}).",
            )
        )
        return _blank(guess, notices, cleaned, truncated)
    guess = LanguageGuess(code, round(float(confidence), 3), True, code in engine.word_models)
    pack = engine.packs[code]

    hits = engine.matchers[code].scan(folded)
    if unsure:
        for other, matcher in engine.matchers.items():
            if other != code:
                hits += matcher.scan(folded)
        notices.append(
            Notice(
                "mixed_language",
                "The language is unclear or mixed; cues of every supported language were read.",
            )
        )
    counts = group_counts(hits)
    shared = shared_vector(cleaned, counts)
    word_model = engine.word_models.get(code) if use_words else None
    if word_model is not None:
        scores = word_model.score(shared, word_tokens(folded))
    else:
        scores = engine.model.score(shared, None)

    kind, kind_score = max(scores.kinds.items(), key=lambda kv: kv[1])
    facts = _facts(counts, shared, kind, kind_score)
    complaint_p = _apply_floors(scores.complaint, settings.complaint_floors, facts)
    facts["complaint"] = complaint_p >= settings.complaint_threshold
    intensity = _apply_floors(scores.anger, settings.anger_floors, facts)
    level = _level(settings, intensity)
    emotion_scores = dict(scores.emotions)
    # A message read as angry shows anger among its emotions, whatever the emotion head says.
    emotion_scores["anger"] = max(emotion_scores["anger"], intensity)
    emotion_scores = {k: round(v, 3) for k, v in emotion_scores.items()}
    main = tuple(
        Emotion(name, score)
        for name, score in sorted(emotion_scores.items(), key=lambda kv: -kv[1])
        if score >= settings.emotion_threshold
    )
    risks = _risks(cleaned, folded, hits, pack, now)
    questions = tuple(engine.find_questions(cleaned, code))
    is_complaint = complaint_p >= settings.complaint_threshold
    urgency = next((r for r in risks if r.kind == "urgency"), None)
    advice = choose_advice(
        settings,
        pack,
        complaint=is_complaint,
        level=level,
        risks={r.kind for r in risks},
        kind=kind,
        emotions={e.name for e in main},
        questions=len(questions),
        deadline=(urgency.deadline or urgency.triggers[0].text) if urgency else None,
    )
    return TriageReport(
        language=guess,
        complaint=Complaint(is_complaint, round(complaint_p, 3)),
        anger=Anger(round(intensity, 3), level),
        emotions=main,
        emotion_scores=emotion_scores,
        issue_kind=IssueKind(
            kind, round(kind_score, 3), {k: round(v, 3) for k, v in scores.kinds.items()}
        ),
        risks=risks,
        questions=questions,
        advice=advice,
        notices=tuple(notices),
        text=cleaned,
        truncated=truncated,
    )


def _substantially_changed(raw: str, cleaned: str) -> bool:
    """Whether cleaning removed more than whitespace (markup, a quoted earlier reply)."""
    return len(" ".join(cleaned.split())) < len(" ".join(raw.split())) - 5


def _blank(guess: LanguageGuess, notices: list[Notice], text: str, truncated: bool) -> TriageReport:
    return TriageReport(
        language=guess,
        complaint=None,
        anger=None,
        emotions=(),
        emotion_scores={},
        issue_kind=None,
        risks=(),
        questions=(),
        advice=(),
        notices=tuple(notices),
        text=text,
        truncated=truncated,
    )


def _facts(
    counts: dict[str, int], shared: list[float], kind: str, kind_score: float
) -> dict[str, bool]:
    """The conditions the floors in triage.yml may name (except ``complaint``)."""
    caps_ratio, caps_words = shared[-3], shared[-2]
    threats = sum(1 for risk in ("churn", "legal", "public") if counts.get(f"risk:{risk}"))
    facts = {
        "threat": threats >= 1,
        "multi_punct": shared[-5] > 0,  # "!!", "??", "?!"
        "exclaim": shared[-6] > 0,
        # The message is most likely about a problem one of the playbooks handles (an overdue
        # payment is the customer's own, so it is no sign of a complaint).
        "problem_kind": kind not in ("other", "overdue_payment") and kind_score >= 0.5,
        "insult": counts.get("cue:insult", 0) > 0,
        "profanity": counts.get("cue:profanity", 0) > 0,
        "shouting": caps_ratio >= 0.6 or caps_words >= 1.38,  # log1p(3): three words in capitals
        "anger_words": counts.get("cue:anger", 0) > 0,
        "problem_words": counts.get("cue:problem", 0) > 0,
        "negative_words": counts.get("cue:anger", 0) + counts.get("cue:frustration", 0) > 0,
        "two_threats": threats >= 2,
    }
    for risk in ("churn", "legal", "public", "repeat", "urgency"):
        facts[risk] = counts.get(f"risk:{risk}", 0) > 0
    return facts


def _apply_floors(
    value: float, floors: tuple[tuple[tuple[str, ...], float], ...], facts: dict[str, bool]
) -> float:
    """``value`` raised to every floor whose conditions all hold, kept within 0..1."""
    for conditions, floor in floors:
        if floor > value and all(facts[c] for c in conditions):
            value = floor
    return min(max(value, 0.0), 1.0)


def _level(settings: Settings, intensity: float) -> str:
    level = LEVELS[0]
    for name in LEVELS:
        if intensity >= settings.anger_levels[name]:
            level = name
    return level


def _risks(
    text: str, folded: str, hits: list[Hit], pack: LanguagePack, now: datetime | None
) -> tuple[Risk, ...]:
    by_kind: dict[str, list[Trigger]] = {}
    for hit in sorted(hits, key=lambda h: h.start):
        group = hit.group
        if group in ("cue:insult", "cue:profanity"):
            kind = "insult"
        elif group.startswith("risk:"):
            kind = group[5:]
        else:
            continue
        triggers = by_kind.setdefault(kind, [])
        if not any(t.start == hit.start for t in triggers):
            triggers.append(Trigger(text[hit.start : hit.end], hit.start, hit.end))
    deadline: str | None = None
    deadline_date: str | None = None
    for pattern in pack.urgency_patterns:
        match = pattern.search(folded)
        if match is None:
            continue
        start, end = cue_span(match)
        triggers = by_kind.setdefault("urgency", [])
        if not any(t.start <= start < t.end for t in triggers):
            triggers.append(Trigger(text[start:end], start, end))
        deadline = text[match.start("date") : match.end("date")]
        deadline_date = _parse_deadline(
            folded[match.start("date") : match.end("date")], pack.language, now
        )
        break
    risks = []
    for kind in RISKS:
        if kind in by_kind:
            ordered = tuple(sorted(by_kind[kind], key=lambda t: t.start))
            if kind == "urgency":
                risks.append(Risk(kind, ordered, deadline, deadline_date))
            else:
                risks.append(Risk(kind, ordered))
    return tuple(risks)


def _parse_deadline(words: str, language: str, now: datetime | None) -> str | None:
    base = now or datetime.now()
    return _parse_date(words, language, base.replace(second=0, microsecond=0))


@lru_cache(maxsize=4096)
def _parse_date(words: str, language: str, base: datetime) -> str | None:
    # dateparser is imported here: it is only needed when a message states a deadline.
    import dateparser

    for lead in _DEADLINE_LEADS:
        if words.startswith(lead):
            words = words[len(lead) :]
    parsed = dateparser.parse(
        words,
        languages=[language],
        settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base},
    )
    return parsed.date().isoformat() if parsed else None
