"""Phrases with a gap on texts with underscores: the signal's one ``re`` expression (before 2026-12-07, and still
for texts without an underscore) against ``raigov.policy.gaps`` (issue #18), same phrases, same texts, one run.

    .venv/bin/python benchmarks/gap_search.py [--max-run 36] [--long 20000]

For runs of underscores after a phrase's first word ("control " + n underscores + " x", and "control " + "a_" * n),
prints the time of each engine, the ratio and that both give the same matches; ``re`` is stopped growing once a
search takes over 2 s (it grows with about the sixth power of n). Then the new path alone on texts of ``--long``
characters, where ``re`` would take hours.
"""

from __future__ import annotations

import argparse
import re
import time

from raigov.policy.signals import Signal, WordIndex, _body

PHRASES = ("control* ... dam*", "control* ~ dam")


def expression(phrase: str) -> re.Pattern:
    return re.compile(r"(?<![\w])(?:" + _body(phrase, True) + r")(?![\w])", re.IGNORECASE)


def best(f, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-run", type=int, default=36)
    ap.add_argument("--long", type=int, default=20000)
    a = ap.parse_args(argv)
    shapes = {"underscores": lambda n: "control " + "_" * n + " x", "a_a_a": lambda n: "control " + "a_" * n + " x"}
    for phrase in PHRASES:
        signal = Signal(name="s", phrases=(phrase,)).compile()
        rx = expression(phrase)
        for shape, make in shapes.items():
            print(f"{phrase!r}, {shape}:")
            for n in range(4, a.max_run + 1, 4):
                text = make(n)
                old = [m.span() for m in rx.finditer(text)]
                new = [(h.start, h.end) for h in signal.find(text)]
                t_old = best(lambda text=text, rx=rx: list(rx.finditer(text)), 1 if n > 20 else 3)
                t_new = best(lambda text=text, s=signal: s.find(text, WordIndex(text)))
                print(f"  n={n:3d}  re {t_old * 1000:9.2f} ms   gaps {t_new * 1000:7.3f} ms   ratio {t_old / t_new:9.1f}"
                      f"   same matches: {old == new}")
                if t_old > 2:
                    break
            text = make(a.long)
            t_new = best(lambda text=text, s=signal: s.find(text, WordIndex(text)), 1)
            print(f"  n={a.long}: gaps {t_new * 1000:.1f} ms ({len(text)} characters; re not run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
