"""What a cell looks like (a comparator, a number, a unit, a value, a name) and the order-keeping
assignment of a row's cells to its table's column roles; cells printed run together cut apart."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import HAN, compact, normalise_text
from .values import looks_like_value

_OP_ONLY = re.compile(r"^(≥|≤|>=|<=|>|<|=|≧|≦|═|＝|＞|＜|不低于|不少于|不高于|不超过|大于等于|小于等于|大于|小于|等于)$")
_NATURE = re.compile(r"^(定量|定性|正向|反向|中性|正向指标|反向指标|中性指标|正向型|反向型)$")
_UNIT = re.compile(r"^(%|‰|百分比|个|人|人次|户|家|所|项|次|批次|元|万元|亿元|元/人|万元/人|人/次|人/年|年|月|日|天|小时|分钟|"
                   r"公里|千米|米|平方米|亩|万亩|吨|座|辆|台|套|件|册|场|期|批|门|课时|学时|株|头|只|处|村|条|份|篇|名|本|"
                   r"元/亩|元/吨|元/人/年|元/人·月|km|m|㎡|m2|kg|t|分|人数|户数|次数|个数|家数|所数|栋|间|棵|张|箱|盏|"
                   r"平方公里|立方米|万人次|万人|万户|万元/年|元/月|元/年|人/天|次/年|年度)$")
_NUMBER = re.compile(r"^-?\d[\d,，]*(\.\d+)?$")
_TAIL_VALUE = re.compile(r"(?:(?:≥|≤|>=|<=|>|<|=|≧|≦|═|±)\s*)?\d[\d,.]*\s*(?:%|‰|百分比|[\u4e00-\u9fff/·]{0,5})$")
_TAIL_QUALITATIVE = re.compile(
    r"(?:(?:稳步|明显|显著|有效|逐步|不断|持续|大幅|进一步|得到|有所|全面|较大)"
    r"(?:提高|提升|改善|增强|增加|加强|减少|降低|下降|好转|完善|保障)|长期有效|持续有效|长效|长远|提升|提高|增加岗位)$")
MAX_STREAM = 240  # cells of one stream cut at a time (a table between two categories is far shorter)
MAX_TAIL_TEXT = 200  # longer text is prose, not a name with its value


@dataclass
class _Split:
    name: str
    value: str

    def group(self, key: str) -> str:
        return getattr(self, key)


def _tail_split(text: str, pattern: re.Pattern) -> _Split | None:
    """``校舍维修改造质量合格率100%`` → (校舍维修改造质量合格率, 100%): a value printed right after its name."""
    if len(text) > MAX_TAIL_TEXT:
        return None
    m = pattern.search(text)
    if m is None or m.start() == 0:
        return None
    name = text[:m.start()].rstrip()
    if not name or not re.search(r"[\u4e00-\u9fff)）%]$", name) or re.search(r"[\d≥≤<>=]$", name):
        return None
    return _Split(name, m.group(0).replace(" ", ""))


class _TailPattern:
    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern

    def match(self, text: str) -> _Split | None:
        return _tail_split(text, self.pattern)


_VALUE_TAIL = _TailPattern(_TAIL_VALUE)
_QUALITATIVE_TAIL = _TailPattern(_TAIL_QUALITATIVE)


_EXPLANATION = re.compile(r"反映.{2,40}?(?:情况|程度|水平|效果|能力|比例|比率|进度|状况)")
_INNER_VALUE = re.compile(
    r"(?:≥|≤|>=|<=|>|<|=|≧|≦|═|±)\s*\d[\d,.]*\s*(?:%|‰|百分比|[\u4e00-\u9fff/]{0,3}?(?=[^\u4e00-\u9fff]|$|[\u4e00-\u9fff]{4}))?"
    r"|(?<![\d.])(?!(?:19|20)\d\d年)\d[\d,.]*\s*(?:%|‰|百分比|次|个|人次|人|户|家|元|万元|吨|天|座|辆|台|套|件|所|项|场|米|公里|亩|平方米)"
    r"|(?:是/否)?[是否](?=[否是]?$)")


def tokenise_run_together(text: str) -> list[str]:
    """An indicator row printed without separators, its cells cut at what can be told apart: the
    指标解释 (``反映…情况``) and the values (``2280次``, ``≥90%``) between the names.

    ``办公大楼日常维修维护次数反映办公大楼全年维修维护情况2280次大楼安检巡察次数…`` →
    办公大楼日常维修维护次数 | 反映办公大楼全年维修维护情况 | 2280次 | 大楼安检巡察次数 | …
    """
    t = normalise_text(text).strip()
    if len(t) < 14 or not HAN.search(t) or t.count(",") + t.count("，") >= 2 or "。" in t:
        return [text]  # short, or a sentence (a long qualitative value)
    spans = [m.span() for m in _EXPLANATION.finditer(t)]
    for m in _INNER_VALUE.finditer(t):
        if not any(a <= m.start() < b for a, b in spans) and m.end() > m.start():
            spans.append(m.span())
    spans.sort()
    if not spans or (len(spans) == 1 and spans[0][1] == len(t) and spans[0][0] > 0 and not _EXPLANATION.match(
            t[spans[0][0]:])):
        return [text]  # one value at the end: the name/value split is done by the reader
    out, pos = [], 0
    for a, b in spans:
        if a < pos:
            continue
        if a > pos:
            out.append(t[pos:a])
        out.append(t[a:b])
        pos = b
    if pos < len(t):
        out.append(t[pos:])
    out = [p.strip(" ,，;；") for p in out if p.strip(" ,，;；")]
    return out if len(out) > 1 else [text]


_ITEM_CUT = re.compile(r"[;；。]|(?<=[\d%株户人元个次亩米])[,，]")


def split_items(text: str) -> list[str]:
    """Targets written as prose in one cell, each with its value (``成活率>=85;完成及时率>=100%。``)."""
    if len(text) > 20 * MAX_TAIL_TEXT:
        return [text]
    items = [p.strip(" ,，:：") for p in _ITEM_CUT.split(normalise_text(text)) if p.strip(" ,，:：")]
    named = [m for m in (_VALUE_TAIL.match(p) for p in items) if m and len(compact(m.group("name"))) >= 4]
    if len(items) >= 2 and len(named) >= 2 and len(named) >= len(items) - 1:
        return items
    return [text]


def kind_of(text: str) -> str:
    c = compact(text)
    if not c:
        return "empty"
    if _OP_ONLY.match(c):
        return "op"
    if _NATURE.match(c):
        return "nature"
    if _NUMBER.match(c):
        return "num"
    if _UNIT.match(c):
        return "unit"
    if looks_like_value(text) and len(c) <= 24:
        return "val"
    return "text"


COMPAT = {
    # role: {kind: score}
    "name": {"text": 3.0, "val": 0.3, "num": -6, "op": -6, "unit": -3, "nature": -6},
    "value": {"num": 3.0, "val": 4.0, "text": 1.0, "op": -2, "unit": -1, "nature": -3},
    "nature": {"op": 4.0, "nature": 4.0, "text": -4, "num": -6, "val": -4, "unit": -6},
    "direction": {"nature": 4.0, "op": 2.0, "text": -4, "num": -6, "val": -4, "unit": -6},
    "unit": {"unit": 3.0, "text": -1, "num": -6, "val": -4, "op": -6, "nature": -6},
    "weight": {"num": 2.0, "val": -2, "text": -6, "op": -6, "unit": -6, "nature": -6},
    "standard": {"text": 1.0, "val": 0.2, "num": -1, "op": -6, "unit": -2, "nature": -2},
    "past": {"num": 0.2, "val": 0.2, "text": 0.1, "op": -6, "unit": -4, "nature": -6},
    "other": {"text": 0.0, "num": 0.0, "val": 0.0, "op": -6, "unit": -3, "nature": -6},
    "proj_dept": {"text": 0.8, "num": -6, "val": -4, "op": -6, "unit": -6, "nature": -6},
    "proj_name": {"text": 1.2, "num": -6, "val": -4, "op": -6, "unit": -6, "nature": -6},
    "proj_amount": {"num": 2.5, "val": 0.5, "text": -6, "op": -6, "unit": -6, "nature": -6},
    "proj_goal": {"text": 0.9, "num": -6, "val": -2, "op": -6, "unit": -6, "nature": -6},
}
DROP = -3.5  # a cell that fits no role


def compat(role: str, text: str, kind: str) -> float:
    score = COMPAT.get(role, COMPAT["other"]).get(kind, -6)
    c = compact(text)
    if role == "proj_dept" and re.match(r"^[\[【(（]?\d{3,}[\]】)）]?[-—－_]?[\u4e00-\u9fff]", c):
        return 3.2  # ``820001-某镇人民政府``: a unit with its code
    if role == "name" and kind == "val":
        # ``≥95%`` is no name; ``保障收入`` only starts like a qualitative value
        return -2.0 if re.search(r"\d", c) and len(c) <= 8 else 1.0
    if role == "text" or kind != "text":
        return score
    if role == "value" and len(c) > 16:
        return 0.2
    if role == "name" and looks_like_value(text):
        return 1.0
    if c.startswith("反映"):
        return {"standard": 3.0, "name": 0.5}.get(role, score)  # 指标解释: ``反映…情况``
    if role == "name" and c[-1] in "。；;！!":
        return 1.0  # a sentence reads as a target or a note more often than as an indicator's name
    if role == "name" and len(c) <= 3:
        return 0.5 if len(c) <= 2 else 1.5  # indicator names are rarely this short
    if role == "unit" and len(c) <= 3:
        return 1.5
    if role == "proj_dept" and (re.match(r"^[\[【(（]?\d{3,}", c) or re.search(r"(局|委|政府|中心|学校|办公室|站|所|院|馆|部门)$", c)):
        return 3.2
    if role == "proj_goal" and len(c) >= 12:
        return 2.5
    if role == "weight" and kind == "num":
        try:
            return 2.0 if float(c.replace(",", "")) <= 100 else -4
        except ValueError:
            return -4
    return score


def align(texts: list[str], roles: list[str], merge: bool = False) -> list[str | None]:
    """The role of each cell: the order-keeping assignment with the best fit (a cell may stay
    unassigned). With ``merge``, consecutive text cells may share the name or standard role (a
    name split at a space)."""
    n, k = len(texts), len(roles)
    kinds = [kind_of(t) for t in texts]
    NEG = float("-inf")
    # best[i][j]: best score placing the first i cells with roles < j still free (j = next role index)
    best = [[NEG] * (k + 1) for _ in range(n + 1)]
    back: list[list[tuple | None]] = [[None] * (k + 1) for _ in range(n + 1)]
    for j in range(k + 1):
        best[0][j] = 0.0 if j == 0 else NEG
    best[0][0] = 0.0
    for i in range(n):
        for j in range(k + 1):
            if best[i][j] == NEG:
                continue
            # leave the cell unassigned
            s = best[i][j] + DROP
            if s > best[i + 1][j]:
                best[i + 1][j], back[i + 1][j] = s, (i, j, None)
            # give it role r (r >= j); the same role again for text (a name split over two cells)
            for r in range(max(0, j - 1), k):
                if r == j - 1 and not (merge and roles[r] in ("name", "standard", "proj_goal") and kinds[i] == "text"):
                    continue
                if r == j - 1:  # the same role again: a name split at a space, unless a sentence ended
                    s = best[i][j] + (-2.0 if re.search(r"[。；;!！?？]$", texts[i - 1]) else 1.5)
                else:
                    s = best[i][j] + compat(roles[r], texts[i], kinds[i])
                if s > best[i + 1][r + 1]:
                    best[i + 1][r + 1], back[i + 1][r + 1] = s, (i, j, r)
    j = max(range(k + 1), key=lambda x: best[n][x])
    out: list[str | None] = [None] * n
    i = n
    while i > 0:
        pi, pj, r = back[i][j]
        out[pi] = roles[r] if r is not None else None
        i, j = pi, pj
    return out


# ------------------------------------------------------------------ reading
