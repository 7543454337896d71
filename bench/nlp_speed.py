"""Throughput and peak memory of nlp.analyse over 10k demo-like responses.

The responses are the demo responses (data/demo/responses.csv), repeated with a varying
number as a prefix so that no two are identical; about one in ten gets a sign-off with a name
and phone number, so the redaction's second pass is part of the measurement.

Usage: python bench/nlp_speed.py [--n 10000] [--demo data/demo/responses.csv]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import time
from pathlib import Path

import nlp

SIGN_OFFS = ("Groeten, Piet Jansen", "mvg Fatma Yilmaz, 06-12345678", "Bel me: 079-3468200")


def responses(demo: Path, n: int) -> list[str]:
    with demo.open(encoding="utf-8", newline="") as file:
        texts = [row["text"] for row in csv.DictReader(file) if row["text"].strip()]
    rng = random.Random(0)
    result = []
    for i in range(n):
        text = f"{i}. {texts[i % len(texts)]}"
        if rng.random() < 0.1:
            text += " " + rng.choice(SIGN_OFFS)
        result.append(text)
    return result


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--demo", type=Path, default=Path("data/demo/responses.csv"))
    args = parser.parse_args()
    texts = responses(args.demo, args.n)

    started = time.perf_counter()
    pipeline = nlp.load_pipeline()
    nlp.detect_language("Dit laadt de taalmodellen.")
    load_seconds = time.perf_counter() - started
    tokens = sum(len(doc) for doc in pipeline.tokenizer.pipe(texts))

    started, cpu_started = time.perf_counter(), time.process_time()
    results = nlp.analyse(texts)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started

    started = time.perf_counter()
    pairs = nlp.near_duplicates([r.redacted for r in results])
    duplicate_seconds = time.perf_counter() - started

    redacted = sum(r.redacted != r.normalized for r in results)
    print(f"pipeline: {pipeline.meta.get('lang')}_{pipeline.meta.get('name')} {pipeline.pipe_names}")
    print(f"responses: {len(texts)}, tokens: {tokens}, with personal data redacted: {redacted}")
    print(f"load (spaCy pipeline + language models): {load_seconds:.1f} s")
    print(f"analyse: {seconds:.1f} s = {len(texts) / seconds:.0f} responses/s, {tokens / seconds:.0f} tokens/s "
          f"({cpu_seconds:.1f} CPU s; load average {os.getloadavg()[0]:.1f}: a shared machine stretches the wall time)")
    print(f"near_duplicates: {duplicate_seconds:.1f} s, {len(pairs)} pairs")
    print(f"peak memory (max RSS): {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
