"""Print intent accuracy and macro-F1 from the report of `rasa test nlu` (intent_report.json).

    python -m bot.nlu_report var/rasa/results/nlu/intent_report.json --min-accuracy 0.92

Exits with 1 when the accuracy is below the target, so `make bot-eval` fails visibly.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def summarise(report: dict) -> tuple[float, float, list[tuple[str, float, int, dict]]]:
    """(accuracy, macro-F1, [(intent, f1, support, confused_with)] worst first)."""
    intents = [
        (name, values["f1-score"], values["support"], values.get("confused_with", {}))
        for name, values in report.items()
        if name not in SUMMARY_KEYS and isinstance(values, dict)
    ]
    intents.sort(key=lambda row: (row[1], row[0]))
    return report["accuracy"], report["macro avg"]["f1-score"], intents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--min-accuracy", type=float, default=0.0)
    parser.add_argument("--entities", type=Path, help="DIETClassifier_report.json: also print entity F1")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        print(f"nlu-report: {args.report} not found; run `rasa test nlu` first", file=sys.stderr)
        return 2
    accuracy, macro_f1, intents = summarise(json.loads(args.report.read_text(encoding="utf-8")))
    support = sum(row[2] for row in intents)
    print(f"Held-out NLU evaluation: {support} utterances, {len(intents)} intents")
    print(f"  intent accuracy: {accuracy:.1%}   (target >= {args.min_accuracy:.0%})")
    print(f"  intent macro-F1: {macro_f1:.3f}")
    print("  per intent (worst first): F1, support, most confused with")
    for name, f1, count, confused in intents:
        confusion = ", ".join(f"{other} ({n})" for other, n in list(confused.items())[:2])
        print(f"    {name:<18} {f1:.3f} {count:>4}  {confusion}")
    if args.entities and args.entities.is_file():
        entities = json.loads(args.entities.read_text(encoding="utf-8"))
        print("  entities: " + ", ".join(
            f"{name} F1 {values['f1-score']:.3f} (n={values['support']})"
            for name, values in entities.items()
            if name not in SUMMARY_KEYS and isinstance(values, dict)
        ))
    if accuracy < args.min_accuracy:
        print(f"nlu-report: accuracy {accuracy:.1%} is below the target {args.min_accuracy:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
