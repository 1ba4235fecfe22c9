"""``make eval-practice``: how often the simulated customer reacts as a seasoned account
manager expects, on the frozen realism sets (tests/data/practice_realism_{en,es}.yml).

Each item is a trainee's first reply to a scenario's opening line, labelled calmer, same or
angrier before the simulator was tuned. Prints agreement per language and direction, the
confusion table, and (with --misses) the items where the simulator disagrees.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from pathlib import Path

import yaml

from frankly.practice import begin, load_scenarios, respond

ROOT = Path(__file__).resolve().parent.parent
DIRECTIONS = ("calmer", "same", "angrier")
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # a Monday morning: promises read alike


def agreement(lang: str) -> tuple[float, Counter[tuple[str, str]], list[dict[str, str]]]:
    """The share of items whose simulated direction is the expected one, the confusion
    counts (expected, got) and the items that disagree."""
    path = ROOT / "tests" / "data" / f"practice_realism_{lang}.yml"
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    scenarios = load_scenarios(lang)
    confusion: Counter[tuple[str, str]] = Counter()
    misses: list[dict[str, str]] = []
    for n, item in enumerate(items):
        scenario = scenarios[item["s"]]
        state = begin(scenario, item["t"], seed=1000 + n)
        got = respond(scenario, state, item["turn"], now=NOW).direction
        confusion[(item["expect"], got)] += 1
        if got != item["expect"]:
            misses.append({**item, "got": got})
    total = sum(confusion.values())
    right = sum(v for (e, g), v in confusion.items() if e == g)
    return right / total, confusion, misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list the disagreements")
    args = parser.parse_args()
    for lang in ("en", "es"):
        share, confusion, misses = agreement(lang)
        print(f"{lang}: agreement {share:.1%} on {sum(confusion.values())} turns")
        print("  expected \\ simulated   " + "  ".join(f"{d:>7}" for d in DIRECTIONS))
        for e in DIRECTIONS:
            row = "  ".join(f"{confusion[(e, g)]:>7}" for g in DIRECTIONS)
            print(f"  {e:<21} {row}")
        if args.misses:
            for m in misses:
                print(
                    f"    expected {m['expect']:<7} got {m['got']:<7} {m['s']}: {m['turn'][:110]}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
