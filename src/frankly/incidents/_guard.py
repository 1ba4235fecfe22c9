"""The public-text guard: nothing bound for the status page or its feeds may identify an
affected customer.

Every public text (an incident's title and impact, each public update, the published
review) is compared with what identifies each affected customer: their full name, their
first name, their company, their email, their phone and the order, invoice and reference
numbers in their cases' facts. Both sides are normalised first, so spelling tricks do not
get through: case and accents are folded ("MÜLLER" is "muller"), zero-width characters and
soft hyphens vanish, and every run of other characters that is not a letter or a digit
(spaces of any kind, including no-break ones, hyphens, dots, slashes, commas) becomes one
separator. "INV-20931", "inv.20931", "INV 20931" and "INV20931" are then the same number,
and "Harbour\u00a0 Hotels" is "Harbour Hotels".

Matching is on whole tokens, never inside a word: "Liam" is found in "Liam called" but not
in "Williams". Numbers are also found written together or split ("INV 209 31"), and their
digits alone when there are at least four ("invoice 20931").

First names are the hard part: many are ordinary words ("Will", "May", "Grace", Spanish
"Rosa", "Luz", "Pilar"). A first name that is also a common word of English or Spanish
(``COMMON_WORDS``) is refused only when the text writes it with a capital letter away from
the start of a sentence ("we told Rosa" is refused; "rosa" and "Will the fix hold?" are
not). Other first names are refused wherever they stand as a word, and first names of one
or two letters are never checked alone (the full name still is). This errs on the side of
refusing: a manager who meets a false alarm rewords the sentence; a customer whose name was
published cannot be unpublished.

Any other email address, and anything shaped like a phone number, is refused too, unless
it is the business's own: an address at the domain of a member of staff (the agents'
emails), a number in the same block as a member of staff's phone (all but its last four
digits alike: the switchboard beside the direct lines), or an address, ``@domain`` or
number listed in ``FRANKLY_PUBLIC_CONTACTS`` (comma-separated). "Call us on +44 20 7946
0100" may stand on the status page; a customer's or a stranger's number may not.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from frankly.errors import InvalidInput

# Characters that are invisible and must not split or hide a word.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"), None)
_SEPARATORS = re.compile(r"[^0-9a-z]+")
_EMAIL = re.compile(r"[\w.+\-]+\s*(?:@|\(at\)|\[at\])\s*[\w\-]+(?:\s*\.\s*[\w\-]+)+", re.IGNORECASE)
# An international number (+ and at least 7 digits), or three groups of digits the way
# phone numbers are written (555 0177 123, (01) 555-0177); dates (2026-11-23) and times
# (10:30) have groups of other sizes.
_PHONE = (
    re.compile(r"(?<![\w+])\+\s*\d(?:[\s().\-/]*\d){6,}"),
    re.compile(
        r"(?<![\w:+])(?<!\d[\s.\-/])\(?\d{2,5}\)?[\s.\-/]\d{3,4}[\s.\-/]\d{3,5}"
        r"(?![\w:])(?![\s.\-/]\d)"
    ),
)
# Facts whose values are a customer's numbers: orders, invoices, references.
NUMBER_FACTS = ("order_number", "invoice_number", "invoice", "order", "reference", "tracking")
_NUMBER_SUFFIXES = ("_number", "_ref", "_reference", "_id")
# Legal forms dropped from a company's name: "Robinson Print Shop Ltd" is named by
# "Robinson Print Shop" as well.
_LEGAL = {
    "ltd",
    "limited",
    "inc",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sl",
    "sa",
    "sau",
    "slu",
    "bv",
    "nv",
    "co",
    "corp",
    "srl",
    "spa",
    "sarl",
}
# First names that are also everyday words in English or Spanish (normalised): these are
# refused only when written as a name (capitalised, not starting a sentence).
_COMMON = """
    will may june april august grace hope joy faith rose mark bill pat sue max frank art
    sky summer autumn dawn rich ray penny sandy holly ivy iris lily daisy amber ruby pearl
    jade crystal star angel chase drew hunter page river stone wade miles dean earl norman
    victor gene guy hazel heath jack jay jean lane lee rob sean tom ben don dick dot eve
    faye fern gay harry honor jewel lance laurel lucky merry olive patience prudence reed
    robin rocky rusty sage scott sterling terry trinity violet wes will willow young
    rosa luz sol paz pilar dolores consuelo mercedes angeles cruz fe esperanza victoria
    gloria azucena blanca clara inmaculada milagros nieves reyes rosario socorro soledad
    estrella alba aurora belen camino candela caridad concepcion flor jesus salvador pastor
    amparo asuncion encarnacion remedios rocio luna mar cielo paloma perla leal felicidad
