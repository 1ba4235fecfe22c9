"""``make bench-practice``: how long the simulated customer takes to answer one turn.

Runs every scenario in both languages through a good, an average and a poor turn, many
times, on one core, after a warm-up (the first turn of a process loads the checker's rules;
that is paid once). Prints the median and 95th percentile per turn; the target is under
50 ms. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from frankly.practice import begin, load_scenarios, respond

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
TURNS = {
    "en": [
        "I'm sorry, this is our mistake: our warehouse put your order on the wrong lorry. "
        "It arrives on Friday. I'll call you on Thursday at 10:00; my line is 020 7946 0000.",
        "Sorry about that. There was a problem. It should be with you soon.",
        "Unfortunately the courier let us down. These things happen. Please calm down.",
    ],
    "es": [
        "Lo siento, fue error nuestro: el almacén cargó su pedido en el camión equivocado. "
        "Le llega el viernes. Le llamo el jueves a las 10:00; mi teléfono es el 910 000 111.",
        "Disculpe. Hubo un problema. Le llegará pronto.",
        "Lamentablemente la agencia nos falló. Estas cosas pasan. Tranquilícese.",
    ],
}


def main() -> None:
    scenarios = load_scenarios()
    first = next(iter(scenarios.values()))
    start = time.perf_counter()
    respond(first, begin(first, next(iter(first.temperaments)), 1), TURNS["en"][0], now=NOW)
    spanish = scenarios["es/late_delivery"]  # warm the other language too
    respond(spanish, begin(spanish, "polite_fury", 1), TURNS["es"][0], now=NOW)
    loaded = 1000 * (time.perf_counter() - start)
    print(f"first turns of a process (load English and Spanish rules): {loaded:.0f} ms")
    times: list[float] = []
    for round_ in range(5):
        for scenario in scenarios.values():
            for temperament in scenario.temperaments:
                for text in TURNS[scenario.language]:
                    state = begin(scenario, temperament, round_)
                    # A different text every time: no cache answers for the checker.
                    unique = f"{text} Ref {len(times)}."
                    start = time.perf_counter()
                    respond(scenario, state, unique, now=NOW)
                    times.append(time.perf_counter() - start)
    times.sort()
    median = statistics.median(times) * 1000
    p95 = times[int(0.95 * len(times))] * 1000
    print(f"{len(times)} turns over {len(scenarios)} scenarios, one core:")
    print(f"  median {median:.1f} ms per turn, p95 {p95:.1f} ms, max {times[-1] * 1000:.1f} ms")
    print(f"  target < 50 ms per turn: {'met' if p95 < 50 else 'missed'} (p95)")


if __name__ == "__main__":
    main()
