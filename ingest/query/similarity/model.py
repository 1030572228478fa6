"""The fitted model of similar projects: the signals compared (``FEATURES``), their weights
(``similarity_weights.json``, fitted by ``python -m bench.similarity``) and the probability they give."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

FEATURES = ("name", "summary", "indicator_names", "terms", "function", "subfunction", "spending", "names", "policies",
            "dept", "dept_kind")
VECTOR_KINDS = {"name": "name", "summary": "declaration", "indicator_names": "indicator_names"}
WEIGHTS_FILE = Path(__file__).resolve().parent.parent / "similarity_weights.json"


def _weights() -> tuple[dict[str, float], float]:
    data = json.loads(WEIGHTS_FILE.read_text("utf-8"))
    return data["weights"], data["bias"]


WEIGHTS, BIAS = _weights()


def set_weights(weights: dict[str, float], bias: float) -> None:
    """Use other weights in this process (``bench.similarity`` after fitting)."""
    global BIAS
    WEIGHTS.clear()
    WEIGHTS.update(weights)
    BIAS = bias


def probabilities(features: np.ndarray) -> np.ndarray:
    """:func:`probability` of each row of a :func:`feature_matrix`."""
    w = np.array([WEIGHTS.get(k, 0.0) for k in FEATURES])
    return 1.0 / (1.0 + np.exp(-(BIAS + features @ w)))


def probability(f: dict[str, float], weights: dict[str, float] | None = None, bias: float | None = None) -> float:
    weights = WEIGHTS if weights is None else weights
    z = (BIAS if bias is None else bias) + sum(weights.get(k, 0.0) * f[k] for k in FEATURES)
    return 1.0 / (1.0 + math.exp(-z))
