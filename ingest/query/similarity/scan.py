"""Every declaration's centred vectors (``query.centred``: int8 in memory, exact ones read for the
candidates) and the scan that picks candidates.

e5 vectors of documents in one domain share a large common direction: raw cosines all sit near
0.9, centred ones spread out. From ``PROJECTED_FROM`` declarations on, the scan reads a projection
instead of the three vector sets (see the package docstring).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ... import quantized
from ...vectors import database_path, load_index, top_indices
from ..centred import Centred, centred
from .model import VECTOR_KINDS, WEIGHTS

SCAN_DIMS = 128
PROJECTED_FROM = 20_000  # declarations; below this the exact scan costs about as little
PROJECTION_SAMPLE = 8_000  # declarations whose vectors give the principal directions
POOL = 4  # the projected scan picks this many times the candidates; exact cosines keep the best


@dataclass
class Profiles:
    ids: list[str]
    pos: dict[str, int]
    vectors: dict[str, Centred]  # feature → every declaration's centred vector (int8; zero where missing)
    version: tuple
    basis: dict[str, np.ndarray] = field(default_factory=dict)  # feature → (d, SCAN_DIMS), weights folded in
    projected: np.ndarray | None = None  # (n, SCAN_DIMS) int8: the declarations in the scan's reduced space
    projected_scales: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.vectors.values()) + (
            self.projected.nbytes + self.projected_scales.nbytes if self.projected is not None else 0)

    def scores(self, q: dict[str, np.ndarray | None], idx: np.ndarray | None = None) -> np.ndarray:
        """Weighted cosines of a query's centred vectors with every declaration's (or those at ``idx``)."""
        out = np.zeros(len(self.ids) if idx is None else len(idx), dtype=np.float32)
        for feature, c in self.vectors.items():
            v = q.get(feature)
            if v is not None and WEIGHTS.get(feature):
                out += WEIGHTS[feature] * c.dot(v, idx)
        return out

    def nearest(self, q: dict[str, np.ndarray | None], k: int) -> list[str]:
        """The ``k`` declarations with the highest weighted cosines, best first."""
        n = len(self.ids)
        if self.projected is not None and POOL * k < n:
            reduced = np.zeros(self.projected.shape[1], dtype=np.float32)
            for feature, b in self.basis.items():
                if q.get(feature) is not None:
                    reduced += q[feature] @ b
            pool = top_indices(quantized.dot_codes(self.projected, self.projected_scales, reduced), POOL * k)
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
        block = np.hstack([WEIGHTS[f] * self.vectors[f].dense(sample) for f in features])
        _, vecs = np.linalg.eigh(block.T @ block)
        top = np.ascontiguousarray(vecs[:, ::-1][:, :SCAN_DIMS], dtype=np.float32)  # (sum of d, SCAN_DIMS)
        basis, start = {}, 0
        for f in features:
            d = self.vectors[f].codes.shape[1]
            basis[f] = (WEIGHTS[f] * top[start:start + d]).astype(np.float32)
            start += d
        projected = np.zeros((n, top.shape[1]), dtype=np.int8)
        scales = np.zeros(n, dtype=np.float32)
        for lo in range(0, n, 8192):
            rows = np.arange(lo, min(n, lo + 8192))
            block = sum(self.vectors[f].dense(rows) @ basis[f] for f in features)
            projected[rows], scales[rows], _ = quantized.quantize_rows(block)
        self.basis, self.projected, self.projected_scales = basis, projected, scales

    def centre(self, vector: np.ndarray | None, feature: str) -> np.ndarray | None:
        c = self.vectors.get(feature)
        return None if c is None else c.centre(vector)

    def exact(self, db, ids: list[str]) -> dict[str, dict[str, np.ndarray | None]]:
        """The exact centred vectors of these declarations (feature → vector or None), read from the
        stored float32 vectors: what the signals of the candidates are computed from."""
        rows = [self.pos[d] for d in ids if d in self.pos]
        known = [d for d in ids if d in self.pos]
        out = {d: dict.fromkeys(VECTOR_KINDS) for d in ids}
        for feature, c in self.vectors.items():
            for d, v in zip(known, c.exact(db, rows)):
                out[d][feature] = v
        return out


_profiles: dict[tuple, Profiles] = {}
_lock = threading.Lock()


def load_profiles(db, model: str) -> Profiles:
    """The centred vectors of every declaration, cached until the vectors change."""
    version = (quantized.version(db), model)
    key = (database_path(db), model)
    cached = _profiles.get(key)
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        summary = load_index(db, model, VECTOR_KINDS["summary"])  # semantic search holds this one anyway
        ids = list(summary.ids)
        pos = {d: k for k, d in enumerate(ids)}
        vectors = {}
        for feature, kind in VECTOR_KINDS.items():
            index = summary if kind == VECTOR_KINDS["summary"] else load_index(db, model, kind, cache=False)
            c = centred(index, pos, len(ids)) if ids else None
            if c is not None:
                vectors[feature] = c
        prof = Profiles(ids, pos, vectors, version)
        prof.project()
        _profiles[key] = prof
    return prof
