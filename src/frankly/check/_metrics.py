"""Readability figures, counted in a few passes of C code instead of a Python loop per word.

The text's UTF-8 bytes are translated to small alphabets (vowel/other, letter/other); words
and vowel groups (≈ syllables) are then substring counts. An English silent final "e" is
discounted. Close enough for a threshold: the figures only decide whether a message is hard
to read.
"""

from __future__ import annotations


def _tables() -> tuple[bytes, bytes]:
    """Two byte maps: vowel/other (for vowel groups) and letter/other (for words)."""
    vowels = bytearray(b"c" * 256)
    letters = bytearray(b" " * 256)
    for ch in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        letters[ch] = ord("w")
    for ch in b"aeiouyAEIOUY":
        vowels[ch] = ord("v")
    # Second bytes of Latin-1 letters after the 0xC3 lead byte (which is deleted):
    # à-å è-ë ì-ï ò-ö ù-ü (and capitals) are vowels, ç ñ consonants.
    for byte in [*range(0xA0, 0xA6), *range(0xA8, 0xB0), *range(0xB2, 0xB7), *range(0xB9, 0xBD)]:
        vowels[byte] = vowels[byte - 0x20] = ord("v")
        letters[byte] = letters[byte - 0x20] = ord("w")
    for byte in (0xA7, 0xB1, 0x87, 0x91):
        letters[byte] = ord("w")
    return bytes(vowels), bytes(letters)


_VOWELS, _LETTERS_MAP = _tables()
_DELETE = b"\xc3'"


def counts(text: str, *, english: bool) -> tuple[int, int]:
    """``(words, syllables)`` of ``text``; syllables are vowel groups (approximate)."""
    raw = b" " + text.encode("utf-8", "ignore") + b" "
    words = raw.translate(_LETTERS_MAP, _DELETE).count(b" w")
    syllables = raw.translate(_VOWELS, _DELETE).count(b"cv")
    if english:
        # A silent final "e" ("make", "late") is not a syllable.
        syllables -= raw.count(b"e ")
    return words, max(syllables, words)


def flesch(words: int, sentences: int, syllables: int) -> float:
    """Flesch reading ease (English): higher is easier; below 30 is very hard."""
    if not words or not sentences:
        return 100.0
    return 206.835 - 1.015 * (words / sentences) - 84.6 * (syllables / words)


def szigriszt_pazos(words: int, sentences: int, syllables: int) -> float:
    """Szigriszt-Pazos perspicuity (Spanish): higher is easier; below 35 is hard."""
    if not words or not sentences:
        return 100.0
    return 206.835 - 62.3 * (syllables / words) - (words / sentences)


def fernandez_huerta(words: int, sentences: int, syllables: int) -> float:
    """Fernández-Huerta reading ease (Spanish), in its corrected form (words per sentence)."""
    if not words or not sentences:
        return 100.0
    return 206.84 - 60.0 * (syllables / words) - 1.02 * (words / sentences)


_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_LETTERS = _UPPER + bytes(range(ord("a"), ord("z") + 1))
_CAPS_MAP = bytes(ord("U") if ord("A") <= i <= ord("Z") else ord("x") for i in range(256))


def has_capitals_run(text: str) -> bool:
    """Whether two capital letters (A-Z) follow each other anywhere: a cheap gate."""
    return b"UU" in text.encode("utf-8", "ignore").translate(_CAPS_MAP)


def caps_ratio(text: str) -> tuple[float, int]:
    """Share of (unaccented) letters written in capitals, and the number of letters."""
    raw = text.encode("ascii", "ignore")
    letters = len(raw) - len(raw.translate(None, _LETTERS))
    if not letters:
        return 0.0, 0
    upper = len(raw) - len(raw.translate(None, _UPPER))
    return upper / letters, letters
