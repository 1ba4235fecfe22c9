"""User playbook templates render within limits on size, loops and time (Hardening)."""

from __future__ import annotations

import pytest

from frankly import InvalidInput
from frankly.playbooks._templates import MAX_OUTPUT, compile_template
from frankly.playbooks.render import _render


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ('{{ "a" * 400000000 }}', "repetition"),
        ("{{ [1] * 400000000 }}", "repetition"),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "loops turned more than",
        ),
        ("{% for i in range(10**9) %}{% endfor %}", r"range\(\) is limited"),
        ('{{ "x".ljust(400000000) }}', "string method"),
        ('{{ "%400000000s"|format(1) }}', "format width"),
        ('{{ "x"|center(400000000) }}', "width above"),
        ("{{ 2 ** 100000000 }}", "exponent above 100"),
        ('{% for i in range(60000) %}{{ "ab" }}{% endfor %}', "longer than"),
    ],
)
def test_a_runaway_template_is_stopped_with_an_error_naming_it(source: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why) as stopped:
        _render(source, {}, "late_delivery.first_notice.email.body")
    assert "late_delivery.first_notice.email.body" in stopped.value.message
    assert len(why) and MAX_OUTPUT == 100_000


def test_ordinary_templates_still_render() -> None:
    source = "{% for r in items %}- {{ r|upper }}\n{% endfor %}{{ 'ab' * 3 }} {{ 2 ** 10 }}"
    assert _render(source, {"items": ["a", "b"]}, "t") == "- A\n- B\nababab 1024"
    # Rendered directly (as remedies are), a loop still has its own budget.
    runaway = compile_template(
        "{% for i in range(100000) %}{% for j in range(9) %}{% endfor %}{% endfor %}"
    )
    with pytest.raises(Exception, match="loops turned"):
        runaway.render({})