"""
COMMON_WORDS = frozenset(_COMMON.split())
MIN_FIRST_NAME = 3
MIN_DIGITS = 4


CONTACTS_SETTING = "FRANKLY_PUBLIC_CONTACTS"
BLOCK = 4  # the last digits that differ between numbers of one business's block


@dataclass(frozen=True)
class Allowed:
    """The business's own contact details, which a public text may give."""

    domains: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()  # full numbers, digits only
    blocks: frozenset[str] = frozenset()  # numbers without their last BLOCK digits

    @classmethod
    def of(cls, staff: Iterable[tuple[str | None, str | None]]) -> Allowed:
        """From the staff's (email, phone) pairs and ``FRANKLY_PUBLIC_CONTACTS``."""
        domains: set[str] = set()
        emails: set[str] = set()
        phones: set[str] = set()
        blocks: set[str] = set()
        for email, phone in staff:
            if email and "@" in email:
                domains.add(email.rpartition("@")[2].strip().lower())
            digits = _digits(phone)
            if len(digits) >= BLOCK + 6:
                blocks.add(digits[:-BLOCK])
        for entry in (os.environ.get(CONTACTS_SETTING) or "").split(","):
            entry = entry.strip().lower()
            if entry.startswith("@"):
                domains.add(entry[1:])
            elif "@" in entry:
                emails.add(entry)
            elif len(_digits(entry)) >= 3:
                phones.add(_digits(entry))
        return cls(frozenset(domains), frozenset(emails), frozenset(phones), frozenset(blocks))

    def email(self, address: str) -> bool:
        address = re.sub(r"\s+", "", address).lower()
        address = address.replace("(at)", "@").replace("[at]", "@")
        return address in self.emails or address.rpartition("@")[2] in self.domains

    def phone(self, number: str) -> bool:
        digits = _digits(number)
        if any(digits.endswith(p) or p.endswith(digits) for p in self.phones if len(p) >= 7):
            return True
        return len(digits) > BLOCK and digits[:-BLOCK] in self.blocks


def _digits(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit())


class PublicTextRefused(InvalidInput):
    """A public text that would show an affected customer (the field is named)."""


@dataclass(frozen=True)
class Identity:
    """What identifies one affected customer, normalised."""

    name: tuple[str, ...]
    first: str | None
    company: tuple[tuple[str, ...], ...]
    email: tuple[str, ...]
    phone: str
    numbers: tuple[tuple[str, str], ...]  # (what, compact value)


