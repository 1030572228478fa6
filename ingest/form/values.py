"""Values in the cells: indicator values (op, number, unit), categories, amounts, dates."""

from __future__ import annotations

import re
from functools import lru_cache

from ..text import compact, normalise_text, similarity_above
from .lexicon import FUND_SOURCES, FUND_TOTALS, OPS


# -------------------------------------------------------------------- values

NUMBER = r"\d[\d,，\s]*(?:\.\s?\d+)?"
VALUE_RE = re.compile(
    r"^(?P<op>≥|≤|>=|<=|>|<|=|≧|≦|＞|＜|＝|═|不低于|不少于|不高于|不超过|大于等于|小于等于|大于|小于|高于|低于|等于|至少|控制在)?"
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
# a template's blank left in a value: ``≥**%``, ``XX%``, ``××个``, ``***``, ``待定`` (review rule 完整性.模板占位符)
PLACEHOLDER = re.compile(r"\*{2,}|＊{2,}|[Xx×]{2,}|某某|待定")
_PLACEHOLDER_CELL = re.compile(r"^(?:≥|≤|>=|<=|>|<|=|≧|≦|＞|＜|＝|不低于|不少于|不高于|不超过|约)?"
                               r"(?:\*{2,}|＊{2,}|[Xx×]{2,}|待定)[%‰]?[\u4e00-\u9fff/·]{0,5}$")


def is_placeholder(cell: str) -> bool:
    """A value cell still holding the template's blank (``≥**%``, ``XX个``): a value the declarant
    did not fill in, kept as printed so the review reports it."""
    c = compact(cell)
    return len(c) <= 12 and bool(_PLACEHOLDER_CELL.match(c))
UNIT_NUMBER = re.compile(r"\d+(\.\d+)?\s*(万元|亿元|元|%|户|家|人次|人|个|吨|公里|项|次|所|台|套|平方米|亩|村|处)")


def looks_like_value(cell: str) -> bool:
    """Does this indicator cell read as a target value rather than an indicator name?"""
    c = compact(cell)
    if not c:
        return False
    if is_placeholder(c):
        return True
    if re.match(r"^(≥|≤|>|<|=|≧|≦|═|±|不低于|不少于|不高于|不超过|大于|小于|约\d|每年|每季度|每月|每\S{0,3}\d|按合同|按照协议)", c):
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


# --------------------------------------------------------------------- funds

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


# ------------------------------------------------------------------ amounts

AMOUNT_RE = re.compile(r"^[^\d]{0,3}?(?P<num>\d[\d,，]*(?:\.\d+)?)\s*(?P<unit>亿元|万元|万|元)?")
SCALE = {"元": 1.0, "万元": 10_000.0, "万": 10_000.0, "亿元": 100_000_000.0}


def parse_amount(text: str, unit: str | None = None) -> tuple[float, str] | None:
    """The first amount in a cell, in 元: (yuan, unit used). A unit printed after the number wins
    over ``unit``, the one the form or its column states (元 when none is stated).

    ``250万`` → 2,500,000; ``1125`` with 万元 → 11,250,000; ``3,309,840.00`` → 3,309,840.
    """
    m = AMOUNT_RE.match(normalise_text(text).strip())
    if not m:
        return None
    try:
        number = float(m.group("num").replace(",", "").replace("，", ""))
    except ValueError:
        return None
    used = m.group("unit") or unit or "元"
    return number * SCALE.get(used, 1.0), ("万元" if used == "万" else used)


_PERIOD_WORDS = (("实施期", ("实施期", "中期", "中长期", "项目总", "总投资", "项目资金总额")),
                 ("年度", ("年度", "当年", "本年", "年初", "全年", "预算数", "预算申报", "下达")))


@lru_cache(maxsize=1 << 14)
def fund_label_of(text: str) -> tuple[str, str | None] | None:
    """What a funds label names: ("total", period or None) or (source, None); None if not a funds label.

    A period is given when the label says it (实施期资金总额, 年度资金总额); a bare 资金总额 or 合计
    takes the period of the column or the form.
    """
    c = compact(text).replace("其中:", "").replace("其中", "").lstrip(":一二三四五六、.").rstrip(":")
    if not _FUND_CHARS.intersection(c):
        return None  # every funds label has one of these characters
    c = re.sub(r"[(（][^()（）]{0,12}[)）]", "", c)
    if not c or len(c) > 24:
        return None
    for period, labels in FUND_TOTALS.items():
        for label in sorted(labels, key=len, reverse=True):
            if c == label or (c.startswith(label) and len(c) <= len(label) + 2):
                return "total", (period if period != "either" else None)
    for key, labels in FUND_SOURCES:
        for label in labels:
            if c == label or c.startswith(label) and len(c) <= len(label) + 3:
                return key, None
    # garbled by a column cut (``其任	也资金``, ``省组	级财政资金``): a close match to a known label
    best, best_score = None, 0.0
    for key, labels in FUND_SOURCES:
        for label in labels:
            if len(label) < 4:
                continue
            score = similarity_above(c[: len(label) + 2], label, 0.7)
            if score > best_score:
                best, best_score = key, score
    return (best, None) if best_score >= 0.7 else None


_FUND_CHARS = set("资金额款筹预算计投结")


def period_of_label(text: str) -> str | None:
    c = compact(text)
    for period, words in _PERIOD_WORDS:
        if any(w in c for w in words):
            return period
    return None


# ------------------------------------------------------------------ periods

_YM = r"((?:19|20)\d{2})\s*(?:年|[.\-/])?\s*(\d{1,2})?\s*(?:月|[.\-/]\d{1,2}日?|日)?"


def parse_period(text: str) -> tuple[int | None, str | None, str | None]:
    """项目期 as (years, start YYYY-MM, end YYYY-MM), whatever is printed.

    ``3年`` → 3 years; ``2022年`` → 1; ``2019-2021`` → 3; ``2022年3月-2023年11月`` → months only;
    ``2023-01-01至2023-12-31`` → 1 year, 2023-01 to 2023-12.
    """
    v = normalise_text(text or "").strip()
    c = re.sub(r"\s+", "", v)
    c = re.sub(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(?!\d)", r"\1年\2月", c)  # ``202001`` is 2020年1月
    c = re.sub(r"(?<!\d)((?:19|20)\d{2})年(\d{1,2})月(至|到|-|—|~)(\d{1,2})月", r"\1年\2月\3\1年\4月", c)
    dates = re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)(?:\s*年\s*|[.\-/])?(?:(\d{1,2})(?!\d)\s*月?)?(?:[.\-/]\d{1,2}(?!\d)日?|\d{1,2}日)?", c)
    if not dates:
        m = re.search(r"(\d{1,2})\s*年(?:结束|期)?", c)
        if m and int(m.group(1)) < 50:
            return int(m.group(1)), None, None  # ``3年``, ``一次性项目（1年结束）``
        return None, None, None
    (y1, m1), (y2, m2) = dates[0], dates[-1]
    if len(dates) == 1:
        if m1:
            return None, f"{y1}-{int(m1):02d}", None
        return 1, None, None
    start = f"{y1}-{int(m1):02d}" if m1 and 1 <= int(m1) <= 12 else None
    end = f"{y2}-{int(m2):02d}" if m2 and 1 <= int(m2) <= 12 else None
    years = None
    if not m1 and not m2:
        years = int(y2) - int(y1) + 1 if int(y2) >= int(y1) else None
    elif start and end and y1 == y2 and start.endswith("-01") and end.endswith("-12"):
        years = 1
    return years, start, end
