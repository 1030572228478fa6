"""Every declaration's vectors centred on the corpus mean, and the scan that picks candidates.

e5 vectors of documents in one domain share a large common direction: raw cosines all sit near
0.9, centred ones spread out. From ``PROJECTED_FROM`` declarations on, the scan reads a projection
instead of the three vector sets (see the package docstring).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ...vectors import database_path, load_index, top_indices
from .model import VECTOR_KINDS, WEIGHTS

SCAN_DIMS = 128
PROJECTED_FROM = 20_000  # declarations; below this the exact scan costs about as little
PROJECTION_SAMPLE = 8_000  # declarations whose vectors give the principal directions
POOL = 4  # the projected scan picks this many times the candidates; exact cosines keep the best


@dataclass
class Profiles:
    ids: list[str]
    pos: dict[str, int]
    vectors: dict[str, np.ndarray]  # feature → (n, d) centred, normalised; zero rows where missing
    means: dict[str, np.ndarray]
    version: tuple
    basis: dict[str, np.ndarray] = field(default_factory=dict)  # feature → (d, SCAN_DIMS), weights folded in
    projected: np.ndarray | None = None  # (n, SCAN_DIMS): the declarations in the scan's reduced space

    def scores(self, q: dict[str, np.ndarray | None], idx: np.ndarray | None = None) -> np.ndarray:
        """Weighted cosines of a query's centred vectors with every declaration's (or those at ``idx``)."""
        out = np.zeros(len(self.ids) if idx is None else len(idx), dtype=np.float32)
        for feature, m in self.vectors.items():
            v = q.get(feature)
            if v is not None and WEIGHTS.get(feature):
                out += WEIGHTS[feature] * ((m if idx is None else m[idx]) @ v)
        return out

    def nearest(self, q: dict[str, np.ndarray | None], k: int) -> list[str]:
        """The ``k`` declarations with the highest weighted cosines, best first."""
        n = len(self.ids)
        if self.projected is not None and POOL * k < n:
            reduced = np.zeros(self.projected.shape[1], dtype=np.float32)
            for feature, b in self.basis.items():
                if q.get(feature) is not None:
                    reduced += q[feature] @ b
            pool = top_indices(self.projected @ reduced, POOL * k)
            return [self.ids[i] for i in pool[top_indices(self.scores(q, pool), k)]]
        return [self.ids[i] for i in top_indices(self.scores(q), k)]

    def project(self, seed: int = 0) -> None:
        """The principal directions of the weighted, concatenated vectors (from a sample), and every
        declaration in them."""
        features = [f for f in self.vectors if WEIGHTS.get(f)]
        n = len(self.ids)
        if not features or n < PROJECTED_FROM:
            return
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, size=min(n, PROJECTION_SAMPLE), replace=False))
        block = np.hstack([WEIGHTS[f] * self.vectors[f][sample] for f in features])
        _, vecs = np.linalg.eigh(block.T @ block)
        top = np.ascontiguousarray(vecs[:, ::-1][:, :SCAN_DIMS], dtype=np.float32)  # (sum of d, SCAN_DIMS)
        basis, start = {}, 0
        projected = np.zeros((n, top.shape[1]), dtype=np.float32)
        for f in features:
            d = self.vectors[f].shape[1]
            basis[f] = (WEIGHTS[f] * top[start:start + d]).astype(np.float32)
            projected += self.vectors[f] @ basis[f]
            start += d
        self.basis, self.projected = basis, projected

    def centre(self, vector: np.ndarray | None, feature: str) -> np.ndarray | None:
        if vector is None or feature not in self.means:
            return None
        v = vector - self.means[feature]
        n = float(np.linalg.norm(v))
        return (v / n).astype(np.float32) if n else None

    def row(self, feature: str, decl_id: str) -> np.ndarray | None:
        k = self.pos.get(decl_id)
        m = self.vectors.get(feature)
        if k is None or m is None or not m[k].any():
            return None
        return m[k]


_profiles: dict[tuple, Profiles] = {}
_lock = threading.Lock()


def load_profiles(db, model: str) -> Profiles:
    """The centred vectors of every declaration, cached until the vectors change."""
    indexes = {f: load_index(db, model, kind) for f, kind in VECTOR_KINDS.items()}
    version = tuple((i.version, len(i.ids)) for i in indexes.values())
    key = (database_path(db), model)
    cached = _profiles.get(key)
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        ids = list(indexes["summary"].ids)
        pos = {d: k for k, d in enumerate(ids)}
        vectors, means = {}, {}
        for feature, index in indexes.items():
            if not index.ids or not ids:
                continue
            m = np.zeros((len(ids), index.matrix.shape[1]), dtype=np.float32)
            present = [(pos[d], k) for k, d in enumerate(index.declaration_ids) if d in pos]
            if not present:
                continue
            dest, src = (list(x) for x in zip(*present))
            block = index.matrix[src]
            mean = block.mean(axis=0)
            block = block - mean
            norms = np.linalg.norm(block, axis=1, keepdims=True)
            norms[norms == 0] = 1
            m[dest] = block / norms
            vectors[feature], means[feature] = m, mean.astype(np.float32)
        prof = Profiles(ids, pos, vectors, means, version)
        prof.project()
        _profiles[key] = prof
    return prof

