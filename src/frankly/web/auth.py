"""The accounts as the web app knew them: everything now lives in ``frankly.accounts``
(a service module without HTTP); this module keeps the old import path working."""

from frankly import accounts as _accounts
from frankly.accounts import *  # noqa: F403

# The old name of the per-account allowance.
MAX_FAILURES_PER_EMAIL = _accounts.FREE_FAILURES_PER_ACCOUNT

__all__ = [*_accounts.__all__, "MAX_FAILURES_PER_EMAIL"]
