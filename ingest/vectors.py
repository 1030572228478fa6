"""The vectors of declarations, of their policy basis and of their indicators: what is embedded,
how vectors are stored, and an in-memory matrix for exact search.

Vectors live in the ``embeddings`` table as little-endian float32 blobs (llm's format), keyed by
(item_id, model) with an md5 of the embedded text, so only new or changed items are embedded
again, and a text already embedded for another item is not embedded twice. Search is an exact
scan over a numpy matrix held in memory: at 100k x 384 that reads about 150 MB, the hardware
floor for exact search; the matrix is cached per database and model and reloaded when the table
changes (a counter kept by triggers, migration m005).

Functions that only read take any connection-like object with ``execute`` (a sqlite3 connection
or a sqlite-utils Database).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

import numpy as np
from sqlite_utils import Database

from .embedders import Embedder

KINDS = ("declaration", "basis", "indicator", "name", "indicator_names")
# kinds compared with each other (similar projects) rather than searched with a query: embedded
# with the model's query prompt on both sides, as e5 asks for symmetric tasks
SYMMETRIC = ("name", "indicator_names")
QUERY_ROLE = "\x00query\x00"  # marks a key embedded with the query prompt (never in a form's text)


def item_id(kind: str, declaration_id: str, seq: int | None = None) -> str:
    """The id of an embedded item: a declaration's own id, ``<id>:basis``, ``<id>:name``,
    ``<id>:indicator_names`` or an indicator's id ``<id>:<seq>``."""
    if kind == "declaration":
        return declaration_id
    if kind in ("basis", "name", "indicator_names"):
        return f"{declaration_id}:{kind}"
    return f"{declaration_id}:{seq}"


def declaration_of(item: str) -> str:
    return item.split(":", 1)[0]


