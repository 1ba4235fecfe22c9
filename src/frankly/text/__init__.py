"""Pure text utilities shared by the checker and triage: language, sentences, masking,
questions and email cleaning. No I/O after the word lists load; safe from many threads.

The submodules are the API: ``frankly.text.language.detect``,
``frankly.text.sentences.split``, ``frankly.text.mask.mask``,
``frankly.text.questions.find_questions`` and ``frankly.text.clean.clean_email_body``.
"""

from __future__ import annotations

from frankly.text import mask  # the module: ``mask.mask(text, lang)``
from frankly.text._profiles import profile
from frankly.text.clean import clean_email_body
from frankly.text.language import detect
from frankly.text.questions import Question, find_questions
from frankly.text.sentences import split

__all__ = ["Question", "clean_email_body", "detect", "find_questions", "mask", "profile", "split"]
