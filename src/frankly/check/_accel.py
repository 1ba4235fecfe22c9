"""The optional C accelerator, ``frankly._speedups``, or nothing: the pure-Python code then runs.

The extension is built by ``pip install`` when a C compiler and the Python headers are at
hand (setup.py, ``optional=True``); without it the checker is the same, only slower. Set
``FRANKLY_PURE_PYTHON=1`` to force the Python code. The Python code is the reference: the C
functions return exactly what the Python steps they replace return (tests/test_speedups.py).
"""

from __future__ import annotations

import os
import threading
from types import ModuleType
from typing import Any

PURE_ENV = "FRANKLY_PURE_PYTHON"

# (sentence cuts, readability counts, capitals gate...) as frankly._speedups.shared returns them:
# (verdict | None, cuts, words, vowel groups, "e " count, capitals run, longest stretch)
Figures = tuple[tuple[int, float] | None, list[int], int, int, int, bool, int]


def _load() -> ModuleType | None:
    if os.environ.get(PURE_ENV, "").strip() not in ("", "0"):
        return None
    try:
        # optional C extension: absent when built without a compiler
        from frankly import _speedups
    except ImportError:  # not built (no compiler at install time): the Python code runs
        return None
    return _speedups


# The engine reads this on every check, so tests can switch paths within one process.
speedups: ModuleType | None = _load()
# What was loaded, whatever the switch says now: a pack compiled while a test has switched
# to pure Python still gets its C scanner (the engine uses it only when ``speedups`` is set).
_BUILT: ModuleType | None = speedups
_WORDS: tuple[Any, tuple[str, ...]] | None = None
_LOCK = threading.Lock()


def accelerated() -> bool:
    """Whether checks run with the C accelerator (False: pure Python, by choice or no build)."""
    return speedups is not None


def _words() -> tuple[Any, tuple[str, ...]]:
    global _WORDS
    if _WORDS is None:
        with _LOCK:
            if _WORDS is None:
                # lazy: the language word lists load only when the accelerator first needs them
                from frankly.text import language

                # The detector's own tables: its function words, each with the one language
                # that uses it alone (or -1), and the sample its fast path reads.
                known, _, langs, _ = language._table()
                sole = language._sole_owner()
                words = sorted(known)
                table = speedups.words(  # type: ignore[union-attr]
                    words, [sole.get(w, -1) for w in words], len(langs), language._FAST_SAMPLE
                )
                _WORDS = (table, langs)
    return _WORDS


def figures(module: ModuleType, text: str) -> Figures:
    """The shared figures of ``text`` in one C pass (``module`` is ``speedups``, not None)."""
    table = _WORDS[0] if _WORDS is not None else _words()[0]
    return module.shared(text, table)


def language_name(index: int) -> str:
    """The language code of the verdict's language number."""
    return (_WORDS if _WORDS is not None else _words())[1][index]


def language_of(fig: Figures, text: str) -> tuple[str, float]:
    """frankly.text.language.detect's answer, from the figures when its fast path settles it."""
    verdict = fig[0]
    if verdict is None:
        # lazy: the language word lists load only when first needed
        from frankly.text.language import detect

        return detect(text)
    return language_name(verdict[0]), round(verdict[1], 3)


def build_scan(keys: list[str], values: list[tuple[Any, ...]], mask: int, month: int) -> Any:
    """A C automaton for a pack's keys (in key-number order), or None to use the Python scan.

    None when the accelerator is not built or turned off by FRANKLY_PURE_PYTHON, or for keys
    it does not handle (characters beyond U+FFFF, an empty key, a table too large).
    """
    if _BUILT is None or not keys:
        return None
    try:
        return _BUILT.build(keys, values, mask, month)
    except (ValueError, MemoryError):
        return None


def maker(cls: type, fields: tuple[str, ...]) -> Any:
    """A maker for ``speedups.new(maker, *values)``: an instance of the slotted class ``cls``
    with ``fields`` (all its slots, in this order) set, in one call. None without the
    accelerator.
    """
    if speedups is None:
        return None
    if len(set(fields)) != len(fields) or set(fields) != set(getattr(cls, "__slots__", ())):
        raise ValueError(f"maker: {fields} must name every slot of {cls.__name__} once")
    return speedups.maker(cls, tuple(cls.__dict__[name] for name in fields))
