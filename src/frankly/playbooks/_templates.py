"""The Jinja environment playbook templates run in, and what a template may name."""

from __future__ import annotations

import contextvars
import functools
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError
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


# What one rendering of one template may cost. A message is at most 100,000 characters
# (the API's limit), and no real template loops more than a few hundred times.
MAX_OUTPUT = 100_000  # characters of output
MAX_STRING = 100_000  # characters (or items) one ``*``, ``+`` or string method may make
MAX_ITERATIONS = 100_000  # loop turns, all loops of one rendering together
MAX_SECONDS = 2.0  # wall time of one rendering, checked as loops turn and output grows
_ITER = "__frankly_iter"


class TemplateLimit(SecurityError):
    """A template went past one of the limits above."""


class _Budget:
    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.turns = MAX_ITERATIONS

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"it ran longer than {MAX_SECONDS:g} s")


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "frankly_template_budget", default=None
)


def _limited_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every ``{% for %}`` loops through this: turns are counted against the rendering's
    budget (a fresh one when rendered outside ``render_limited``)."""
    budget = _budget.get() or _Budget()
    for item in iterable:
        budget.turns -= 1
        if budget.turns < 0:
            raise TemplateLimit(f"its loops turned more than {MAX_ITERATIONS:,} times")
        if budget.turns % 256 == 0:
            budget.check_time()
        yield item


def _limited_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_ITERATIONS:
        raise TemplateLimit(f"range() is limited to {MAX_ITERATIONS:,} numbers")
    return numbers


def _size(value: object) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


_BIG_NUMBER = re.compile(r"\d{7,}")


class LimitedEnvironment(SandboxedEnvironment):
    """The sandbox with limits on size, loops and time: a playbook is a user's file, and
    rendering it must not take the web process's memory or minutes of its CPU."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(count, int) and size * count > MAX_STRING:
                    raise TemplateLimit(f"a repetition would make more than {MAX_STRING:,}")
        elif operator == "**":
            if isinstance(right, (int, float)) and abs(right) > 100 and abs(left) > 1:
                raise TemplateLimit("a power with an exponent above 100")
        elif operator == "+":
            a, b = _size(left), _size(right)
            if a is not None and b is not None and a + b > MAX_STRING:
                raise TemplateLimit(f"a sum would make more than {MAX_STRING:,}")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # "a".ljust(10**9), "{:>999999999}".format(x): a huge width is refused up front.
        if isinstance(getattr(__obj, "__self__", None), str):
            owner = __obj.__self__
            numbers = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
            if any(n > MAX_STRING for n in numbers) or _BIG_NUMBER.search(owner):
                raise TemplateLimit(f"a string method asked for more than {MAX_STRING:,}")
        budget = _budget.get()
        if budget is not None:
            budget.check_time()
        return super().call(__context, __obj, *args, **kwargs)

    def _generate(
        self,
        source: nodes.Template,
        name: str | None,
        filename: str | None,
        defer_init: bool = False,
    ) -> str:
        # Each loop's iterable goes through the counter. Done after parsing, so the names a
        # template uses (``check_names``) do not include the counter.
        for loop in source.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.Name(_ITER, "load"), [loop.iter], [], None, None, lineno=loop.lineno
            )
        return super()._generate(source, name, filename, defer_init)


class LimitedTemplate(Template):
    """A template whose ``render`` keeps to the limits, however it is called."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        budget = _Budget()
        token = _budget.set(budget)
        try:
            out: list[str] = []
            length = 0
            for chunk in self.generate(*args, **kwargs):
                length += len(chunk)
                if length > MAX_OUTPUT:
                    raise TemplateLimit(f"its text would be longer than {MAX_OUTPUT:,} characters")
                budget.check_time()
                out.append(chunk)
            return "".join(out)
        finally:
            _budget.reset(token)


LimitedEnvironment.template_class = LimitedTemplate


def render_limited(template: Template, context: dict[str, Any]) -> str:
    """Render within the limits; raises ``TemplateLimit`` saying which was passed."""
    if isinstance(template, LimitedTemplate):
        return template.render(context)
    return LimitedTemplate.render(template, context)  # type: ignore[arg-type]


@functools.cache
def environment() -> SandboxedEnvironment:
    """A sandboxed, plain-text environment: playbooks come from users' directories too."""
    env = LimitedEnvironment(
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
    env.globals["range"] = _limited_range
    env.globals[_ITER] = _limited_iter
    for name in ("center", "indent", "format", "wordwrap", "truncate"):
        env.filters[name] = _sized_filter(env.filters[name])
    return env


def _day_of(value: object) -> object:
    # Date facts reach templates as frankly.compose.When (text that knows today).
    return getattr(value, "day", None) if isinstance(value, str) else None


def _sized_filter(original: Any) -> Any:
    """A width filter that refuses a width (or a format) asking for more than MAX_STRING."""

    @functools.wraps(original)
    def limited(*args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_STRING:
                raise TemplateLimit(f"a width above {MAX_STRING:,}")
            if isinstance(value, str) and _BIG_NUMBER.search(value) and "%" in value:
                raise TemplateLimit(f"a format width above {MAX_STRING:,}")
        return original(*args, **kwargs)

    return limited


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
        assert isinstance(node, nodes.Getattr | nodes.Getitem)  # for the type checker
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
