"""The signals of one query profile against candidates (``FEATURES``), as one matrix."""

from __future__ import annotations

import math
from itertools import repeat

import numpy as np

from .model import FEATURES, VECTOR_KINDS
from .profile import Profile
from .rarity import Rarity, _overlap, _tfidf
from .reasons import shared_with


def compare(rarity: Rarity, q: Profile, c: Profile, _tf: dict | None = None, reasons: bool = True,
            idf: dict[str, float] | None = None) -> tuple[dict[str, float], dict]:
    """Every signal for one pair (:func:`feature_matrix` of one candidate), and (``reasons``) what
    the two share. ``idf`` may hold the rarity of every word of both already (a ranking looks them
    up once for all candidates)."""
    if idf is None:
        idf = rarity.terms(set(q.words) | set(c.words) | set(c.terms))
    f = dict(zip(FEATURES, feature_matrix(rarity, q, [c], idf)[0].tolist()))
    return f, (shared_with(rarity, q, c, f, idf, _tf) if reasons else {})


def feature_matrix(rarity: Rarity, q: Profile, cands: list[Profile], idf: dict[str, float]) -> np.ndarray:
    """:func:`compare`'s signals of one query against many candidates (rows; columns ``FEATURES``),
    without the reasons: what ranking 80 candidates costs. ``idf`` holds the rarity of every word of
    all of them. The same numbers as :func:`compare` (a test holds the two together)."""
    n = len(cands)
    out = np.zeros((n, len(FEATURES)))
    if not n:
        return out
    col = {k: i for i, k in enumerate(FEATURES)}

    def dots(a: np.ndarray | None, rows: list[np.ndarray | None]) -> np.ndarray:
        if a is None:
            return np.zeros(n)
        zero = np.zeros_like(a)
        return np.stack([zero if r is None else r for r in rows]) @ a

    for feature in VECTOR_KINDS:
        out[:, col[feature]] = dots(q.vectors.get(feature), [c.vectors.get(feature) for c in cands])
    for feature in ("function", "subfunction", "spending", "dept_kind"):
        out[:, col[feature]] = dots(getattr(q, feature), [getattr(c, feature) for c in cands])
    qv, qn = _tfidf(q.words, idf)
    get, rare = qv.get, idf.__getitem__
    terms = out[:, col["terms"]]
    for i, c in enumerate(cands):
        k = len(c.terms)
        if not k or not qv:
            continue
        cv = c.weights * np.fromiter(map(rare, c.terms), dtype=np.float64, count=k)
        shared = np.fromiter(map(get, c.terms, repeat(0.0)), dtype=np.float64, count=k)
        terms[i] = float(shared @ cv) / (qn * (math.sqrt(float(cv @ cv)) or 1.0))
    for i, c in enumerate(cands):
        out[i, col["names"]] = _overlap(q.names, c.names, rarity.names)[0]
        out[i, col["policies"]] = _overlap(q.policies, c.policies, rarity.policies)[0]
        out[i, col["dept"]] = 1.0 if q.dept and q.dept == c.dept else 0.0
    return out

