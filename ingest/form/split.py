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
_FUND_WORDS = set(_words([w for ws in FUND_TOTALS.values() for w in ws], [w for _, ws in FUND_SOURCES for w in ws]))
_TABLE_WORDS = _words(
    [w for role, ws in HEADER_ROLES.items() if role not in ("unit", "weight") for w in ws
     if w.endswith(("指标", "值")) or len(w) >= 4],
    [a for a in LEVEL1_ALIASES if a.endswith("指标")],
    [s + "指标" for s in LEVEL2_FAMILY],
    [s + "目标" for s in LEVEL2_FAMILY if len(s) >= 4],
)
_TITLE = r"(?:(?:省级|市级|县级|区级|市直|本级)?部门预算)?项目支出绩效目标(?:申报|批复)?表(?:[(（]?(?:19|20)\d{2}年度?[)）]?)?"
_ALL = re.compile(_TITLE + "|" + "|".join(re.escape(w) for w in sorted(set(_FIELD_WORDS) | set(_TABLE_WORDS), key=len,
                                                                     reverse=True)))
_TABLE = re.compile("|".join(re.escape(w) for w in _TABLE_WORDS))
_OCR_STAR = re.compile(r"(?<=[\u4e00-\u9fff])[*＊](?=[\u4e00-\u9fff])")
_NOTE = re.compile(r"^[(（][^()（）]{0,8}[)）]$")
_SENTENCE = re.compile(r"[。；;！？!?]")
_PUNCT_EDGE = re.compile(r"^[\s:：,，;；、]+|[\s:：,，;；]+$")


@lru_cache(maxsize=1 << 14)
def split_cell(text: str, table_only: bool = False) -> tuple[str, ...]:
    """The cells run together in ``text`` (the text itself when it holds one)."""
    t = normalise_text(text).strip()
    if len(t) < 5:
        return (text,)
    t = _OCR_STAR.sub("", t)  # ``一*级项目名称``
    pattern = _TABLE if table_only else _ALL
    # a funds label counts only before its amount (``合计1800``), not inside a name (``预算资金当年下达率``)
    matches = [m for m in pattern.finditer(t)
               if m.group(0) not in _FUND_WORDS or m.end() == len(t) or re.match(r"[\d:：(（\s]", t[m.end()])]
    if not matches or (len(matches) == 1 and matches[0].start() > 0):
        return (text,)
    if len(matches) == 1 and matches[0].end() == len(t):
        return (text,)
    # prose that mentions a label (``…该资金项目名称“脱贫攻坚工作经费”,…``) is not a row of cells:
    # the text before the first label and between two labels must read like a label's value
    prefix = t[:matches[0].start()]
    if (len(prefix) > 24 or _SENTENCE.search(prefix)) and len(matches) < 4 and not table_only:
        return (text,)  # a form run together after some prose holds many labels; prose mentions one or two
    if len(matches) < 4 and not table_only:
        for a, b in zip(matches, matches[1:]):
            between = t[a.end():b.start()]
            if _SENTENCE.search(between) or between.count(",") + between.count("，") > 1:
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
    out: list[str] = []
    for p in (_PUNCT_EDGE.sub("", p) for p in pieces):
        if out and _NOTE.match(p):
            out[-1] += p  # ``项目资金`` + ``(万元)``: a note in brackets stays with its label
        elif p:
            out.append(p)
    if len(out) <= 1:
        return (text,)
    return tuple(out)
