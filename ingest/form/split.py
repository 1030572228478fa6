"""Cells printed without separators: split them at the labels, categories and header words they contain.

``项目主管部门青山区教育局项目执行单位化工区学校`` → 项目主管部门 | 青山区教育局 | 项目执行单位 |
化工区学校; ``产出指标数量指标农村义务教育学校改造覆盖率100%`` → 产出指标 | 数量指标 |
农村义务教育学校改造覆盖率100% (the value is split from the name by the table reader).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..text import normalise_text
from .lexicon import (FUND_SOURCES, FUND_TOTALS, HEADER_LABELS, HEADER_ROLES, LEVEL1_ALIASES, LEVEL2_FAMILY,
                      NARRATIVE_LABELS, SIGNATURE_LABELS)


def _words(*groups) -> list[str]:
    out = set()
    for g in groups:
        for w in g:
            w = normalise_text(w).replace(" ", "")
            if len(w) >= 3:
                out.add(w)
    return sorted(out, key=len, reverse=True)


_FIELD_WORDS = _words(
    [w for ws in HEADER_LABELS.values() for w in ws if w not in ("项目名",)],
    [w for ws in NARRATIVE_LABELS.values() for w in ws if w not in ("必要性", "基本情况", "实施计划", "项目内容")],
    [w for ws in SIGNATURE_LABELS.values() for w in ws if len(w) >= 3],
    [w for ws in FUND_TOTALS.values() for w in ws if w not in ("合计", "总额", "预算数")],
    [w for _, ws in FUND_SOURCES for w in ws if len(w) >= 4],
)
_TABLE_WORDS = _words(
    [w for role, ws in HEADER_ROLES.items() if role not in ("unit", "weight") for w in ws
     if w.endswith(("指标", "值")) or len(w) >= 4],
    [a for a in LEVEL1_ALIASES if a.endswith("指标")],
    [s + "指标" for s in LEVEL2_FAMILY],
)
_ALL = re.compile("|".join(re.escape(w) for w in sorted(set(_FIELD_WORDS) | set(_TABLE_WORDS), key=len, reverse=True)))
_TABLE = re.compile("|".join(re.escape(w) for w in _TABLE_WORDS))
_PUNCT_EDGE = re.compile(r"^[\s:：,，;；、]+|[\s:：,，;；]+$")


@lru_cache(maxsize=1 << 14)
def split_cell(text: str, table_only: bool = False) -> tuple[str, ...]:
    """The cells run together in ``text`` (the text itself when it holds one)."""
    t = normalise_text(text).strip()
    if len(t) < 5:
        return (text,)
    pattern = _TABLE if table_only else _ALL
    matches = [m for m in pattern.finditer(t)]
    if not matches or (len(matches) == 1 and matches[0].start() > 0):
        return (text,)
    if len(matches) == 1 and matches[0].end() == len(t):
        return (text,)
    pieces: list[str] = []
    pos = 0
    for m in matches:
        if m.start() > pos:
            pieces.append(t[pos:m.start()])
        pieces.append(m.group(0))
        pos = m.end()
    if pos < len(t):
        pieces.append(t[pos:])
    out = tuple(p for p in (_PUNCT_EDGE.sub("", p) for p in pieces) if p)
    return out or (text,)
