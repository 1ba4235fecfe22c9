"""Passwords: the policy a new one must meet, and hashing with argon2.

The policy: at least 12 characters, not only whitespace, not one character repeated, not
the account's email or the part before the @, and not on the list of common passwords
shipped in ``frankly/data/passwords/common.txt``.
"""

from __future__ import annotations

import functools
import os
import sys
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frankly.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
# Tests may ask for cheap hashing; a running service never does (see _hasher).
CHEAP_HASHES_VARIABLE = "FRANKLY_TEST_CHEAP_HASHES"


@functools.cache
def _hasher_for(cheap: bool) -> PasswordHasher:
    if cheap:
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


def _hasher() -> PasswordHasher:
    # Honoured only under pytest: an environment variable must not weaken real hashes.
    cheap = os.environ.get(CHEAP_HASHES_VARIABLE) == "1" and "pytest" in sys.modules
    return _hasher_for(cheap)


@functools.cache
def _dummy_hash(cheap: bool) -> str:
    return _hasher_for(cheap).hash("not a real password")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    text = resources.files("frankly").joinpath("data/passwords/common.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def password_problem(password: object, email: str | None = None) -> str | None:
    """Why ``password`` may not be used (None when it may)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        return f"A password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password has at most {MAX_PASSWORD_LENGTH} characters"
    if not password.strip():
        return "A password cannot be only spaces"
    if len(set(password)) == 1:
        return "A password cannot be one character repeated"
    lowered = password.strip().lower()
    if email:
        address = email.strip().lower()
        local = address.split("@", 1)[0]
        if lowered in (address, local):
            return "A password cannot be your email address or its name part"
    if lowered in common_passwords():
        return "This password is on the list of common passwords: choose another"
    return None


def check_password(password: object, email: str | None = None) -> str:
    """``password`` when the policy allows it; raises ``InvalidInput`` naming why not."""
    problem = password_problem(password, email)
    if problem:
        raise InvalidInput(problem, field="password")
    assert isinstance(password, str)
    return password


def hash_password(password: str, email: str | None = None) -> str:
    """An argon2 hash of ``password``; raises ``InvalidInput`` when the policy refuses it."""
    return _hasher().hash(check_password(password, email))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches the stored hash (False for no hash or a broken one).

    Without a hash it still verifies against a dummy one, so an unknown email takes as
    long as a wrong password.
    """
    hasher = _hasher()
    if not password_hash:
        _verify_quietly(hasher, _dummy_hash(hasher.time_cost == 1), password)
        return False
    return _verify_quietly(hasher, password_hash, password)


def _verify_quietly(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
