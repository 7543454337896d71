"""Score a spaCy pipeline on the Alpino test set, next to the published nl_core_news_sm 3.7 scores.

Usage: python -m nlp.training.evaluate [--model PATH] [--test var/nlp/corpus/test.spacy]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import spacy
from spacy.training import Corpus

from nlp.loader import SHIPPED_PIPELINE

# Published scores of nl_core_news_sm 3.7.0 (its own test split of the full treebanks).
REFERENCE = {"pos_acc": 95.7, "morph_acc": 95.1, "dep_uas": 85.4, "dep_las": 80.2, "lemma_acc": 95.0, "sents_f": 86.6}
LABELS = {
    "pos_acc": "POS", "morph_acc": "morph", "dep_uas": "UAS", "dep_las": "LAS",
    "lemma_acc": "lemma", "sents_f": "sentences F",
}


def evaluate(model: Path | str, test: Path) -> dict[str, float]:
    nlp = spacy.load(model)
    examples = list(Corpus(str(test))(nlp))
    started = time.perf_counter()
    scores = nlp.evaluate(examples)
    words = sum(len(eg.reference) for eg in examples)
    result = {key: 100 * float(scores[key]) for key in REFERENCE if scores.get(key) is not None}
    result["words_per_second"] = words / (time.perf_counter() - started)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHIPPED_PIPELINE))
    parser.add_argument("--test", type=Path, default=Path("var/nlp/corpus/test.spacy"))
    args = parser.parse_args()
    if not args.test.exists():
        raise SystemExit(f"{args.test} not found: run `make nlp-corpus` (python -m nlp.training.convert) first")
    scores = evaluate(args.model, args.test)
    print(f"Alpino test ({args.test}), pipeline {args.model}")
    print(f"{'score':12} {'ours':>6} {'nl_core_news_sm 3.7':>20}")
    for key, label in LABELS.items():
        if key in scores:
            print(f"{label:12} {scores[key]:6.1f} {REFERENCE[key]:20.1f}")
    print(f"speed: {scores['words_per_second']:.0f} words/s (evaluation, 1 process)")


if __name__ == "__main__":
    main()
