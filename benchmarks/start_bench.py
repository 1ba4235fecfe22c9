"""``make bench-start``: how long ``frankly check`` takes on one line, start to finish.

Each run is a fresh process (what a person or an editor plugin pays on every save), timed
by wall clock; the median of N runs is printed beside proselint's on the same line when
proselint is installed (``make eval-deps``). Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINE = "We are sorry: your order is late because we missed it, and it will arrive Friday.\n"


def _median_seconds(
    command: list[str], runs: int, env: dict[str, str] | None = None, cold: Path | None = None
) -> float:
    """The median wall time of ``runs`` fresh processes; ``cold``: a folder emptied before
    each run (the compiled-rules cache, so every run compiles the rules)."""
    times: list[float] = []
    for _ in range(runs):
        if cold is not None:
            shutil.rmtree(cold, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="runs per tool (median reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "one-line.txt"
        path.write_text(LINE, encoding="utf-8")
        bindir = Path(sys.executable).parent
        frankly = [str(bindir / "frankly"), "check", str(path)]
        # A cache folder of the bench's own: "cold" empties it before every run (the first
        # check after installing or editing rules), "warm" keeps it (every later check).
        cache = Path(scratch) / "cache"
        env = {**os.environ, "FRANKLY_CACHE_DIR": str(cache)}
        print(f"one line, median of {args.runs} fresh processes:")
        ms = _median_seconds(frankly, args.runs, env, cold=cache) * 1000
        print(f"  frankly check  {ms:7.0f} ms  cold (no compiled-rules cache)")
        ms = _median_seconds(frankly, args.runs, env) * 1000
        print(f"  frankly check  {ms:7.0f} ms  warm (compiled rules cached)")
        proselint = shutil.which("proselint", path=str(bindir)) or shutil.which("proselint")
        if proselint:
            ms = _median_seconds([proselint, "check", str(path)], args.runs) * 1000
            print(f"  proselint      {ms:7.0f} ms")
        else:
            print("  proselint      (not installed: make eval-deps)")
        python = [sys.executable, "-c", "import frankly.check"]
        ms = _median_seconds(python, args.runs) * 1000
        print(f"  import frankly.check {ms:7.0f} ms (of which the interpreter's start is part)")


if __name__ == "__main__":
    main()
