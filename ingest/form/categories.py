"""Indicator categories: 一级 (产出/效益/满意度/成本指标) and 二级 (数量指标 …), normalised.

``数量`` / ``数量指标`` / ``数量指标 (必填硬性指标)`` are all 数量指标; ``预期产出指标`` is 产出指标,
``效果指标`` is 效益指标; a truncated ``服务对象满意度指`` is 服务对象满意度指标.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..text import compact
from .lexicon import LEVEL1_ALIASES, LEVEL2_ALSO_UNDER, LEVEL2_FAMILY

_NOTE = re.compile(r"[(（【\[][^()（）【】\[\]]{0,24}[)）】\]]")
_SCORE = re.compile(r"\d*分$")
_STEMS = sorted(LEVEL2_FAMILY, key=len, reverse=True)


def _bare(cell: str) -> str:
    c = compact(cell).lstrip("★*☆")
    c = _NOTE.sub("", c)
    if c.endswith("分") and "指标" in c:
        c = _SCORE.sub("", c)  # ``产出指标(40-50)分``
    return c.rstrip(":：")


@lru_cache(maxsize=1 << 16)
def category_of(cell: str) -> tuple[str, str] | None:
    """``("l1", 产出指标)``, ``("l2", 数量指标)``, ``("l2?", 数量指标)`` for a bare stem that may be a
    category or an indicator name (``服务对象满意度``), or None."""
    c = _bare(cell)
    if not c or len(c) > 24 or re.search(r"\d", c):
        return None
    if c.endswith("值") and len(c) >= 3 and (c[:-1] in LEVEL2_FAMILY or c[:-1] + "指标" in LEVEL1_ALIASES):
        c = c[:-1] + "指标"  # a template printing 产出值 / 数量值 / 社会效益值 for the categories
    if c in LEVEL1_ALIASES:
        return ("l1", LEVEL1_ALIASES[c])
    if c.endswith("指标"):
        stem = c[:-2]
        if stem in LEVEL2_FAMILY:
            return ("l2", stem + "指标")
        # a category of the form's own wording (``产出数量指标``, ``预算控制指标``): a known stem inside
        for s in _STEMS:
            if (stem.endswith(s) or stem.startswith(s)) and len(stem) <= len(s) + 6 and "指标" not in stem:
                return ("l2", stem + "指标")
        return None
    if c in LEVEL2_FAMILY:
        return ("l2?", c + "指标")
    if c.endswith("目标") and c[:-2] in LEVEL2_FAMILY and len(c) >= 6:
        return ("l2", c[:-2] + "指标")  # ``社会效益目标`` printed for 社会效益指标
    # truncated by a column cut: ``服务对象满意度指``, ``可持续影响指``
    if c.endswith("指") and c[:-1] in LEVEL2_FAMILY:
        return ("l2", c[:-1] + "指标")
    if len(c) >= 5:
        for s in _STEMS:
            if (s + "指标").startswith(c) and len(s) >= 4:
                return ("l2", s + "指标")
    return None


def family(level2: str) -> str | None:
    """The 一级 category a 二级 category belongs to."""
    stem = level2[:-2] if level2.endswith("指标") else level2
    if stem in LEVEL2_FAMILY:
        return LEVEL2_FAMILY[stem]
    for s in _STEMS:
        if s in stem:
            return LEVEL2_FAMILY[s]
    return None


def fits(level1: str | None, level2: str) -> bool:
    """Can this 二级 category sit under this 一级 category (as some template prints it)?"""
    if level1 is None:
        return True
    own = family(level2)
    if own is None or own == level1:
        return True
    stem = level2[:-2] if level2.endswith("指标") else level2
    return level1 in LEVEL2_ALSO_UNDER.get(stem, ())


def level_of(cell: str) -> tuple[str, str] | None:
    """The category of a cell in a row of the side-by-side layout, where a bare stem
    (``服务对象满意度``) in a category column is a category and 成本指标 is a 二级 category."""
    cat = category_of(cell)
    if cat is None:
        return None
    kind, name = cat
    if name == "成本指标":
        return ("l2", name)
    return ("l2" if kind == "l2?" else kind, name)


def exact_category(cell: str) -> tuple[str, str] | None:
    """A category printed in full with a known stem (not a form's own wording): for joining the
    pieces of a category split over two cells."""
    c = _bare(cell)
    if c in LEVEL1_ALIASES:
        return ("l1", LEVEL1_ALIASES[c])
    if c.endswith("指标") and c[:-2] in LEVEL2_FAMILY:
        return ("l2", c)
    return None


def canonical_category(cell: str | None) -> str | None:
    """A category's canonical name (服务对象满意度 → 服务对象满意度指标, 产出值 → 产出指标); other text as it is."""
    if not cell:
        return cell
    cat = category_of(cell)
    return cat[1] if cat else cell
