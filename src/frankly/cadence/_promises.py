"""Reading a promised time out of words: moved to ``frankly.compose.promises``.

Kept so ``frankly.cadence.find_promise`` and ``parse_when`` go on working; the cases layer
(below the cadence) decides promises with ``frankly.compose.promises.resolve_promise``.
"""

from frankly.compose.promises import Promise, find_promise, parse_when

__all__ = ["Promise", "find_promise", "parse_when"]
