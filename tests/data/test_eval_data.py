"""The evaluation sets stay consistent with each other and with the consultation definitions."""

from __future__ import annotations

import csv
import json
import re

from samenspraak.config import DATA_DIR
from samenspraak.consultations import load_consultation

PII_FILE = DATA_DIR / "eval" / "pii" / "sentences.jsonl"
THEMES_FILE = DATA_DIR / "eval" / "themes" / "zoetermeer-2040-labelled.csv"
SECOND_CODER_FILE = DATA_DIR / "eval" / "themes" / "zoetermeer-2040-second-coder.csv"
PII_LABELS = {"NAAM", "E-MAIL", "TELEFOON", "ADRES", "BSN", "IBAN", "KENTEKEN", "URL"}


def _bsn_valid(digits: str) -> bool:
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return len(digits) == 9 and sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def _iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def test_pii_spans_are_in_bounds_labelled_and_checksummed():
    records = [json.loads(line) for line in PII_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(records) >= 300
    assert len({r["id"] for r in records}) == len(records)
    seen = set()
    for record in records:
        text = record["text"]
        for span in record["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(text), record["id"]
            assert span["label"] in PII_LABELS, record["id"]
            value = text[span["start"] : span["end"]]
            assert value == value.strip(), f"{record['id']}: span has surrounding spaces"
            if span["label"] == "BSN":
                assert _bsn_valid(re.sub(r"\D", "", value)), record["id"]
            if span["label"] == "IBAN":
                assert _iban_valid(value), record["id"]
            seen.add(span["label"])
    assert seen == PII_LABELS


def _rows(path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _assert_valid_labels(row: dict, keys: set[str]):
    labels = row["labels"].split(";")
    assert 1 <= len(labels) <= 2 and set(labels) <= keys and len(set(labels)) == len(labels), row["id"]
    assert len(labels) == 1 or not {"overig", "geen"} & set(labels), f"{row['id']}: overig/geen with a theme"


def test_theme_labels_are_keys_of_the_2040_consultation():
    keys = {theme.key for theme in load_consultation("zoetermeer-2040").themes} | {"overig", "geen"}
    rows = _rows(THEMES_FILE)
    assert len(rows) >= 300
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        assert row["text"].strip(), row["id"]
        _assert_valid_labels(row, keys)


def test_second_coder_labelled_every_row_with_allowed_labels():
    keys = {theme.key for theme in load_consultation("zoetermeer-2040").themes} | {"overig", "geen"}
    second = _rows(SECOND_CODER_FILE)
    assert [row["id"] for row in second] == [row["id"] for row in _rows(THEMES_FILE)]
    for row in second:
        _assert_valid_labels(row, keys)
