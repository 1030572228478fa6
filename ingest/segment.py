"""Chinese word segmentation for indexing and querying: the only module that imports jieba.

Index text with :func:`seg_index` (``cut_for_search``: words plus their
sub-words, so 申报 is found inside 申报表 and 取暖 inside 清洁取暖) and turn a
user's query into an FTS5 expression with :func:`fts_query` (plain ``cut`` on
the same tokenizer and user dictionary).
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

from .text import normalise_text

USER_DICT = Path(__file__).with_name("userdict.txt")
_tokenizer = None
_lock = threading.Lock()

# Document-number brackets in any form are indexed as 〔〕 so 阳乡振发【2022】25号 meets 阳乡振发(2022)25号.
_DOC_BRACKETS = re.compile(r"[\[【(（［〔]\s*((?:19|20)\d{2})\s*[\]】)）］〕]")
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
STOPWORDS = frozenset("的 了 和 与 及 或 等 在 对 为 是 将 把 由 于 之 其 中 各 个 所 以 并 也 就 都 而 且 被 从 到 向 按 年度 项目".split())


def _get():
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.load_userdict(str(USER_DICT))
                _tokenizer = tok
    return _tokenizer


def normalise(text: str) -> str:
    """Full-width ASCII to half-width, document-number brackets to 〔〕, lower-case Latin."""
    text = _DOC_BRACKETS.sub(r"〔\1〕", normalise_text(text))
    return text.lower()


def _keep(token: str) -> bool:
    token = token.strip()
    return bool(token) and not _PUNCT.match(token)


def seg_index(text: str | None) -> str:
    """Space-separated tokens for an FTS5 column: every word and its dictionary sub-words."""
    if not text:
        return ""
    if len(text) <= SHORT:
        return _seg_short(text)
    # jieba cuts at punctuation anyway: segmenting clause by clause gives the same tokens, and the
    # clauses that recur across declarations (policy citations, standard phrases) are memoised
    return " ".join(x for x in (_seg_short(c) if len(c) <= 2 * SHORT else _seg(c) for c in _CLAUSES.split(text)) if x)


# Indicator names, values, categories and department names are short and repeat across thousands
# of declarations (≥95%, 满意度, 数量指标): their segmentation is memoised.
SHORT = 64
_CLAUSES = re.compile(r"[，。；、！？：\s]+")


@lru_cache(maxsize=1 << 17)
def _seg_short(text: str) -> str:
    return _seg(text)


def _seg(text: str) -> str:
    return " ".join(t for t in _get().cut_for_search(normalise(text)) if _keep(t))


def seg_query(text: str | None) -> list[str]:
    """Query tokens: jieba's plain cut, punctuation and stop words removed, order kept, no repeats."""
    if not text:
        return []
    out: list[str] = []
    for t in _get().cut(normalise(text)):
        t = t.strip()
        if _keep(t) and t not in STOPWORDS and t not in out:
            out.append(t)
    if not out:  # a query of only stop words still means something
        out = [t.strip() for t in _get().cut(normalise(text)) if _keep(t)]
    return out


def fts_query(text: str | None, mode: str = "and") -> str:
    """An FTS5 MATCH expression for a user query: each token quoted, joined by AND or OR.

    Quoting makes any user input safe (no FTS5 syntax errors from ``"``, ``-``, ``*``, ``:``).
    """
    return fts_match(seg_query(text), mode)


def fts_match(tokens: list[str], mode: str = "and") -> str:
    """The MATCH expression of query tokens (see :func:`fts_query`)."""
    if not tokens:
        return '""'
    quoted = ['"' + t.replace('"', '""') + '"' for t in tokens]
    return (" OR " if mode == "or" else " AND ").join(quoted)


def declaration_columns(d) -> dict:
    """The jieba-segmented full-text columns of a declaration and of each of its indicators.

    ``declaration``: name, dept, overview, basis, necessity, safeguards, plan, goals, indicators
    (the 实施期 indicators' names and values, all of them if none is 实施期); ``indicators``: per
    indicator (name, category, value); ``policies``: per cited policy (title, number); ``profile``: what similar-project ranking compares
    (``profiles.profile``).
    """
    from .profiles import profile

    goals = " ".join(x for x in (d.goal_period, d.goal_annual) if x)
    shown = [i for i in d.indicators if i.period == "实施期"] or d.indicators
    declaration = [
        seg_index(d.name), seg_index(" ".join(x for x in (d.dept_name, d.implementer) if x)),
        seg_index(d.overview), seg_index(d.basis), seg_index(d.necessity), seg_index(d.safeguards),
        seg_index(d.plan), seg_index(goals),
        " ".join(x for i in shown for x in (seg_index(i.name), seg_index(i.value)) if x)]
    return {
        "declaration": declaration,
        "profile": profile(d, declaration),
        "indicators": [(seg_index(i.name), seg_index(" ".join(x for x in (i.level1, i.level2) if x)),
                        seg_index(i.value)) for i in d.indicators],
        "policies": [(seg_index(p.title), seg_index(p.doc_number)) for p in d.policies],
    }
