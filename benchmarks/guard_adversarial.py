"""The guard on 1 MB adversarial prompts: CPU seconds of `detect` and of `screen_text` (the full answer) for
each case, and for 100 kB of the same text (linear time: 1 MB about 10x 100 kB).

    .venv/bin/python benchmarks/guard_adversarial.py [--json OUT]
    (also the last section of benchmarks/guard_bench.py; `guard_bench.py --adversarial-only` skips Presidio)

The cases are those of tests/genai/test_guard_policy.py (kept equal by hand): long runs of dots, digits,
accented letters, repeated near-matches of SSNs, e-mails, domains, IPv6, cards, CUI markings, capitalised words
and a mix. CPU time (`time.process_time`), so that the shared machine's other load counts less; quote `uptime`.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from raigov.genai.guard.scan import detect, screen_text  # noqa: E402

MB = 1_000_000
CASES = {k: (v * 2)[:MB] for k, v in {
    "dots": "." * MB,
    "digits": "1" * MB,
    "digit groups": "1234 " * 200_000,
    "near ssn": "123-45-678 " * 90_910,
    "near email": ("a" * 60 + "@") * 16_394,
    "near domain": ("x@" + "a-" * 40 + ".") * 12_196,
    "near ipv6": "1:" * 500_000,
    "capitals": "Aa " * 333_333,
    "accented words": "Zoë 1 " * 166_667,
    "wide": "é" * MB,
    "near card": "4111-1111-1111-111 " * 52_632,
    "slashes": "CUI//" * 200_000,
    "mixed": "John 1600 Main St 202-555-01 A12345 " * 30_000,
}.items()}


def _cpu(fn, text: str) -> float:
    gc.disable()
    try:
        t0 = time.process_time()
        fn(text)
        return time.process_time() - t0
    finally:
        gc.enable()


def run() -> dict[str, dict[str, float]]:
    """{case: {"detect_100k", "detect_1mb", "screen_1mb"}} in CPU seconds; prints a table."""
    full = lambda t: screen_text(t, max_chars=MB)  # noqa: E731
    print("\n## 1 MB adversarial prompts (CPU seconds)\n")
    print("| case | detect 100 kB | detect 1 MB | screen_text 1 MB (decision, redaction) |")
    print("|---|---|---|---|")
    out = {}
    for name, text in CASES.items():
        row = {"detect_100k": round(_cpu(detect, text[:100_000]), 3), "detect_1mb": round(_cpu(detect, text), 3),
               "screen_1mb": round(_cpu(full, text), 3)}
        out[name] = row
        print(f"| {name} | {row['detect_100k']} | {row['detect_1mb']} | {row['screen_1mb']} |", flush=True)
    slow = [n for n, r in out.items() if r["screen_1mb"] >= 1.0]
    print(f"\nunder one second (screen_text, 1 MB): {len(out) - len(slow)} of {len(out)}"
          + (f"; over: {', '.join(slow)}" if slow else ""))
    return out


if __name__ == "__main__":
    result = run()
    if len(sys.argv) == 3 and sys.argv[1] == "--json":
        Path(sys.argv[2]).write_text(json.dumps(result, indent=2), encoding="utf-8")
