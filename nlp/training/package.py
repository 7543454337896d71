"""Turn a trained model into the pipeline shipped in the repository (nlp/pipeline/nl_samenspraak).

Adds the lookup-table lemma fallback, the licence (CC BY-SA 4.0, as the treebanks) and the
attribution, then scores the result on the Alpino test set and stores the scores in its meta.
Usage: python -m nlp.training.package --model var/nlp/train/model-best
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from importlib import resources
from pathlib import Path

import spacy

from nlp.loader import SHIPPED_PIPELINE
from nlp.training.evaluate import evaluate

META = {
    "name": "samenspraak",
    "version": "1.0.0",
    "description": (
        "Dutch pipeline of the Samenspraak project: tok2vec, morphologizer (POS + morphology), "
        "dependency parser (also sentence boundaries), trainable lemmatizer with a lookup-table "
        "fallback. Trained on UD Dutch LassySmall (dev+test) and part of UD Dutch Alpino (dev)."
    ),
    "author": "Samenspraak contributors",
    "license": "CC BY-SA 4.0",
    "sources": [
        {
            "name": "UD Dutch LassySmall",
            "url": "https://github.com/UniversalDependencies/UD_Dutch-LassySmall",
            "license": "CC BY-SA 4.0",
            "author": "Gertjan van Noord, Gosse Bouma and others (Universal Dependencies)",
        },
        {
            "name": "UD Dutch Alpino",
            "url": "https://github.com/UniversalDependencies/UD_Dutch-Alpino",
            "license": "CC BY-SA 4.0",
            "author": "Gosse Bouma, Gertjan van Noord and others (Universal Dependencies)",
        },
        {
            "name": "spacy-lookups-data (Dutch lemma lookup table)",
            "url": "https://github.com/explosion/spacy-lookups-data",
            "license": "MIT",
            "author": "Explosion",
        },
    ],
}


def lookup_table() -> dict[str, str]:
    """spaCy's Dutch word-form -> lemma table (training-time dependency spacy-lookups-data)."""
    path = resources.files("spacy_lookups_data") / "data" / "nl_lemma_lookup.json.gz"
    table = json.loads(gzip.decompress(path.read_bytes()))
    return {form: lemma for form, lemma in table.items() if form != lemma}


def package(model: Path, out: Path, test: Path) -> None:
    nlp = spacy.load(model)
    if "lemma_lookup_fallback" not in nlp.pipe_names:
        fallback = nlp.add_pipe("lemma_lookup_fallback", after="trainable_lemmatizer")
        fallback.table = lookup_table()
    nlp.meta.update(META)
    nlp.meta["performance"] = {}
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    scores = evaluate(out, test)
    scores.pop("words_per_second")
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["performance"] = {"alpino_test": {key: round(value, 2) for key, value in scores.items()}}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"packaged {model} -> {out}; Alpino test: {meta['performance']['alpino_test']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=SHIPPED_PIPELINE)
    parser.add_argument("--test", type=Path, default=Path("var/nlp/corpus/test.spacy"))
    args = parser.parse_args()
    package(args.model, args.out, args.test)


if __name__ == "__main__":
    main()
