"""The in-memory vector index: int8 copies of the stored vectors, scanned for candidates, whose best
are rescored with the stored vectors read from the database (two levels of int8: float32's
scores to about 1e-6, :func:`encode_stored`).

Each distinct vector is held once (items sharing a text share its row), as int8 codes with one
scale per vector: a quarter of float32's bytes, and a scan reads a quarter as much memory. The
scan's score of a vector differs from its full score by at most the vector's ``residual`` (the
length of what rounding lost) times the query's length, so :meth:`VectorIndex.top` rescores its
candidates in full and then every vector whose scan score plus that bound could still reach the
results: the results and their scores are those of a full scan of the stored vectors.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

BLOCK = 1024  # int8 rows widened to float32 at a time: the block stays in the CPU's cache
RESCORE = 2  # candidates rescored exactly at first, per result wanted
RESCORE_MIN = 32


def quantize_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """int8 codes of vectors (rows), one scale per row (its largest component over 127), and the
    length of what rounding lost: ``|v·q - scale·(codes·q)| <= residual·|q|`` for any ``q``."""
    v = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    peak = np.abs(v).max(axis=1) if v.size else np.zeros(len(v), dtype=np.float32)
    scales = np.where(peak > 0, peak / 127, 1.0).astype(np.float32)
    codes = np.clip(np.rint(v / scales[:, None]), -127, 127).astype(np.int8)
    residual = np.linalg.norm(v - scales[:, None] * codes.astype(np.float32), axis=1).astype(np.float32)
    return codes, scales, residual


def dot_codes(codes: np.ndarray, scales: np.ndarray, vector: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """``scale · (codes · vector)`` of every row (or those at ``rows``), widening a block at a time."""
    q = np.asarray(vector, dtype=np.float32)
    if rows is not None:
        return codes[rows].astype(np.float32) @ q * scales[rows]
    n = len(codes)
    out = np.empty(n, dtype=np.float32)
    buf = np.empty((min(BLOCK, n), codes.shape[1] if codes.ndim == 2 else 0), dtype=np.float32)
    for start in range(0, n, BLOCK):
        block = codes[start:start + BLOCK]
        wide = buf[:len(block)]
        np.copyto(wide, block, casting="unsafe")
        np.dot(wide, q, out=out[start:start + len(block)])
    out *= scales
    return out


def top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, best first (ties in position order)."""
    n = len(scores)
    k = min(k, n)
    idx = np.argpartition(-scores, k - 1)[:k] if 0 < k < n else np.arange(n if k else 0)
    return idx[np.lexsort((idx, -scores[idx]))]


def encode_stored(vectors: np.ndarray) -> list[tuple[bytes, float, bytes, float, float]]:
    """What is stored of each vector (row): its int8 codes and scale, the int8 codes and scale of
    what they lost (a second level), and the first level's rounding bound. Two levels of int8 hold
    a vector to about 1/64,000 of its largest component: scores from them differ from float32's by
    about 1e-6, below what the model's own bfloat16 arithmetic moves them (bench/README.md)."""
    v = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    codes, scales, residual = quantize_rows(v)
    fine, fine_scales, _ = quantize_rows(v - scales[:, None] * codes.astype(np.float32))
    return [(c.tobytes(), float(s), f.tobytes(), float(fs), float(r))
            for c, s, f, fs, r in zip(codes, scales, fine, fine_scales, residual)]


def decode_stored(codes: bytes, scale: float, fine: bytes, fine_scale: float) -> np.ndarray:
    """A stored vector back as float32 (both levels)."""
    return (np.float32(scale) * np.frombuffer(codes, dtype=np.int8).astype(np.float32)
            + np.float32(fine_scale) * np.frombuffer(fine, dtype=np.int8).astype(np.float32))


STORED = "codes, scale, fine, fine_scale"  # the columns decode_stored reads, in its order


def read_exact(db, vector_ids) -> np.ndarray:
    """The stored vectors of these ids (both levels), in their order."""
    ids = [int(i) for i in vector_ids]
    found: dict[int, tuple] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update((r[0], r[1:]) for r in db.execute(
            f"select id, {STORED} from vectors where id in ({','.join('?' * len(chunk))})", chunk))
    if not ids:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([decode_stored(*found[i]) for i in ids])


