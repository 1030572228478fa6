"""The vectors of declarations, of their policy basis and of their indicators: what is embedded,
how vectors are stored, and an in-memory matrix for exact search.

Each distinct text is embedded and stored once per model, in ``vectors`` (as two levels of int8:
the first is what search scans, both together hold the vector to float32's scores within about
1e-6; ``quantized.py``); the embedded items, in
``embeddings`` keyed by (item_id, model) with an md5 of their text, refer to it, so only new or
changed items are embedded again, and a text already embedded for another item is not embedded
twice. Search scans the int8 copies in memory and rescores the best exactly (``quantized.py``).

Functions that only read take any connection-like object with ``execute`` (a sqlite3 connection
or a sqlite-utils Database).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

import numpy as np
from sqlite_utils import Database

from .embedders import Embedder
from .quantized import VectorIndex, database_path, encode_stored, load_index, top_indices  # noqa: F401 - the index's home

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


def save_vectors(db: Database, model: str, keyed: dict[bytes, np.ndarray]) -> dict[bytes, int]:
    """Store vectors by content hash (one row per distinct text and model, as two levels of int8:
    quantized.encode_stored); returns each hash's vector id. A hash stored before keeps its vector."""
    ids = known_vectors(db, model, list(keyed))
    new = [h for h in keyed if h not in ids]
    if new:
        stored = encode_stored(np.stack([np.asarray(keyed[h], dtype=np.float32) for h in new]))
        for h, row in zip(new, stored):
            ids[h] = db.execute("insert into vectors (model, content_hash, codes, scale, fine, fine_scale, residual)"
                                " values (?, ?, ?, ?, ?, ?, ?)", [model, h, *row]).lastrowid
    return ids


def known_vectors(db, model: str, hashes: list[bytes]) -> dict[bytes, int]:
    """The ids of the vectors stored for these content hashes (those that have one)."""
    out: dict[bytes, int] = {}
    for start in range(0, len(hashes), 500):
        chunk = hashes[start:start + 500]
        out.update((bytes(h), i) for h, i in db.execute(
            f"select content_hash, id from vectors where model = ? and content_hash in ({','.join('?' * len(chunk))})",
            [model, *chunk]))
    return out


ITEM_SQL = ("insert or replace into embeddings (item_id, kind, model, declaration_id, content_hash, vector_id, updated)"
            " values (?, ?, ?, ?, ?, ?, ?)")


def drop_unused_vectors(db: Database, model: str | None = None) -> int:
    """Delete the vectors no item refers to any more; returns how many."""
    where = "model = ? and " if model else ""
    cur = db.execute(f"delete from vectors where {where}not exists (select 1 from embeddings e where e.vector_id = vectors.id)",
                     [model] if model else [])
    return cur.rowcount


def embed_pending(db: Database, embedder: Embedder, batch_size: int = 64, dry_run: bool = False,
                  progress: Callable[[int], None] | None = None,
                  encode: Callable[[list[str], int], Iterator[dict[str, np.ndarray]]] | None = None) -> int:
    """Embed items that are new or whose text changed for this model; drop vectors of deleted items.

    Each distinct text is embedded and stored once (``vectors``); the items refer to it. A text
    already stored (for another item, or before) is not embedded again.

    :param encode: ``encode(keys, batch_size)`` yields the vectors of the keys batch by batch, in
        order (a cluster's workers); by default the embedder here.

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

    def rows(text: str, vector_id: int):
        for it in by_text[text]:
            yield (it.id, it.kind, model, it.declaration_id, content_hash(text), vector_id, stamp)

    # texts stored before (for other items): refer to their vectors
    known = known_vectors(db, model, [content_hash(t) for t in texts])
    todo = [t for t in texts if content_hash(t) not in known]
    done = [t for t in texts if content_hash(t) in known]
    for start in range(0, len(done), 500):
        chunk = done[start:start + 500]
        with db.atomic():
            db.conn.executemany(ITEM_SQL, [r for t in chunk for r in rows(t, known[content_hash(t)])])
        if progress:
            progress(sum(len(by_text[t]) for t in chunk))
    batches = encode(todo, batch_size) if encode is not None else embed_texts(embedder, todo, batch_size)
    for batch in batches:
        with db.atomic():
            ids = save_vectors(db, model, {content_hash(t): v for t, v in batch.items()})
            db.conn.executemany(ITEM_SQL, [r for t in batch for r in rows(t, ids[content_hash(t)])])
        if progress:
            progress(sum(len(by_text[t]) for t in batch))
    if stale or pending:
        with db.atomic():
            drop_unused_vectors(db, model)
    return len(pending)


def embed_texts(embedder: Embedder, keys: list[str], batch_size: int = 64) -> Iterator[dict[str, np.ndarray]]:
    """Vectors of item keys (texts, those of symmetric kinds marked with their prompt role), batch by batch."""
    it = iter(keys)
    while batch := list(islice(it, batch_size)):
        yield encode_keys(embedder, batch)


def encode_keys(embedder: Embedder, batch: list[str]) -> dict[str, np.ndarray]:
    """One batch of keys: each role encoded with its own prompt."""
    passages = [k for k in batch if not k.startswith(QUERY_ROLE)]
    queries = [k for k in batch if k.startswith(QUERY_ROLE)]
    vecs_by_key: dict[str, np.ndarray] = {}
    if passages:
        vecs_by_key.update(zip(passages, embedder.embed_documents(passages)))
    if queries:
        vecs_by_key.update(zip(queries, embedder.embed_symmetric([k[len(QUERY_ROLE):] for k in queries])))
    return {k: vecs_by_key[k] for k in batch}
