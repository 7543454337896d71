"""Benchmark of topics/: end-to-end time and peak memory for 1k and 10k responses, assign-only for 100 new.

End to end = clean (nlp.analyse: redaction + lemmas, as the store gets them) + embed (cold cache) +
classify, cluster, describe + write. Each size runs in its own process, so peak memory (max RSS) is that
size's alone. Texts are synthetic: sentences of the demo data and of the labelled eval set, recombined
until every text is unique. Targets on the 2-core machine: 10k <= 5 min, <= 4 GB.

Run: `make bench-topics` or `python bench/topics_bench.py [--sizes 1000 10000] [--new 100]`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CONSULTATION = "zoetermeer-2040"
SOURCES = [REPO / "data" / "demo" / "responses.csv", REPO / "data" / "eval" / "themes" / "zoetermeer-2040-labelled.csv"]
CHANNELS = ["chat", "straat", "web", "intern", "partners"]
WIJKEN = ["Meerzicht", "Rokkeveen", "Oosterheem", "Seghwaert", "Buytenwegh", "Palenstein", "Driemanspolder", None]


def synthetic_texts(n: int, seed: int = 7) -> list[str]:
    sentences = []
    for path in SOURCES:
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                sentences += [s.strip() for s in re.split(r"(?<=[.!?])\s+", row["text"]) if len(s.strip()) > 15]
    rng = random.Random(seed)
    texts: set[str] = set()
    while len(texts) < n:
        texts.add(" ".join(rng.sample(sentences, rng.choice((1, 1, 2, 2, 3)))))
    return sorted(texts)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_size(size: int, new: int) -> dict:
    from sqlalchemy import insert

    import topics
    from samenspraak.consultations import load_consultation
    from samenspraak.contributions import sync_consultation
    from samenspraak.store import Response, Store
    from topics.embeddings import get_embedder

    texts = synthetic_texts(size + new)
    fitted, extra = texts[:size], texts[size:]
    stages: dict[str, float] = {}
    started = time.monotonic()

    clock = time.monotonic()
    try:
        import nlp

        analyses = nlp.analyse(fitted)
        rows = [{"text_redacted": a.redacted, "lemmas": list(a.lemmas), "is_non_answer": a.is_non_answer} for a in analyses]
        cleaner = "nlp.analyse"
    except Exception as exc:  # noqa: BLE001 - without the nlp pipeline, time the rest and say so
        print(f"nlp/ niet beschikbaar ({exc}); 'clean' is overgeslagen", file=sys.stderr)
        rows = [{"text_redacted": t, "lemmas": None, "is_non_answer": False} for t in fitted]
        cleaner = "none"
    stages["clean"] = time.monotonic() - clock

    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/bench.db")
        store.migrate()
        start = datetime(2024, 10, 1, tzinfo=timezone.utc)
        with store.session() as session:
            consultation_id = sync_consultation(session, load_consultation(CONSULTATION)).id
            session.execute(
                insert(Response),
                [
                    {**row, "consultation_id": consultation_id, "channel": CHANNELS[i % len(CHANNELS)],
                     "wijk": WIJKEN[i % len(WIJKEN)], "created_at": start + timedelta(minutes=7 * i), "language": "nl"}
                    for i, row in enumerate(rows)
                ],
            )
        get_embedder().model  # load the model outside the timed stages, like a running web process has it

        last = {"stage": None, "at": time.monotonic()}

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if last["stage"] is not None and last["stage"] != stage:
                stages[last["stage"]] = stages.get(last["stage"], 0.0) + now - last["at"]
                last["at"] = now
            if last["stage"] != stage:
                last.update(stage=stage, at=now)

        clock = time.monotonic()
        run_id = topics.fit(CONSULTATION, progress=progress, store=store)
        stages[last["stage"]] = stages.get(last["stage"], 0.0) + time.monotonic() - last["at"]
        fit_seconds = time.monotonic() - clock
        total = time.monotonic() - started

        with store.session() as session:
            session.execute(
                insert(Response),
                [{"consultation_id": consultation_id, "channel": "chat", "text_redacted": t, "language": "nl"} for t in extra],
            )
        clock = time.monotonic()
        placed = topics.assign_new(CONSULTATION, store=store)
        assign_seconds = time.monotonic() - clock

        from samenspraak.store import TopicRun

        with store.session() as session:
            metrics = session.get(TopicRun, run_id).metrics
        store.dispose()
    return {
        "responses": size,
        "cleaner": cleaner,
        "end_to_end_s": round(total, 1),
        "fit_s": round(fit_seconds, 1),
        "stages_s": {k: round(v, 1) for k, v in stages.items()},
        "peak_rss_mb": round(peak_mb()),
        "subthemes": metrics["subthemes"],
        "outlier_share": metrics["outlier_share"],
        "assign_only": {"responses": placed, "seconds": round(assign_seconds, 2)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--new", type=int, default=100, help="responses for the assign-only timing")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: run one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one, args.new)))
        return 0
    results = []
    for size in args.sizes:
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--new", str(args.new)],
            capture_output=True, text=True, cwd=REPO,
        )
        if child.returncode != 0:
            print(child.stderr[-3000:], file=sys.stderr)
            return child.returncode
        result = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result, indent=2), flush=True)
    print("\n| responses | end to end | of which clean | fit | peak RSS | assign-only (new) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['responses']:,} | {r['end_to_end_s']} s | {r['stages_s']['clean']} s | {r['fit_s']} s | "
              f"{r['peak_rss_mb']} MB | {r['assign_only']['seconds']} s ({r['assign_only']['responses']}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