def encode(vector) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def decode(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def content_hash(text: str) -> bytes:
    return hashlib.md5(text.encode("utf-8")).digest()


@dataclass
class Item:
    id: str
    kind: str
    declaration_id: str
    text: str

    @property
    def key(self) -> str:
        """What the vector is of: the text, with the prompt role for symmetric kinds."""
        return QUERY_ROLE + self.text if self.kind in SYMMETRIC else self.text


def declaration_text(name, overview, goal_period, necessity) -> str:
    return "。".join(x for x in (name, overview, goal_period, necessity) if x)[:1200]


def iter_items(db) -> Iterator[Item]:
    """Everything that gets a vector, with the text embedded for it."""
    for d_id, name, overview, goal, necessity, basis in db.execute(
            "select id, name, overview, goal_period, necessity, basis from declarations order by id").fetchall():
        yield Item(d_id, "declaration", d_id, declaration_text(name, overview, goal, necessity))
        titles = [r[0] for r in db.execute(
            "select coalesce(p.title, p.doc_number) from declaration_policies dp join policies p"
            " on p.id = dp.policy_id where dp.declaration_id = ?", [d_id]).fetchall()]
        text = "。".join(x for x in (name, basis, "；".join(titles)) if x)[:1200]
        yield Item(item_id("basis", d_id), "basis", d_id, text)
        if name:
            yield Item(item_id("name", d_id), "name", d_id, name[:200])
    for d_id, names in db.execute(
            "select declaration_id, group_concat(name, '；') from (select declaration_id, name from indicators"
            " where name is not null group by declaration_id, name_norm order by declaration_id, min(seq))"
            " group by declaration_id").fetchall():
        yield Item(item_id("indicator_names", d_id), "indicator_names", d_id, names[:500])
    for i_id, d_id, level2, name, value in db.execute(
            "select id, declaration_id, level2, name, value from indicators order by declaration_id, seq").fetchall():
        yield Item(i_id, "indicator", d_id, " ".join(x for x in (level2, name, value) if x))


def embed_pending(db: Database, embedder: Embedder, batch_size: int = 64, dry_run: bool = False,
                  progress: Callable[[int], None] | None = None) -> int:
    """Embed items that are new or whose text changed for this model; drop vectors of deleted items.

    Each distinct text is embedded once: items sharing a text (the same indicator in many
    declarations) and texts already embedded for another item reuse that vector.

    :returns: how many items were (or, with ``dry_run``, would be) given a vector.
    """
    from .store import now

    model = embedder.model_id
    have = {r[0]: r[1] for r in db.execute(
        f"select item_id, content_hash from embeddings where model = ? and kind in ({','.join('?' * len(KINDS))})",
        [model, *KINDS])}
    items = list(iter_items(db))
    pending = [it for it in items if have.get(it.id) != content_hash(it.key)]
    if dry_run:
        return len(pending)
    live = {it.id for it in items}
    stale = [k for k in have if k not in live]
    with db.atomic():
        db.execute(f"delete from embeddings where model = ? and kind not in ({','.join('?' * len(KINDS))})",
                   [model, *KINDS])  # kinds no longer made
        for start in range(0, len(stale), 500):
            chunk = stale[start:start + 500]
            db.execute(f"delete from embeddings where model = ? and item_id in ({','.join('?' * len(chunk))})",
                       [model, *chunk])
    by_text: dict[str, list[Item]] = {}  # by key: the text, with its prompt role
    for it in pending:
        by_text.setdefault(it.key, []).append(it)
    # similar lengths in one batch: less padding (the model's own encode sorts the same way)
    texts = sorted(by_text, key=len)
    stamp = now()

    def rows(text: str, vector_blob: bytes):
        for it in by_text[text]:
            yield (it.id, it.kind, model, it.declaration_id, content_hash(text), vector_blob, stamp)

    sql = ("insert or replace into embeddings (item_id, kind, model, declaration_id, content_hash, embedding, updated)"
           " values (?, ?, ?, ?, ?, ?, ?)")
    # texts embedded before for other items: copy their vectors
    todo = []
    for text in texts:
        known = db.execute("select embedding from embeddings where model = ? and content_hash = ? limit 1",
                           [model, content_hash(text)]).fetchone()
        if known is None:
            todo.append(text)
            continue
        with db.atomic():
            db.conn.executemany(sql, list(rows(text, known[0])))
        if progress:
            progress(len(by_text[text]))
    it = iter(todo)
    while batch := list(islice(it, batch_size)):
        # a batch may hold both roles: each is encoded with its own prompt
        passages = [k for k in batch if not k.startswith(QUERY_ROLE)]
        queries = [k for k in batch if k.startswith(QUERY_ROLE)]
        vecs_by_key = {}
        if passages:
            vecs_by_key.update(zip(passages, embedder.embed_documents(passages)))
        if queries:
            vecs_by_key.update(zip(queries, embedder.embed_symmetric([k[len(QUERY_ROLE):] for k in queries])))
        vecs = [vecs_by_key[k] for k in batch]
        with db.atomic():
            db.conn.executemany(sql, [r for text, v in zip(batch, vecs) for r in rows(text, encode(v))])
        if progress:
            progress(sum(len(by_text[t]) for t in batch))
    return len(pending)


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
        idx = top_indices(scores, k + (len(exclude) if exclude else 0))
        out = [(self.ids[i], float(scores[i])) for i in idx if not exclude or self.ids[i] not in exclude]
        return out[:k]

    def vector(self, item: str) -> np.ndarray | None:
        pos = self._positions().get(item)
        return None if pos is None else self.matrix[pos]

    def _positions(self) -> dict[str, int]:
        if not hasattr(self, "_pos"):
            self._pos = {item: i for i, item in enumerate(self.ids)}
        return self._pos


def top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, best first (ties in position order)."""
    n = len(scores)
    k = min(k, n)
    idx = np.argpartition(-scores, k - 1)[:k] if 0 < k < n else np.arange(n if k else 0)
    return idx[np.argsort(-scores[idx], kind="stable")]


_index_cache: dict[tuple, VectorIndex] = {}
_index_lock = threading.Lock()


def _version(db, model: str, kind: str) -> tuple:
    """Changes whenever the embeddings table changes (a trigger bumps kb_state; see migration m005)."""
    row = db.execute("select value from kb_state where key = 'embeddings_version'").fetchone()
    return ("counter", row[0] if row else None)


def database_path(db) -> str:
    return str(db.execute("pragma database_list").fetchone()[2])


def load_index(db, model: str, kind: str) -> VectorIndex:
    """The vectors of one kind as a matrix, cached until the embeddings table changes."""
    key = (database_path(db), model, kind)
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
