"""The candour checker: doublespeak, blame, evasion and missing facts in a customer message.

``check(text, lang=None, stage=None, reply_to=None, fault=None)`` returns a ``Report``. Rules
are YAML data in each language pack (``data/lang/<lang>/rules/*.yml``, schema in
``data/rules/schema.json``; see ``frankly.packs``);
a business adds packs from folders named in ``FRANKLY_RULES_DIRS`` or passed to
``load_rules``. Rules load once and are shared; checking is pure and thread-safe.
``accelerated()`` says whether the optional C accelerator runs (FRANKLY_PURE_PYTHON=1 turns
it off); reports are the same either way.
"""

from __future__ import annotations

from frankly.check._accel import accelerated
from frankly.check._engine import RULES_ENV, check, default_rules
from frankly.check._fixes import Fix
from frankly.check._report import Finding, Report
from frankly.check._rules import (
    CATEGORIES,
    FAULTS,
    LEVELS,
    RULE_KINDS,
    STAGES,
    Example,
    Rule,
    RuleError,
    RuleSet,
    clear_cache,
    load_rules,
)

__all__ = [
    "CATEGORIES",
    "FAULTS",
    "LEVELS",
    "RULES_ENV",
    "RULE_KINDS",
    "STAGES",
    "Example",
    "Finding",
    "Fix",
    "Report",
    "Rule",
    "RuleError",
    "RuleSet",
    "accelerated",
    "check",
    "clear_cache",
    "default_rules",
    "load_rules",
]
