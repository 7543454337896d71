"""Loading the pipeline: shipped in the repository, offline; any installed spaCy pipeline by env."""

import json

import pytest
import spacy

import nlp
from nlp import loader


@pytest.fixture
def fresh_cache():
    loader._load.cache_clear()
    yield
    loader._load.cache_clear()


def test_shipped_pipeline_loads_offline_from_the_repository(monkeypatch, fresh_cache):
    monkeypatch.delenv(loader.MODEL_ENV, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pipeline = nlp.load_pipeline()
    assert loader.SHIPPED_PIPELINE.is_relative_to(loader.PACKAGE_DIR)
    assert pipeline.lang == "nl"
    assert {"morphologizer", "parser", "trainable_lemmatizer"} <= set(pipeline.pipe_names)
    assert pipeline.meta["license"] == "CC BY-SA 4.0"
    assert any("Alpino" in source["name"] for source in pipeline.meta["sources"])
    doc = pipeline("Zij werkte gisteren in de bibliotheek. Daarna fietste ze naar huis.")
    assert [t.pos_ for t in doc][:2] == ["PRON", "VERB"]
    assert doc[1].lemma_ == "werken"
    assert len(list(doc.sents)) == 2


def test_pipeline_is_loaded_once_per_process(fresh_cache):
    assert nlp.load_pipeline() is nlp.load_pipeline()


def test_shipped_pipeline_is_small_and_has_no_training_leftovers():
    files = [p for p in loader.SHIPPED_PIPELINE.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 25_000_000
    assert not any(p.name.startswith("model-") for p in loader.SHIPPED_PIPELINE.rglob("*"))


def test_any_installed_spacy_pipeline_can_be_configured(tmp_path, monkeypatch, fresh_cache):
    # A pipeline without tagger, parser or lemmatizer: the worst case for our code.
    other = spacy.blank("nl")
    other.add_pipe("sentencizer")
    other.meta["name"] = "other_test"
    other.to_disk(tmp_path / "other")
    monkeypatch.setenv(loader.MODEL_ENV, str(tmp_path / "other"))
    assert nlp.load_pipeline().meta["name"] == "other_test"
    assert nlp.redact("Mail piet@example.nl of bel 0612345678") == "Mail [E-MAIL] of bel [TELEFOON]"
    assert nlp.redact("Groeten, Henk") == "Groeten, [NAAM]"
    [result] = nlp.analyse(["Meer groene daken in het Stadshart"])
    assert "daken" in result.lemmas and result.language == "nl"


def test_unknown_pipeline_name_gives_a_clear_error(monkeypatch, fresh_cache):
    monkeypatch.setenv(loader.MODEL_ENV, "nl_does_not_exist_sm")
    with pytest.raises(nlp.PipelineNotFound, match="nl_does_not_exist_sm"):
        nlp.load_pipeline()


def test_meta_reports_alpino_scores():
    meta = json.loads((loader.SHIPPED_PIPELINE / "meta.json").read_text())
    scores = meta["performance"]["alpino_test"]
    assert scores["pos_acc"] > 90 and scores["lemma_acc"] > 88 and scores["dep_las"] > 68