@dataclass
class VectorIndex:
    ids: list[str]  # items, in id order
    declaration_ids: list[str]
    rows: np.ndarray  # (items,) each item's row in codes
    vector_ids: np.ndarray  # (vectors,) the stored vector of each row
    codes: np.ndarray  # (vectors, dim) int8
    scales: np.ndarray  # (vectors,) float32
    residual: np.ndarray  # (vectors,) float32
    version: tuple
    last_rescored: int = 0  # vectors read exactly by the last top() (for the benchmark)
    _items: tuple | None = field(default=None, repr=False)

    @property
    def dim(self) -> int:
        return int(self.codes.shape[1]) if self.codes.ndim == 2 and len(self.codes) else 0

    @property
    def nbytes(self) -> int:
        """Bytes of vector data held (codes, scales, bounds and the item → row map)."""
        return int(self.codes.nbytes + self.scales.nbytes + self.residual.nbytes + self.rows.nbytes
                   + self.vector_ids.nbytes)

    def approx(self, vector: np.ndarray) -> np.ndarray:
        """The scan: every vector's int8 score against ``vector``."""
        return dot_codes(self.codes, self.scales, vector)

    def dequantized(self, positions: np.ndarray | None = None) -> np.ndarray:
        """float32 approximations of the items' vectors (all, or at these item positions)."""
        rows = self.rows if positions is None else self.rows[positions]
        return self.codes[rows].astype(np.float32) * self.scales[rows, None]

    def exact(self, db, positions: np.ndarray | None = None) -> np.ndarray:
        """The exact stored vectors of the items (all, or at these item positions)."""
        rows = self.rows if positions is None else self.rows[np.asarray(positions, dtype=np.int64)]
        unique, back = np.unique(rows, return_inverse=True)
        return read_exact(db, self.vector_ids[unique])[back] if len(unique) else np.zeros((0, self.dim), np.float32)

    def _members(self) -> tuple[np.ndarray, np.ndarray]:
        """Item positions grouped by row (in position order), and where each row's group starts."""
        if self._items is None:
            order = np.argsort(self.rows, kind="stable")
            starts = np.searchsorted(self.rows[order], np.arange(len(self.codes) + 1))
            self._items = (order, starts)
        return self._items

    def top(self, vector: np.ndarray, k: int, exclude: set[str] | None = None, db=None) -> list[tuple[str, float]]:
        """The ``k`` items most similar to ``vector`` (unit length) with their cosines, best first
        (ties in item order). With ``db`` the scores are the exact ones and so is the ranking;
        without it, the int8 scan's."""
        if not self.ids or k <= 0:
            return []
        q = np.asarray(vector, dtype=np.float32)
        approx = self.approx(q)
        if db is None:
            return self._expand(approx, top_indices(approx, k + len(exclude or ())), k, exclude)
        bound = self.residual * float(np.linalg.norm(q)) + 1e-6
        m = len(approx)
        scores = np.full(m, -np.inf, dtype=np.float32)
        done = np.zeros(m, dtype=bool)
        todo = top_indices(approx, min(m, max(RESCORE_MIN, RESCORE * (k + len(exclude or ())))))
        self.last_rescored = 0
        while len(todo):
            scores[todo] = read_exact(db, self.vector_ids[todo]) @ q
            done[todo] = True
            self.last_rescored += len(todo)
            found = self._expand(scores, top_indices(scores, int(done.sum())), k, exclude)
            if len(found) >= k:  # every vector the scan's bound says could still reach the k-th
                reach = approx + bound
                reach[done] = -np.inf
                todo = np.flatnonzero(reach >= found[-1][1])
            else:  # too few (items excluded): the next best by the scan
                todo = np.flatnonzero(~done)
                todo = todo[top_indices(approx[todo], max(RESCORE_MIN, 2 * int(done.sum())))]
        return found

    def _expand(self, scores: np.ndarray, rows: np.ndarray, k: int, exclude: set[str] | None) -> list[tuple[str, float]]:
        """Items of the given rows (best first), ordered by score and then item position."""
        order, starts = self._members()
        pairs = []
        for r in rows:
            s = float(scores[r])
            if s == -np.inf:
                continue
            for pos in order[starts[r]:starts[r + 1]]:
                if not exclude or self.ids[pos] not in exclude:
                    pairs.append((-s, int(pos)))
        pairs.sort()
        return [(self.ids[pos], -neg) for neg, pos in pairs[:k]]

    def vector(self, item: str, db=None) -> np.ndarray | None:
        pos = self._positions().get(item)
        if pos is None:
            return None
        return self.exact(db, np.array([pos]))[0] if db is not None else self.dequantized(np.array([pos]))[0]

    def _positions(self) -> dict[str, int]:
        if not hasattr(self, "_pos"):
            self._pos = {item: i for i, item in enumerate(self.ids)}
        return self._pos


_index_cache: dict[tuple, VectorIndex] = {}
_index_lock = threading.Lock()


def version(db) -> tuple:
    """Changes whenever the stored vectors change (triggers bump kb_state; migrations m005, m020)."""
    row = db.execute("select value from kb_state where key = 'embeddings_version'").fetchone()
    return ("counter", row[0] if row else None)


def database_path(db) -> str:
    return str(db.execute("pragma database_list").fetchone()[2])


def load_index(db, model: str, kind: str, cache: bool = True) -> VectorIndex:
    """The vectors of one kind, cached until the stored vectors change (``cache=False``: read again
    and not kept, for a caller that keeps what it derives from them)."""
    key = (database_path(db), model, kind)
    current = version(db)
    cached = _index_cache.get(key) if cache else None
    if cached is not None and cached.version == current:
        return cached
    with _index_lock:
        items = db.execute("select item_id, declaration_id, vector_id from embeddings where model = ? and kind = ?"
                           " order by item_id", [model, kind]).fetchall()
        vector_of = np.fromiter((r[2] for r in items), dtype=np.int64, count=len(items))
        unique = np.unique(vector_of)
        stored = db.execute(
            "select id, codes, scale, residual from vectors where id in"
            " (select vector_id from embeddings where model = ? and kind = ?) order by id", [model, kind]).fetchall()
        if len(stored) != len(unique):  # an item whose vector is missing: left out
            have = np.fromiter((r[0] for r in stored), dtype=np.int64, count=len(stored))
            keep = np.isin(vector_of, have)
            items = [r for r, ok in zip(items, keep) if ok]
            vector_of, unique = vector_of[keep], have
        if stored:
            codes = np.frombuffer(b"".join(r[1] for r in stored), dtype=np.int8).reshape(len(stored), -1).copy()
        else:
            codes = np.zeros((0, 0), dtype=np.int8)
        index = VectorIndex(
            [r[0] for r in items], [r[1] for r in items], np.searchsorted(unique, vector_of).astype(np.int32),
            unique.astype(np.int32) if not len(unique) or unique.max() < 2**31 else unique, codes, np.array([r[2] for r in stored], dtype=np.float32),
            np.array([r[3] for r in stored], dtype=np.float32), current)
        if cache:
            _index_cache[key] = index
    return index
