"""Every built-in template, drafted from the demo data, passes the candour checker cleanly."""

from __future__ import annotations

import datetime as dt

import pytest

from frankly import check as checker
from frankly import demo
from frankly.compose import draft
from frankly.playbooks import load_library

from .test_compose import NOW, demo_view

_LANGUAGE = {c[2]: c[4] for c in demo.CUSTOMERS}


def _combinations() -> list[tuple[str, str, str]]:
    # Each demo case in its customer's language: the facts are written in that language,
    # and every kind has demo customers in both English and Spanish.
    library = load_library()
    return [
        (spec.ref, stage, channel)
        for spec in demo.CASES
        for stage in library.get(spec.kind).stages
        for channel in ("email", "sms", "call")
    ]


def test_the_demo_covers_every_kind_in_both_languages() -> None:
    covered = {(spec.kind, _LANGUAGE[spec.customer]) for spec in demo.CASES}
    assert covered == {(kind, lang) for kind in load_library().playbooks for lang in ("en", "es")}


@pytest.mark.parametrize(("ref", "stage", "channel"), _combinations())
def test_every_builtin_template_passes_the_checker(ref: str, stage: str, channel: str) -> None:
    spec = next(c for c in demo.CASES if c.ref == ref)
    lang = _LANGUAGE[spec.customer]
    stage_type = load_library().get(spec.kind).stage(stage).type
    d = draft(demo_view(spec), stage, channel, lang, now=NOW)
    report = checker.check(
        d.text,
        lang=lang,
        stage=stage_type if stage_type in checker.STAGES else None,
        fault=spec.fault,
    )
    serious = [
        f"{f.severity} {f.rule}: {f.text!r} ({f.message})"
        for f in report.findings
        if f.severity in ("error", "warning")
    ]
    assert not serious, f"{ref} {stage} {channel} {lang}:\n" + "\n".join(serious)


def test_the_checker_does_catch_a_bad_rewrite_of_a_draft() -> None:
    # The gate above is only worth something if the checker reads our drafts at all.
    spec = next(c for c in demo.CASES if c.ref == "demo:01")
    d = draft(demo_view(spec), "first_notice", now=NOW + dt.timedelta(hours=1))
    spoiled = d.text.replace("That was our mistake, and I am sorry.", "") + (
        "\nThere is a slight delay and we will update you as soon as possible."
    )
    report = checker.check(spoiled, lang="en", stage="first_notice", fault="ours")
    assert {f.severity for f in report.findings} & {"error", "warning"}
