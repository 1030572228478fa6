"""Centred vectors of every declaration, as similar projects compare them: one feature's vectors
(name, summary or indicator names) minus their mean over the corpus, normalised, held as int8 (a
quarter of float32's memory) for the candidate scan; the candidates' exact centred vectors come
from the stored float32 vectors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..quantized import VectorIndex, dot_codes, quantize_rows, read_exact

BLOCK = 8192  # declarations centred at a time (a float32 copy of all of them would double the memory)


@dataclass
class Centred:
    codes: np.ndarray  # (n, d) int8, zero rows where a declaration has no vector
    scales: np.ndarray  # (n,) float32, 0 where missing
    mean: np.ndarray  # (d,) float32
    vector_ids: np.ndarray  # (n,) the stored vector of each declaration, -1 where missing

    @classmethod
    def from_float(cls, matrix: np.ndarray, mean: np.ndarray | None = None,
                   vector_ids: np.ndarray | None = None) -> Centred:
        """From centred, normalised float32 rows (zero rows where missing)."""
        codes, scales, _ = quantize_rows(matrix)
        scales[~matrix.any(axis=1)] = 0
        return cls(codes, scales, np.zeros(matrix.shape[1], np.float32) if mean is None else mean,
                   np.full(len(matrix), -1, np.int64) if vector_ids is None else vector_ids)

    @property
    def nbytes(self) -> int:
        return int(self.codes.nbytes + self.scales.nbytes + self.vector_ids.nbytes + self.mean.nbytes)

    def dot(self, q: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        return dot_codes(self.codes, self.scales, q, rows)

    def dense(self, rows) -> np.ndarray:
        """The int8 rows as float32."""
        return self.codes[rows].astype(np.float32) * np.asarray(self.scales[rows], np.float32)[..., None]

    def centre(self, vector: np.ndarray | None) -> np.ndarray | None:
        if vector is None:
            return None
        v = vector - self.mean
        n = float(np.linalg.norm(v))
        return (v / n).astype(np.float32) if n else None

    def exact(self, db, rows: list[int]) -> list[np.ndarray | None]:
        """The exact centred vectors of the declarations at ``rows`` (None where missing)."""
        ids = self.vector_ids[rows] if len(rows) else np.zeros(0, np.int32)
        have = [i for i, v in enumerate(ids) if v >= 0]
        out: list[np.ndarray | None] = [None] * len(rows)
        if have:
            for i, v in zip(have, read_exact(db, ids[have])):
                out[i] = self.centre(v)
        return out


def centred(index: VectorIndex, pos: dict[str, int], n: int) -> Centred | None:
    """One feature's centred vectors, in the order of ``pos`` (declaration id → row), from its index."""
    present = [(pos[d], k) for k, d in enumerate(index.declaration_ids) if d in pos]
    if not index.ids or not present:
        return None
    dest, src = (np.array(x, dtype=np.int64) for x in zip(*present))
    total = np.zeros(index.dim, dtype=np.float64)
    for start in range(0, len(src), BLOCK):
        total += index.dequantized(src[start:start + BLOCK]).sum(axis=0, dtype=np.float64)
    mean = (total / len(src)).astype(np.float32)
    codes = np.zeros((n, index.dim), dtype=np.int8)
    scales = np.zeros(n, dtype=np.float32)
    vector_ids = np.full(n, -1, dtype=np.int64 if len(index.vector_ids) and index.vector_ids.max() >= 2**31 else np.int32)
    for start in range(0, len(src), BLOCK):
        block = index.dequantized(src[start:start + BLOCK]) - mean
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        norms[norms == 0] = 1
        c, s, _ = quantize_rows(block / norms)
        rows = dest[start:start + BLOCK]
        codes[rows], scales[rows] = c, s
    vector_ids[dest] = index.vector_ids[index.rows[src]]
    return Centred(codes, scales, mean, vector_ids)
