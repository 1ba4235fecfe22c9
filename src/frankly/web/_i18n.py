"""The interface's words in each language, as data (``templates/i18n/<lang>.yml``).

Templates write English and call ``t("…")``; each other language's file maps the English
words to its own. A new interface language is a new file, not new code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import yaml

from frankly.errors import InvalidInput

FOLDER = Path(__file__).parent / "templates" / "i18n"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """English words → words in ``lang`` (empty for English). Raises ``InvalidInput``."""
    path = FOLDER / f"{lang}.yml"
    if not path.is_file():
        raise InvalidInput(f"No interface language {lang!r}", field="language")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InvalidInput(f"{path.name}: every entry must map English words to words")
    return data


def languages() -> list[str]:
    """The interface languages there are files for."""
    return sorted(p.stem for p in FOLDER.glob("*.yml"))


def translator(lang: str) -> Callable[..., str]:
    """``t(words, **values)``: the words in ``lang`` (English when missing), formatted."""
    try:
        words = catalogue(lang)
    except InvalidInput:
        words = {}

    def t(text: str, **values: object) -> str:
        out = words.get(text) or text
        return out.format(**values) if values else out

    return t
