"""What a declaration is made of when compared with others (similar projects), computed once when
it is stored, in the parsing worker: its words (field-weighted counts from the segmented full-text
columns, as 1 + log count), its 支出功能分类 class and 款 and its kind of spending (``sectors.py``).

Query time then reads a small row per candidate instead of segmenting and classifying every
candidate's text again.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from . import sectors
from .text import goal_simhash

# full-text columns (segment.declaration_columns order) and how much a word in each counts
FIELDS = {"name": 3.0, "dept": 0.5, "overview": 2.0, "basis": 1.0, "necessity": 1.0, "safeguards": 0.5, "plan": 1.0,
          "goals": 1.0, "indicators": 1.0}
_TOKEN = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]+$")
MAX_WORDS = 300  # the heaviest words kept per declaration


def words(columns: dict[str, str | None]) -> Counter:
    """Field-weighted counts of the words in segmented columns (space-separated tokens)."""
    out: Counter = Counter()
    for col, text in columns.items():
        w = FIELDS.get(col, 1.0)
        for t in (text or "").split():
            if _TOKEN.match(t):
                out[t] += w
    return out


def tf_weights(counts: Counter) -> dict[str, float]:
    """Sub-linear term weights (1 + log count): a word said ten times does not weigh ten times."""
    return {t: round(1.0 + math.log(c), 3) for t, c in counts.items() if c > 0}


def profile(d, segmented: list[str]) -> dict:
    """The comparison profile of a parsed declaration from its segmented full-text columns."""
    counts = words(dict(zip(FIELDS, segmented)))
    if len(counts) > MAX_WORDS:
        counts = Counter(dict(counts.most_common(MAX_WORDS)))
    names = " ".join(i.name for i in d.indicators if i.name)
    text = " ".join(x or "" for x in (d.overview, d.plan, d.goal_period or d.goal_annual, names))
    return {"words": tf_weights(counts),
            "function": sectors.function_of(d.dept_name, d.name, text).astype("<f4").tobytes(),
            "spending": sectors.spending_of(d.name, text).astype("<f4").tobytes(),
            "subfunction": sectors.subfunction_of(d.dept_name, d.name, text).astype("<f4").tobytes(),
            "goal_simhash": goal_simhash(d.goal_period, d.goal_annual)}


def pack_words(words: dict[str, float]) -> tuple[str, bytes]:
    """Words as stored: space-separated (no word has a space), and their weights as float64."""
    return " ".join(words), np.fromiter(words.values(), dtype="<f8", count=len(words)).tobytes()


def unpack_words(terms: str | None, weights: bytes | None) -> tuple[list[str], np.ndarray]:
    if not terms:
        return [], np.zeros(0)
    return terms.split(" "), np.frombuffer(weights, dtype="<f8")


def vector(blob: bytes | None, size: int) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4") if blob else np.zeros(size, dtype=np.float32)
