"""Precision and recall of nlp.find_personal_data per label on a labelled sentence set.

Usage: python -m evals.redaction [data/eval/pii/sentences.jsonl] [--errors]

A predicted span is correct when it overlaps a gold span of the same label ("overlap" scores);
"exact" scores demand identical boundaries. Overlap is what matters for privacy: a placeholder
that covers a name but also its title leaks nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import nlp
from nlp.lexicon import load_lexicon

DEFAULT_SET = Path("data/eval/pii/sentences.jsonl")


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(rows: list[dict], show_errors: bool = False) -> tuple[dict[str, dict], list[str]]:
    """Scores per label (and ALL), and the predicted names that overlap a gazetteer place."""
    counts: dict[str, Counter] = {}
    names_on_places: list[str] = []
    for row in rows:
        text = row["text"]
        gold = [(s["start"], s["end"], s["label"]) for s in row["spans"]]
        predicted = [(s.start, s.end, s.label) for s in nlp.find_personal_data(text)]
        places = load_lexicon().place_spans(text)
        for label in {g[2] for g in gold} | {p[2] for p in predicted} | {"ALL"}:
            c = counts.setdefault(label, Counter())
            g_l = [g for g in gold if label in ("ALL", g[2])]
            p_l = [p for p in predicted if label in ("ALL", p[2])]
            same = lambda a, b: a[2] == b[2] and _overlaps(a[:2], b[:2])  # noqa: E731
            c["gold"] += len(g_l)
            c["pred"] += len(p_l)
            c["tp_pred"] += sum(any(same(p, g) for g in g_l) for p in p_l)
            c["tp_gold"] += sum(any(same(p, g) for p in p_l) for g in g_l)
            c["exact"] += len(set(g_l) & set(p_l))
        names_on_places += [
            text[p[0] : p[1]]
            for p in predicted
            if p[2] == "NAAM" and any(_overlaps(p[:2], s) for s in places)
        ]
        if show_errors:
            missed = [text[s:e] + f" ({lab})" for s, e, lab in gold if not any(
                lab == q[2] and _overlaps((s, e), q[:2]) for q in predicted)]
            wrong = [text[s:e] + f" ({lab})" for s, e, lab in predicted if not any(
                lab == g[2] and _overlaps((s, e), g[:2]) for g in gold)]
            if missed or wrong:
                print(f"{row['id']}: missed={missed} wrong={wrong}\n    {text}")
    results = {}
    for label, c in counts.items():
        results[label] = {
            "gold": c["gold"],
            "predicted": c["pred"],
            "precision": c["tp_pred"] / c["pred"] if c["pred"] else 1.0,
            "recall": c["tp_gold"] / c["gold"] if c["gold"] else 1.0,
            "exact_precision": c["exact"] / c["pred"] if c["pred"] else 1.0,
            "exact_recall": c["exact"] / c["gold"] if c["gold"] else 1.0,
        }
    return results, names_on_places


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--errors", action="store_true", help="print every missed or wrong span")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    results, names_on_places = score(rows, args.errors)
    seconds = time.perf_counter() - started
    name = nlp.load_pipeline().meta.get("name")
    print(f"{len(rows)} sentences from {args.path}, pipeline {name}, {seconds:.1f} s")
    print(f"{'label':10} {'gold':>5} {'pred':>5} {'precision':>9} {'recall':>7} {'exact P':>8} {'exact R':>8}")
    for label in sorted(results, key=lambda k: (k == "ALL", k)):
        r = results[label]
        print(
            f"{label:10} {r['gold']:5d} {r['predicted']:5d} {r['precision']:9.1%} {r['recall']:7.1%} "
            f"{r['exact_precision']:8.1%} {r['exact_recall']:8.1%}"
        )
    print(f"names overlapping a gazetteer place ({len(names_on_places)}): {names_on_places}")


if __name__ == "__main__":
    main()
