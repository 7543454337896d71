"""Benchmark of topics/: end-to-end time and peak memory for 1k and 10k responses, assign-only for 100 new.

End to end = clean (nlp.analyse: redaction + lemmas, as the store gets them) + embed (cold cache: a fresh
database) + classify, cluster, describe + write. Each size runs in its own process, so peak memory is that
size's alone: the largest sum of RSS over the process and its live children (nlp.analyse splits 2,000+ texts
over a worker process), sampled every 0.1 s; CPU seconds include finished children. Once-per-process costs (loading the spaCy pipeline, the language detector and the
embedding model; numba compiling UMAP/HDBSCAN on first use) are timed apart as "warm-up", as a running web
process has paid them already; "cold" adds them back. Per stage the wall time and the process's CPU time
(all threads) are printed, with the load average, because the 2-core machine is often shared: CPU seconds
show the work, wall seconds what it took under that load. Stages are the fit's own progress stages; the
embedding stage also holds the embeddings of the vision's anchor texts, key-phrase stages those of candidate
words. Texts are synthetic: sentences of the demo data
and of the labelled eval set, recombined until every text is unique. Targets: 10k <= 5 min, <= 4 GB.

`--review N`: afterwards staff confirm N responses in the model's own top theme, and a re-fit learns from
them (tunes the encoder, embeds every response again with it; topics/tuning.py). Timed apart; the peak
memory printed then covers the whole run, re-fit included.

Run: `make bench-topics` or `python bench/topics_bench.py [--sizes 1000 10000] [--new 100] [--review 300]`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
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


def cpu_seconds() -> float:
    """This process and its finished children (nlp.analyse's worker process for big batches)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Stages:
    """Wall and CPU seconds per named stage; a stage runs until the next one starts."""

    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.current: str | None = None
        self.since = (0.0, 0.0)

    def start(self, stage: str | None) -> None:
        now = (time.monotonic(), cpu_seconds())
        if self.current is not None:
            self.wall[self.current] = self.wall.get(self.current, 0.0) + now[0] - self.since[0]
            self.cpu[self.current] = self.cpu.get(self.current, 0.0) + now[1] - self.since[1]
        self.current, self.since = stage, now

    def progress(self, stage: str, _done: int, _total: int) -> None:
        if stage != self.current:
            self.start(stage)

    def table(self) -> dict[str, dict[str, float]]:
        return {name: {"wall": round(self.wall[name], 1), "cpu": round(self.cpu[name], 1)} for name in self.wall}


def warm_up() -> None:
    """What a running process has already loaded or compiled before the first fit."""
    import numpy as np
    from hdbscan import HDBSCAN
    from umap import UMAP

    import nlp
    from topics.embeddings import get_embedder

    nlp.analyse(["Meer groen in de wijk, graag."])
    get_embedder().model
    # numba compiles UMAP's and pynndescent's functions on first use, once per process
    points = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
    for components in (5, 2):
        reduced = UMAP(n_components=components, metric="cosine", random_state=0, n_jobs=1).fit_transform(points)
    HDBSCAN(min_cluster_size=10).fit_predict(reduced)


def confirm_by_staff(store, consultation_id: int, count: int) -> int:
    """Staff place `count` responses, spread over the corpus, in the top-level theme the model gave them."""
    from sqlalchemy import select

    import topics
    from samenspraak.store import Response, Theme, ThemeAssignment

    with store.session() as session:
        rows = session.execute(
            select(ThemeAssignment.response_id, ThemeAssignment.theme_id)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .join(Response, Response.id == ThemeAssignment.response_id)
            .where(Response.consultation_id == consultation_id, Theme.parent_id.is_(None))
            .order_by(ThemeAssignment.response_id, ThemeAssignment.confidence.desc())
        ).all()
    top = {}
    for response_id, theme_id in rows:
        top.setdefault(response_id, theme_id)
    chosen = sorted(top)[:: max(1, len(top) // count)][:count]
    for response_id in chosen:
        topics.move_response(response_id, None, top[response_id], store=store)
    return len(chosen)


def run_size(size: int, new: int, review: int = 0, memory=None) -> dict:
    from sqlalchemy import insert

    import topics
    from samenspraak.consultations import load_consultation
    from samenspraak.contributions import sync_consultation
    from samenspraak.store import Response, Store

    texts = synthetic_texts(size + new)
    fitted, extra = texts[:size], texts[size:]
    load_before = os.getloadavg()[0]
    clock = time.monotonic()
    warm_up()
    warm_up_seconds = time.monotonic() - clock

    stages = Stages()
    started = time.monotonic()
    stages.start("clean")
    import nlp

    analyses = nlp.analyse(fitted)
    rows = [{"text_redacted": a.redacted, "lemmas": list(a.lemmas), "is_non_answer": a.is_non_answer} for a in analyses]

    with tempfile.TemporaryDirectory() as folder:
        stages.start("store responses")
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
        clock = time.monotonic()
        run_id = topics.fit(CONSULTATION, progress=stages.progress, store=store)
        stages.start(None)
        fit_seconds = time.monotonic() - clock
        total = time.monotonic() - started
        load_after = os.getloadavg()[0]

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
        after_review = None
        if review:
            import topics.tuning

            # The bench's tuned model stays out of var/ (which keeps only the newest few).
            topics.tuning.tuned_folder = lambda: Path(folder) / "tuned"
            confirmed = confirm_by_staff(store, consultation_id, review)
            review_stages = Stages()
            clock = time.monotonic()
            topics.fit(CONSULTATION, progress=review_stages.progress, store=store)
            review_stages.start(None)
            after_review = {"confirmed": confirmed, "refit_s": round(time.monotonic() - clock, 1),
                            "refit_cpu_s": round(sum(review_stages.cpu.values()), 1), "stages_s": review_stages.table(),
                            "peak_rss_mb_so_far": round(memory.peak_mb.get("tree", 0.0)) if memory else None}
        store.dispose()
    return {
        "responses": size,
        "end_to_end_s": round(total, 1),
        "end_to_end_cpu_s": round(sum(stages.cpu.values()), 1),
        "fit_s": round(fit_seconds, 1),
        "warm_up_s": round(warm_up_seconds, 1),
        "cold_end_to_end_s": round(warm_up_seconds + total, 1),
        "stages_s": stages.table(),
        "load_average_1min": [round(load_before, 1), round(load_after, 1)],
        "torch_threads": torch_threads(),
        "peak_rss_main_process_mb": round(peak_mb()),
        "subthemes": metrics["subthemes"],
        "outlier_share": metrics["outlier_share"],
        "assign_only": {"responses": placed, "seconds": round(assign_seconds, 2)},
        "refit_after_review": after_review,
    }


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--new", type=int, default=100, help="responses for the assign-only timing")
    parser.add_argument("--review", type=int, default=0, help="staff-confirmed responses for a re-fit after review")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: run one size, print JSON
    args = parser.parse_args()
    if args.one:
        from bench._services import PeakMemory

        with PeakMemory(lambda: {"tree": os.getpid()}, interval=0.1) as memory:
            result = run_size(args.one, args.new, args.review, memory)
        result["peak_rss_mb"] = round(max(result["peak_rss_main_process_mb"], memory.peak_mb.get("tree", 0.0)))
        print(json.dumps(result))
        return 0
    results = []
    for size in args.sizes:
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--new", str(args.new), "--review", str(args.review)],
            capture_output=True, text=True, cwd=REPO,
        )
        if child.returncode != 0:
            print(child.stderr[-3000:], file=sys.stderr)
            return child.returncode
        result = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result, indent=2), flush=True)
    print("\n| responses | end to end (CPU) | clean | fit | warm-up | peak RSS | assign-only (new) | load avg |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['responses']:,} | {r['end_to_end_s']} s ({r['end_to_end_cpu_s']} s) | {r['stages_s']['clean']['wall']} s | "
              f"{r['fit_s']} s | {r['warm_up_s']} s | {r['peak_rss_mb']} MB | "
              f"{r['assign_only']['seconds']} s ({r['assign_only']['responses']}) | {r['load_average_1min']} |")
    for r in results:
        print(f"\n{r['responses']:,} responses, per stage (wall s / CPU s):")
        for name, figures in r["stages_s"].items():
            print(f"  {name:<34} {figures['wall']:>7} / {figures['cpu']}")
        review = r["refit_after_review"]
        if review:
            print(f"  re-fit after {review['confirmed']} confirmed by staff: {review['refit_s']} s "
                  f"({review['refit_cpu_s']} CPU s), peak so far {review['peak_rss_mb_so_far']} MB")
            for name, figures in review["stages_s"].items():
                print(f"    {name:<32} {figures['wall']:>7} / {figures['cpu']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