def normalise(text: str) -> str:
    """``text`` folded for comparison: NFKC, invisible characters removed, accents and case
    folded, every run of non-alphanumerics one space."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", bare).strip()


def tokens(text: str) -> list[str]:
    return normalise(text).split()


def identity(
    name: str | None,
    company: str | None,
    email: str | None,
    phone: str | None,
    facts: dict[str, Any] | None,
    external_ref: str | None = None,
) -> Identity:
    """What identifies a customer, from their record and one of their cases."""
    name_tokens = tuple(tokens(name or ""))
    first = name_tokens[0] if len(name_tokens) > 1 else (name_tokens[0] if name_tokens else None)
    if first is not None and len(first) < MIN_FIRST_NAME:
        first = None
    companies: list[tuple[str, ...]] = []
    company_tokens = tuple(tokens(company or ""))
    if company_tokens:
        companies.append(company_tokens)
        trimmed = company_tokens
        while len(trimmed) > 1 and trimmed[-1] in _LEGAL:
            trimmed = trimmed[:-1]
        if trimmed != company_tokens:
            companies.append(trimmed)
    numbers: list[tuple[str, str]] = []
    for key, value in (facts or {}).items():
        named = key in NUMBER_FACTS or key.endswith(_NUMBER_SUFFIXES)
        if named and isinstance(value, str | int) and not isinstance(value, bool):
            compact = "".join(tokens(str(value)))
            if len(compact) >= 3:
                numbers.append((key.replace("_", " "), compact))
    if external_ref and not external_ref.startswith(("incident:", "demo:")):
        compact = "".join(tokens(external_ref))
        if len(compact) >= 3:
            numbers.append(("reference", compact))
    return Identity(
        name=name_tokens,
        first=first,
        company=tuple(companies),
        email=tuple(tokens(email or "")),
        phone="".join(ch for ch in (phone or "") if ch.isdigit()),
        numbers=tuple(numbers),
    )


def check(
    text: str,
    field: str,
    people: Iterable[Identity],
    *,
    contacts: bool = True,
    allowed: Allowed | None = None,
) -> None:
    """Refuse ``text`` (raising ``PublicTextRefused`` naming ``field``) when it shows any of
    ``people`` or (with ``contacts``) any email address or phone number but ``allowed``."""
    clean = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    words = tokens(text)
    present = set(words)
    digit_runs = _digit_runs(words)
    capitalised = _capitalised_names(clean)
    for person in people:
        if person.name and person.name[0] in present and _has_run(words, person.name):
            _refuse(field, "an affected customer's name", "the status page never shows who")
        as_name = person.first not in COMMON_WORDS or person.first in capitalised
        if person.first and person.first in present and as_name:
            _refuse(field, "an affected customer's first name", "the status page never shows who")
        for company in person.company:
            if company[0] in present and _has_run(words, company):
                _refuse(field, "an affected customer's company", "the status page never shows who")
        if person.email and person.email[0] in present and _has_run(words, person.email):
            _refuse(field, "an affected customer's email", "the status page never shows who")
        if len(person.phone) >= 7 and _phone_in(digit_runs, person.phone):
            _refuse(field, "an affected customer's phone number", "the status page never shows who")
        for what, compact in person.numbers:
            if _joined_in(words, compact):
                _refuse(field, f"an affected customer's {what}", "keep it for the personal notice")
            digits = re.findall(rf"\d{{{MIN_DIGITS},}}", compact)
            if digits and any(_joined_in(words, d) for d in digits):
                _refuse(field, f"an affected customer's {what}", "keep it for the personal notice")
    # Then anyone's contact details (after the customers', so theirs are named as theirs).
    if not contacts:
        return
    allowed = allowed or Allowed()
    for match in _EMAIL.finditer(clean):
        if not allowed.email(match.group()):
            _refuse(field, "an email address", "contact details belong in the personal notices")
    for pattern in _PHONE:
        for match in pattern.finditer(clean):
            if not allowed.phone(match.group()):
                _refuse(field, "a phone number", "contact details belong in the personal notices")


def _refuse(field: str, what: str, why: str) -> None:
    raise PublicTextRefused(
        f"The {field} shows {what}; {why}. Remove it and write about the service.", field=field
    )


def _has_run(words: list[str], run: tuple[str, ...]) -> bool:
    size = len(run)
    return any(tuple(words[i : i + size]) == run for i in range(len(words) - size + 1))


def _joined_in(words: list[str], compact: str) -> bool:
    """Whether some consecutive words, written together, are exactly ``compact``."""
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if joined == compact:
                return True
            if len(joined) >= len(compact) or not compact.startswith(joined):
                break
    return False


def _digit_runs(words: list[str]) -> list[str]:
    """Every run of consecutive all-digit words, written together."""
    runs: list[str] = []
    current = ""
    for word in [*words, ""]:
        if word.isdigit():
            current += word
        else:
            if current:
                runs.append(current)
            current = ""
    return runs


def _phone_in(runs: list[str], phone: str) -> bool:
    """Whether a run of digits is the phone number, or its last seven digits or more
    (written nationally, with or without the trunk 0)."""
    for run in runs:
        bare = run.lstrip("0")
        if len(bare) >= 7 and (phone.endswith(bare) or bare.endswith(phone[-7:])):
            return True
    return False


_SENTENCE_ENDS = set('.!?¡¿:;"“«(')


def _capitalised_names(text: str) -> set[str]:
    """Normalised words written with a capital letter away from the start of a sentence
    (or of a line, or of a quotation)."""
    found: set[str] = set()
    for match in re.finditer(r"\w+", text):
        word = match.group()
        if not word[0].isupper():
            continue
        before = text[max(0, match.start() - 20) : match.start()]
        stripped = before.rstrip()
        if not stripped or "\n" in before[len(stripped) :] or stripped[-1] in _SENTENCE_ENDS:
            continue
        found.add(normalise(word))
    return found
