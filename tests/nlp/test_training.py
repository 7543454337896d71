"""The treebank converter: CoNLL-U in, spaCy training docs out."""

from spacy.tokens import DocBin
from spacy.lang.nl import Dutch

from nlp.training.convert import adapt_v2, read_sentences, to_docs

SAMPLE = """# sent_id = 1
1\tJan\tJan\tPROPN\t_\t_\t2\tnsubj\t_\t_
2\tloopt\tlopen\tVERB\t_\tNumber=Sing|Tense=Pres|VerbForm=Fin\t0\troot\t_\t_
3\tVan\tvan\tPROPN\t_\t_\t2\tobj\t_\t_
4\tDam\tDam\tPROPN\t_\t_\t3\tflat:name\t_\tSpaceAfter=No
5\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_

# sent_id = 2
1\tKloosterorden\tklooster_orde\tNOUN\t_\tNumber=Plur\t0\troot\t_\t_
"""


def test_conversion_keeps_annotation_and_sentence_boundaries(tmp_path):
    path = tmp_path / "sample.conllu"
    path.write_text(SAMPLE, encoding="utf-8")
    sentences = read_sentences(path)
    assert len(sentences) == 2
    [doc] = to_docs(sentences)
    assert [t.lemma_ for t in doc] == ["Jan", "lopen", "van", "Dam", ".", "klooster_orde"]
    assert [t.is_sent_start for t in doc][5] is True
    assert doc[1].morph.get("Tense") == ["Pres"]
    DocBin(docs=[doc]).to_disk(tmp_path / "out.spacy")
    assert len(list(DocBin().from_disk(tmp_path / "out.spacy").get_docs(Dutch().vocab))) == 1


def test_v2_adaptation_drops_lemmas_and_renames_flat_name(tmp_path):
    path = tmp_path / "sample.conllu"
    path.write_text(SAMPLE, encoding="utf-8")
    [doc] = adapt_v2(to_docs(read_sentences(path)))
    assert all(t.lemma_ == "" for t in doc)
    assert doc[3].dep_ == "flat"
    assert doc[1].pos_ == "VERB" and doc[0].head.i == 1
