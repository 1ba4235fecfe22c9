"""The Jinja environment playbook templates run in, and what a template may name."""

from __future__ import annotations

import functools
import re

from jinja2 import StrictUndefined, Template, nodes
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import SandboxedEnvironment

# What the composer puts in every template's context besides the facts (see docs/playbooks.md).
CONTEXT_NAMES = frozenset(
    {
        "customer",
        "owner",
        "case",
        "facts",
        "next_update",
        "next_update_date",
        "next_update_time",
        "remedies",
        "extras",
        "policy",
        "fault",
        "severity",
        "tier",
        "today",
        "stage",
        "lang",
        "milestone_history",
        # What the case records beyond facts, and time (see frankly.compose).
        "since",
        "chosen",
        "chosen_text",
        "changes",
        "resolved_at",
    }
)
# Names that stand for something the case records: a sentence stating an action or a
# check may only be written under a condition on one of these (or on a fact).
RECORDED_NAMES = frozenset({"facts", "chosen", "chosen_text", "changes", "resolved_at"})
_JINJA_GLOBALS = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop"})


@functools.cache
def environment() -> SandboxedEnvironment:
    """A sandboxed, plain-text environment: playbooks come from users' directories too."""
    env = SandboxedEnvironment(
        undefined=StrictUndefined,
        # trim_blocks would also eat the newline after "...{% endif %}" at the end of a
        # paragraph; ``prepare`` trims only lines that hold nothing but tags.
        trim_blocks=False,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters["first_upper"] = first_upper
    # ``{% if new_eta is upcoming %}``: a date still to come (today included);
    # ``{% if new_eta is past %}``: one gone by. An unknown (None) date is neither.
    env.tests["upcoming"] = lambda value: _day_of(value) is not None and not value.past
    env.tests["past"] = lambda value: _day_of(value) is not None and bool(value.past)
    return env


def _day_of(value: object) -> object:
    # Date facts reach templates as frankly.compose.When (text that knows today).
    return getattr(value, "day", None) if isinstance(value, str) else None


def first_upper(value: object) -> str:
    """The text with its first letter in capitals and the rest untouched ("2 °C" stays)."""
    text = str(value)
    return text[:1].upper() + text[1:]


_TAG_LINE = re.compile(r"^[ \t]*(?:\{%(?:(?!%\}).)*%\}[ \t]*)+$")


def prepare(source: str) -> str:
    """Hide the newline after each line that holds only block tags, keeping line numbers.

    ``{% for %}`` on a line of its own then adds no blank line, while a paragraph that
    ends with ``{% endif %}`` keeps its line break (Jinja's trim_blocks would eat it).
    """
    lines = source.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        if i < len(lines) - 1:
            out.append("{#\n#}" if _TAG_LINE.match(line) else "\n")
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def compile_template(source: str) -> Template:
    """Compile once; raises ``jinja2.TemplateSyntaxError`` with a line inside the template."""
    return environment().from_string(prepare(source))


def references(source: str) -> tuple[set[str], set[str], set[str]]:
    """Names a template uses: (top-level names, ``facts.X`` names, ``policy.X`` names).

    Raises ``jinja2.TemplateSyntaxError`` for a template that does not parse.
    """
    ast = environment().parse(prepare(source))
    names = set(find_undeclared_variables(ast)) - _JINJA_GLOBALS
    facts: set[str] = set()
    policies: set[str] = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        base = node.node
        if not isinstance(base, nodes.Name):
            continue
        if isinstance(node, nodes.Getattr):
            key = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            key = node.arg.value
        else:
            continue
        if base.name == "facts":
            facts.add(key)
        elif base.name == "policy":
            policies.add(key)
    return names, facts, policies
