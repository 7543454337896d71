"""Time from 1,000 themed responses in the store to finished booklets, per audience and format.

The responses are demo texts (data/demo/responses.csv, repeated with a number to reach 1,000), analysed by nlp/
in one batch and themed by a real `topics.fit`; staff choices are simulated (three quotes per theme marked, a
follow-up on every other theme). That preparation is timed apart. The booklet time is collect (store, topics
overview, second redaction pass, charts) + HTML + PDF. Target: a PDF within 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import topics  # noqa: E402
from samenspraak.booklets import AUDIENCES, collect  # noqa: E402
from samenspraak.booklets.rendering import html_to_pdf, render_html  # noqa: E402
from samenspraak.config import DATA_DIR  # noqa: E402
from samenspraak.consultations import load_consultation  # noqa: E402
from samenspraak.contributions import analyse_texts, save_contribution, sync_consultation  # noqa: E402
from samenspraak.store import Store  # noqa: E402

SLUG = "zoetermeer-2040"
TARGET_PDF_SECONDS = 10.0


def demo_rows(count: int) -> list[dict[str, str]]:
    with (DATA_DIR / "demo" / "responses.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["consultation"] == SLUG]
    return [{**rows[i % len(rows)], "text": f"{rows[i % len(rows)]['text']} ({i // len(rows) + 1})"} for i in range(count)]


def fill_store(store: Store, count: int) -> None:
    """1,000 analysed responses, themed by a real topics fit, with staff choices made."""
    rows = demo_rows(count)
    analyses = analyse_texts([row["text"] for row in rows])
    with store.session() as session:
        sync_consultation(session, load_consultation(SLUG))
    for row, analysis in zip(rows, analyses):
        save_contribution(consultation=SLUG, channel=row["channel"], text=row["text"], wijk=row["wijk"] or None,
                          age_group=row["age_group"] or None, analysis=analysis, store=store)
    topics.fit(SLUG, store=store)
    for position, theme in enumerate(topics.theme_overview(SLUG, store=store)):
        for quote in theme.quotes[:3]:
            topics.mark_quote(quote.response_id, theme.theme_id, store=store)
        if position % 2 == 0:
            topics.set_follow_up(theme.theme_id, "We nemen dit mee in de uitwerking. Wat niet kan, leggen we uit.", store=store)


def page_count(pdf: bytes) -> str:
    if shutil.which("pdfinfo") is None:
        return "?"
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'bench.db'}")
        store.migrate()
        started = time.perf_counter()
        fill_store(store, args.responses)
        print(f"voorbereiding: {args.responses} reacties geanalyseerd (nlp), ingedeeld (topics.fit) en citaten gekozen"
              f" in {time.perf_counter() - started:.1f} s (hoort niet bij de boekjestijd)")
        print(f"{'publiek':<14}{'verzamelen':>12}{'HTML':>8}{'PDF':>8}{'totaal PDF':>12}{'pagina':>8}{'kB':>7}")
        worst = 0.0
        for audience in AUDIENCES:
            started = time.perf_counter()
            data = collect(SLUG, audience, store=store)
            collected = time.perf_counter()
            html = render_html(data, "pdf")
            rendered = time.perf_counter()
            pdf = html_to_pdf(html)
            finished = time.perf_counter()
            pages = page_count(pdf)
            worst = max(worst, finished - started)
            print(f"{audience:<14}{collected - started:>11.2f}s{rendered - collected:>7.2f}s{finished - rendered:>7.2f}s"
                  f"{finished - started:>11.2f}s{pages:>8}{len(pdf) // 1024:>7}")
        store.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    verdict = "gehaald" if worst <= TARGET_PDF_SECONDS else "NIET gehaald"
    print(f"traagste PDF: {worst:.2f} s (doel ≤ {TARGET_PDF_SECONDS:.0f} s: {verdict}); piekgeheugen {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
