"""Values in the cells: indicator values (op, number, unit), categories, amounts, dates."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from ..text import compact, normalise_text, similarity
from .lexicon import FUND_SOURCES, LEVEL1, LEVEL2, OPS


# -------------------------------------------------------------------- values

NUMBER = r"\d[\d,，\s]*(?:\.\s?\d+)?"
VALUE_RE = re.compile(
    r"^(?P<op>≥|≤|>=|<=|>|<|=|≧|≦|＞|＜|＝|不低于|不少于|不高于|不超过|大于等于|小于等于|大于|小于|高于|低于|等于|至少|控制在)?"
    r"\s*(?:约|每年约?|按)?\s*(?P<num>-?" + NUMBER + r")\s*(?P<unit>.*)$"
)
DATE_RE = re.compile(r"^\d{4}\s*(年|-|\.|/)")


def parse_value(value: str | None) -> tuple[str | None, float | None, str | None]:
    """Split a printed indicator value into (op, number, unit).

    ``≥95%`` → ``('≥', 95.0, '%')``; ``=100.00(%)`` → ``('=', 100.0, '%')``;
    ``2023年12月前`` is a date, not a quantity → ``(None, None, None)``.
    """
    if not value:
        return None, None, None
    v = normalise_text(value).strip()
    if DATE_RE.match(v) or re.match(r"^\d{1,2}月", v):
        return None, None, None
    m = VALUE_RE.match(v)
    if not m:
        return None, None, None
    op = OPS.get(m.group("op") or "", None)
    num_text = re.sub(r"[,，\s]", "", m.group("num"))
    try:
        number = float(num_text)
    except ValueError:
        return op, None, None
    unit = m.group("unit").strip()
    unit = re.sub(r"^[(（](.*)[)）]$", r"\1", unit).strip()
    unit = unit.replace("百分比", "%").replace("％", "%")
    if unit and (len(unit) > 8 or re.search(r"\d", unit)):
        return op, None, None  # ``每年5月,11月归还本金``: the number is not the quantity
    return op, number, unit or None


NAME_SUFFIX = re.compile(r"(率|数|量|额|度|成本|费用|标准|时间|时效|人数|户数|情况|指标)$")
UNIT_NUMBER = re.compile(r"\d+(\.\d+)?\s*(万元|亿元|元|%|户|家|人次|人|个|吨|公里|项|次|所|台|套|平方米|亩|村|处)")


def looks_like_value(cell: str) -> bool:
    """Does this indicator cell read as a target value rather than an indicator name?"""
    c = compact(cell)
    if not c:
        return False
    if re.match(r"^(≥|≤|>|<|=|≧|≦|不低于|不少于|不高于|不超过|大于|小于|约\d|每年|每季度|每月|每\S{0,3}\d|按合同|按照协议)", c):
        return True
    if re.match(r"^\d", c):
        # ``2021年"小升规"企业数`` is a name that happens to start with a year
        if re.match(r"^\d{4}年", c) and (re.search(r"[“”\"]", c) or NAME_SUFFIX.search(c)):
            return False
        return True
    if NAME_SUFFIX.search(c) and not c.endswith("%"):
        return False
    if c.endswith("%") and len(c) <= 20:
        return True
    if UNIT_NUMBER.search(c) and len(c) <= 16:
        return True
    qualitative = (
        "有效", "持续", "逐步", "长期", "延续", "保障", "提升", "提高", "全部", "按时", "全年", "一项", "两项",
        "可持续", "明显", "显著", "稳步", "不断", "根据实际", "执行文件", "符合", "达标", "合格", "完成", "改善",
        "解决", "是", "否", "良好", "优良", "满意", "一次性", "全面", "促进", "推动", "降低", "减少", "增加",
    )
    return len(c) <= 8 and c.startswith(qualitative)


@lru_cache(maxsize=1 << 16)
def level_of(cell: str) -> tuple[str, str] | None:
    """Classify a cell as a 一级/二级 indicator category, tolerating truncation (``服务对象满意度指``)."""
    c = compact(cell)
    if not c or len(c) < 4:
        return None
    for name in LEVEL1:
        if c == name and name != "成本指标":
            return ("l1", name)
    for name in sorted(LEVEL2, key=len, reverse=True):
        if c == name:
            return ("l2", name)
    for name in sorted(LEVEL2, key=len, reverse=True):
        if len(c) >= 5 and name.startswith(c):
            return ("l2", "服务对象满意度指标" if name.startswith("服务对象满意度") else name)
        if c.startswith(name) and len(c) <= len(name) + 4 and not re.search(r"\d", c):
            return ("l2", name)
    return None



def number_runs(cells: list[str]) -> list[list[str]]:
    """Maximal runs of adjacent numeric cells (``22`` + ``2, 520, 000`` is one run)."""
    runs: list[list[str]] = []
    current: list[str] = []
    for c in cells:
        cc = compact(c)
        if re.fullmatch(r"[\d,.]+", cc) or re.fullmatch(r",[\d,.]+", cc):
            current.append(cc)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _to_float(text: str) -> float | None:
    t = text.replace(",", "").rstrip(".")
    if not re.fullmatch(r"\d+(\.\d+)?", t):
        return None
    return float(t)


def amount_candidates(run: list[str]) -> list[float]:
    """Readings of a run of numeric cells, most plausible first.

    ``10`` + ``0, 000, 000`` reads ``100,000,000``; ``22`` + ``2, 520, 000`` may be
    a digit repeated across a column cut, so ``22,520,000`` is offered too.
    """
    cands: list[float] = []
    joined = "".join(run)
    for text in (joined,):
        v = _to_float(text)
        if v is not None:
            cands.append(v)
    if len(run) >= 2:
        a, b = "".join(run[:-1]), run[-1]
        if a and b and a[-1] == b[0]:
            v = _to_float(a + b[1:])
            if v is not None:
                cands.append(v)
        v = _to_float(b)
        if v is not None and not b.startswith("0"):
            cands.append(v)
    seen: list[float] = []
    for c in cands:
        if c not in seen:
            seen.append(c)
    return seen


_FUND_LABEL_CHARS = {compact(lab): Counter(compact(lab)) for _k, _labs in FUND_SOURCES for lab in _labs}


@lru_cache(maxsize=1 << 14)
def fund_source_of(text: str) -> str | None:
    c = compact(text).replace("其中:", "").replace("其中", "")
    c = c.replace("単", "单")
    best, best_score = None, 0.0
    for key, labels in FUND_SOURCES:
        for label in labels:
            lab = compact(label)
            if lab in c:
                return key
            head = c[: len(lab) + 2]
            # an upper bound of the ratio from the characters the two share: skip what cannot win
            shared = sum(_FUND_LABEL_CHARS[lab].get(ch, 0) for ch in set(head))
            if 2 * shared / (len(head) + len(lab) or 1) < max(best_score, 0.7):
                continue
            s = similarity(head, lab)
            if s > best_score:
                best, best_score = key, s
    return best if best_score >= 0.7 else None


def parse_filed_at(value: str) -> str | None:
    v = re.sub(r"\s", "", normalise_text(value))
    m = re.match(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$", v)
    if m:
        y, mo, da, h, mi, s = m.groups()
        return f"{y}-{mo}-{da}T{h}:{mi}:{s}"
    m = re.match(r"^(\d{4})(\d{2})(\d{2})$", v)
    if m:
        return "{}-{}-{}".format(*m.groups())
    m = re.match(r"^(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})日?(?:T|\s)?(\d{1,2})?:?(\d{2})?:?(\d{2})?", v)
    if m:
        y, mo, da, h, mi, s = m.groups()
        date = f"{y}-{int(mo):02d}-{int(da):02d}"
        if h is not None and mi is not None:
            return f"{date}T{int(h):02d}:{mi}:{s or '00'}"
        return date
    return None
