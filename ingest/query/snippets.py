"""Excerpts of the original text around a query's words (not the segmented index text)."""

from __future__ import annotations

import re

from .. import segment

_HAN = re.compile(r"[\u4e00-\u9fff]")


def query_words(q: str) -> list[str]:
    """The query's words worth marking, longest first."""
    return sorted({w for w in segment.seg_query(q) if len(w) > 1 or _HAN.match(w)}, key=len, reverse=True)


def snippet(text: str | None, q: str, width: int = 60, mark: tuple[str, str] = ("【", "】")) -> str:
    """An excerpt around the first query word found, with every query word marked."""
    if not text:
        return ""
    words = query_words(q)
    pos = min((text.find(w) for w in words if w in text), default=0)
    start = max(0, pos - width // 3)
    excerpt = text[start:start + width]
    if words:
        pattern = re.compile("|".join(re.escape(w) for w in words))
        excerpt = pattern.sub(lambda m: mark[0] + m.group(0) + mark[1], excerpt)
    return ("…" if start else "") + excerpt + ("…" if start + width < len(text) else "")
