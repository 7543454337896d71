"""Convert the UD Dutch treebanks (CoNLL-U) into spaCy training files.

Split (see /work/shared/data/README.md): train on LassySmall dev+test and most of Alpino dev,
optionally plus the older LassySmall v2.0 train; keep the last sentences of Alpino dev as the
development set (same domain as the test set) and score on Alpino test.

Usage: python -m nlp.training.convert --ud-dir DIR --out-dir var/nlp/corpus [--with-v2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from spacy.lang.nl import Dutch
from spacy.tokens import Doc, DocBin
from spacy.training.converters import conllu_to_docs

SENTENCES_PER_DOC = 10  # several sentences per doc so the parser learns sentence boundaries
ALPINO_DEV_HELD_OUT = 300  # sentences kept apart from Alpino dev for model selection


def read_sentences(path: Path) -> list[str]:
    """CoNLL-U sentence blocks, comments included."""
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    return [block.strip() + "\n" for block in blocks if block.strip()]


def to_docs(sentences: list[str]) -> list[Doc]:
    data = "\n".join(sentences)
    return list(conllu_to_docs(data, n_sents=SENTENCES_PER_DOC, no_print=True))


def adapt_v2(docs: list[Doc]) -> list[Doc]:
    """Make the 2017 annotation usable next to the current one.

    Its lemmas lack the compound split of the current release (klooster_orde), so they are
    left out (missing lemma = no lemmatizer loss) and its `flat:name` relation becomes `flat`.
    """
    vocab = Dutch().vocab
    adapted = []
    for doc in docs:
        new = Doc(
            vocab,
            words=[t.text for t in doc],
            spaces=[bool(t.whitespace_) for t in doc],
            pos=[t.pos_ for t in doc],
            morphs=[str(t.morph) for t in doc],
            heads=[t.head.i for t in doc],
            deps=["flat" if t.dep_ == "flat:name" else t.dep_ for t in doc],
            sent_starts=[bool(t.is_sent_start) for t in doc],
        )
        adapted.append(new)
    return adapted


def write(docs: list[Doc], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=False).to_disk(path)
    print(f"{path}: {len(docs)} docs, {sum(len(d) for d in docs)} tokens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ud-dir", type=Path, default=Path("/work/shared/data/ud-dutch"))
    parser.add_argument("--out-dir", type=Path, default=Path("var/nlp/corpus"))
    parser.add_argument("--with-v2", action="store_true", help="add the LassySmall v2.0 train split")
    args = parser.parse_args()
    ud, out = args.ud_dir, args.out_dir

    alpino_dev = read_sentences(ud / "nl_alpino-ud-dev.conllu")
    train = {
        "lassysmall-dev": read_sentences(ud / "nl_lassysmall-ud-dev.conllu"),
        "lassysmall-test": read_sentences(ud / "nl_lassysmall-ud-test.conllu"),
        "alpino-dev": alpino_dev[:-ALPINO_DEV_HELD_OUT],
    }
    for name, sentences in train.items():
        write(to_docs(sentences), out / "train" / f"{name}.spacy")
    if args.with_v2:
        v2 = to_docs(read_sentences(ud / "nl_lassysmall-ud-v2.0-train-filtered.conllu"))
        write(adapt_v2(v2), out / "train" / "lassysmall-v2.spacy")
    else:
        (out / "train" / "lassysmall-v2.spacy").unlink(missing_ok=True)
    write(to_docs(alpino_dev[-ALPINO_DEV_HELD_OUT:]), out / "dev.spacy")
    write(to_docs(read_sentences(ud / "nl_alpino-ud-test.conllu")), out / "test.spacy")


if __name__ == "__main__":
    main()
