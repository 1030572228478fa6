"""The indicator table: its header row says what each column holds; the rows are read by those roles.

Whatever the template, a header such as ``一级指标 | 二级指标 | 三级指标 | 指标性质 | 指标值 | 度量单位 |
权重`` gives an ordered list of roles. A row's categories (一级/二级, carried down over merged cells)
are taken out, and its other cells are aligned to the remaining roles by what they look like
(a comparator, a number, a unit, a name …), so rows that lost their merged cells, rows split over
several lines (one cell per line) and rows with extra columns all read the same way. Tables with
two column groups side by side (实施期 and 年度) are read row by row by ``indicators.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..readers.grid import Row
from ..records import Indicator
from ..text import HAN, clean, compact, normalise_text
from .cells import is_label_fragment
from .categories import category_of, exact_category, family, fits
from .lexicon import HEADER_PREFIX, HEADER_ROLES, OPS
from .split import split_cell
from .state import PageState, warn
from .values import looks_like_value, parse_value

# project-level columns of a list table (several projects, one row per indicator)
PROJECT_ROLES = {
    "proj_dept": ("单位名称", "预算单位", "部门名称", "主管部门"),
    "proj_name": ("项目名称",),
    "proj_amount": ("预算数", "预算金额", "资金总额", "项目金额", "年度预算数"),
    "proj_goal": ("年度目标", "绩效目标", "年度绩效目标", "项目绩效目标"),
}
INDICATOR_ROLES = ("level1", "level2", "name", "nature", "direction", "value", "unit", "weight", "standard", "past")
_ROLE_WORDS = {compact(w): role for role, words in HEADER_ROLES.items() for w in words}
_NOTE = re.compile(r"[(（][^()（）]{0,16}[)）]")
_PREFIXES = {compact(p) for p in HEADER_PREFIX}
_FURNITURE = re.compile(r"^(表|附表|附件)[一二三四五六七八九十\d]{1,4}[:：]?$|^第\d+页(共\d+页)?$")


@lru_cache(maxsize=1 << 14)
def header_role(cell: str) -> str | None:
    """The role a header cell names (``指标值`` → value, ``度量单位`` → unit), or None."""
    c = compact(cell).rstrip(":")
    if c in _ROLE_WORDS:
        return _ROLE_WORDS[c]
    bare = _NOTE.sub("", c)
    if bare in _ROLE_WORDS:
        return _ROLE_WORDS[bare]
    if re.fullmatch(r"(?:预期)?(?:19|20)\d{2}年?(?:预期|计划)?(?:实现|目标)?值", bare) or re.fullmatch(
            r"(?:年度|当年|本年度?|实施期|中期|中长期)(?:预期)?(?:指标|目标)?值", bare):
        return "value"
    if re.search(r"实际(?:实现|完成)?值|^得分$|自评", bare):
        return "past"
    return None


def period_hint(text: str) -> str | None:
    c = compact(text)
    if re.search(r"实施期|中期|中长期|长期|滚动", c):
        return "实施期"
    if re.search(r"年度|本年|当年|预期(?:19|20)\d{2}年|(?:19|20)\d{2}年(?:预期|目标|计划)", c):
        return "年度"
    return None


@dataclass
class Header:
    """An indicator table's header: the role of each column, in order."""
    roles: list[str]
    cols: list[int]
    line: int
    period: str | None = None  # the single value column's period, when the header says it
    groups: int = 1  # 2: 实施期 and 年度 side by side
    grid: bool = False  # cols are the table's own column numbers (positions can be trusted)
    split_col: int | None = None  # where the second group starts
    prefix: list[str] = field(default_factory=list)  # cells before the header words (绩效指标, 本年度)

    @property
    def list_table(self) -> bool:
        return any(r.startswith("proj_") for r in self.roles)


def find_header(row: Row, list_roles: bool = True) -> Header | None:
    """The indicator table header in a row (its words possibly run together), or None."""
    roles, cols, prefix = [], [], []
    period = None
    for col, text in row.cells:
        pieces = split_cell(text, table_only=True)
        for piece in pieces:
            role = header_role(piece)
            if role is None and list_roles:
                c = compact(piece)
                role = next((r for r, words in PROJECT_ROLES.items() if c in words), None)
            if role is None:
                if not roles and compact(piece) in {compact(p) for p in HEADER_PREFIX} | {"本年度", "年度", "中长期"}:
                    prefix.append(piece)
                    period = period or period_hint(piece)
                    continue
                if roles and compact(piece) and not HAN.search(piece):
                    continue
                if not roles:
                    prefix.append(piece)
                    continue
                roles.append("other")
                cols.append(col)
                continue
            if role == "value":
                period = period_hint(piece) or period
            roles.append(role)
            cols.append(col)
    core = {r for r in roles if r in ("level1", "level2", "name", "value")}
    if len(core) < 2 or ("name" not in core and "value" not in core) or ("level2" not in core and "name" not in core):
        return None
    if any(r.startswith("proj_") for r in roles) and "proj_name" not in roles:
        roles = [r if not r.startswith("proj_") else "other" for r in roles]
    if "value" not in roles and "other" in roles[roles.index("name") + 1:] if "name" in roles else False:
        # one value column per place (``笏石街道办 | 埭头镇``): the first is read as the value
        roles[roles.index("other", roles.index("name") + 1)] = "value"
    if "name" not in roles and "value" in roles:
        at = max([i + 1 for i, r in enumerate(roles) if r in ("level1", "level2")] or [0])
        roles.insert(at, "name")
        cols.insert(at, cols[at - 1] if at else 0)
    h = Header(roles, cols, row.no, period, prefix=prefix, grid=row.grid and len(cols) == len(set(cols)))
    names = [i for i, r in enumerate(roles) if r == "name"]
    values = [i for i, r in enumerate(roles) if r == "value"]
    if len(names) >= 2 or (len(values) >= 2 and roles.count("level2") >= 2):
        h.groups = 2
        level2 = [cols[i] for i, r in enumerate(roles) if r == "level2"]
        h.split_col = level2[1] if len(level2) >= 2 else cols[values[0]] + 1
    for p in prefix:
        h.period = h.period or period_hint(p)
    return h


def extend_header(h: Header, row: Row) -> bool:
    """A sub-header row under the header (``2021年实际实现值 | 预期2022年实现值``): merged into it."""
    roles = [header_role(t) for t in row.texts]
    if not roles or any(r is None for r in roles) or not all(r in ("value", "past") for r in roles):
        return False
    at = next((i for i, r in enumerate(h.roles) if r == "value"), len(h.roles))
    h.roles[at:at + 1] = roles
    h.cols[at:at + 1] = [h.cols[at] if at < len(h.cols) else 0] * len(roles)
    for t, r in zip(row.texts, roles):
        if r == "value":
            h.period = period_hint(t) or h.period
    return True


# ------------------------------------------------------------------ cell kinds

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

@dataclass
class _Cell:
    text: str
    line: int
    row: int
    exact: bool
    col: int | None = None  # the cell's column in the table's own grid, where the reader knows it


class TableReader:
    """Reads the rows of one single-group indicator table (or a list table) into indicators."""

    def __init__(self, st: PageState, header: Header, period: str, group_periods: tuple[str, str] | None = None):
        self.st = st
        self.header = header
        self.period = period
        self.group_periods = group_periods
        self.l2_run = 0  # 二级 categories printed in a row with nothing between (one per column group)
        self.cells: list[_Cell] = []
        self.rows = 0
        self.content_roles = [r for r in header.roles if r not in ("level1", "level2")]
        self.l1: str | None = None
        self.l2: str | None = None
        self.on_project = None  # list tables: called with (dept, name, amount, goal, line) for a new project

    def feed(self, row: Row) -> None:
        for col, text in row.cells:
            c = compact(text)
            if _FURNITURE.match(c) or c in _PREFIXES or is_label_fragment(text):
                continue  # page furniture, the 绩效指标 label of the table's first column
            pieces = split_cell(text, table_only=True)
            for piece in pieces:
                # a line printed without separators and cut at its categories: its one content cell
                # may hold several cells (名称 反映…情况 值 名称 …)
                content = [t for _, t in row.cells if category_of(t) is None]
                tokens = tokenise_run_together(piece) if len(content) == 1 < len(row.cells) else [piece]
                if len(tokens) == 1:
                    tokens = split_items(piece)
                if len(tokens) == 1:
                    grid_col = col if row.grid and self.header.grid and len(pieces) == 1 else None
                    self.cells.append(_Cell(piece, row.no, self.rows, row.exact, grid_col))
                    continue
                for token in tokens:  # cut from one cell: a stream, like cells printed one per line
                    self.rows += 1
                    self.cells.append(_Cell(token, row.no, self.rows, False))
        self.rows += 1

    # -- categories

    @staticmethod
    def _is_category(cell: _Cell, nxt: _Cell | None) -> tuple[str, str] | None:
        cat = category_of(cell.text)
        if cat is None:
            return None
        kind, name = cat
        if kind == "l2?":
            # a bare stem (服务对象满意度) is a category only when a name, not a value, follows
            if nxt is None or kind_of(nxt.text) != "text" or category_of(nxt.text) is not None:
                return None
            kind = "l2"
        if name == "成本指标":
            following = category_of(nxt.text) if nxt is not None else None
            kind = "l1" if following and following[1] in ("经济成本指标", "社会成本指标", "生态环境成本指标") else "l2"
        return kind, name

    def _category(self, kind: str, name: str) -> None:
        self.l2_run = self.l2_run + 1 if kind != "l1" else 0
        if kind == "l1":
            if self.l1 == name and self.l2 is None and self._since_l1 == 0:
                self.l2 = name  # ``满意度指标 | 满意度指标``: the second is the 二级 category
            elif self.l1 is None and self.l2 is not None and family(self.l2) == name:
                self.l1 = name  # printed in the middle of its merged cell: the 二级 group goes on
            else:
                self.l1, self.l2 = name, None
                self._since_l1 = 0
            return
        self.l2 = name
        own = family(name)
        if self.l1 is not None and not fits(self.l1, name) and own:
            self.l1 = own

    def _join_split_categories(self) -> None:
        out: list[_Cell] = []
        for cell in self.cells:
            prev = out[-1] if out else None
            if prev is not None:
                joined = prev.text + cell.text
                cat = exact_category(joined)
                own = category_of(cell.text)
                if cat is not None and (
                        compact(cell.text) == "指标" or own is None or (category_of(prev.text) is None
                                                                       and len(compact(prev.text)) <= 6)):
                    out[-1] = _Cell(joined, prev.line, prev.row, prev.exact)
                    continue
            out.append(cell)
        self.cells = out

    def read(self) -> None:
        self._since_l1 = 0
        self._join_split_categories()
        start = len(self.st.decl.indicators)
        self._read_all()
        # a 一级 category printed in the middle of its merged cell: rows above it in the same 二级 group
        for decl in {id(d): d for d in self._decls}.values():
            mine = [i for i in decl.indicators[start if decl is self.st.decl else 0:]]
            below = None
            for ind in reversed(mine):
                if ind.level1 is None and below is not None and below.level2 == ind.level2 and below.level1:
                    ind.level1 = below.level1
                below = ind
            decl.settled.update(id(i) for i in mine)

    def _read_all(self) -> None:
        self._decls = [self.st.decl]
        if self.header.list_table:
            self._read_list()
            return
        if self.group_periods:
            roles = self.header.roles
            second = [i for i, r in enumerate(roles) if r == "name"][1:2]
            self.content_roles = [r for r in roles[:second[0]] if r not in ("level1", "level2")] if second else \
                self.content_roles
        cells = self.cells
        run: list[_Cell] = []
        for i, cell in enumerate(cells):
            nxt = cells[i + 1] if i + 1 < len(cells) else None
            cat = self._is_category(cell, nxt)
            if cat is not None:
                self._read_run(run)
                run = []
                self._category(*cat)
                continue
            run.append(cell)
        self._read_run(run)

    def _read_list(self) -> None:
        """A list table, row by row: the project's cells (before the categories) start a project,
        the cells after them are its indicator."""
        project_roles = [r for r in self.header.roles if r.startswith("proj_")]
        indicator_roles = [r for r in self.content_roles if not r.startswith("proj_")]
        rows: dict[int, list[_Cell]] = {}
        for c in self.cells:
            rows.setdefault(c.row, []).append(c)
        for cells in rows.values():
            first_cat = next((i for i, c in enumerate(cells) if category_of(c.text) is not None), None)
            head = cells[:first_cat] if first_cat is not None else []
            if head:
                texts = [c.text for c in head]
                parts: dict[str, list[str]] = {}
                for t, r in zip(texts, align(texts, project_roles)):
                    if r is not None:
                        parts.setdefault(r, []).append(t)
                if "proj_name" in parts and self.on_project:
                    self.on_project(parts, head[0].line)
            rest = cells[len(head):]
            run: list[_Cell] = []
            for i, cell in enumerate(rest):
                cat = self._is_category(cell, rest[i + 1] if i + 1 < len(rest) else None)
                if cat is not None:
                    self._category(*cat)
                    continue
                run.append(cell)
            if run:
                saved, self.content_roles = self.content_roles, indicator_roles
                self._flush(run)
                self.content_roles = saved

    def _read_run(self, run: list[_Cell]) -> None:
        """Content cells between two categories: one indicator per table row or printed line; cells
        printed one per line are cut into indicators where the cut fits the columns best."""
        i = 0
        while i < len(run):
            j = i + 1
            while j < len(run) and run[j].row == run[i].row:
                j += 1
            if j - i >= 2 or (run[i].exact and self._row_cells(run[i].row) >= 2):
                self._flush(run[i:j])
                i = j
                continue
            k = i  # a stream of single cells, up to the next row of several cells
            while k < len(run) and self._row_cells(run[k].row) == 1:
                k += 1
            stream = run[i:max(k, i + 1)]
            for start in range(0, len(stream), MAX_STREAM):  # bounded work on pathological input
                for record in self._segment(stream[start:start + MAX_STREAM]):
                    self._flush(record)
            i = max(k, i + 1)

    def _row_cells(self, row: int) -> int:
        counts = self.__dict__.get("_counts")
        if counts is None:
            counts = self._counts = {}
            for c in self.cells:
                counts[c.row] = counts.get(c.row, 0) + 1
        return counts.get(row, 0)

    def _segment(self, cells: list[_Cell]) -> list[list[_Cell]]:
        """Cut a stream of cells into indicators: the cut whose records best fit the columns."""
        longest = len(self.content_roles) + 2
        n = len(cells)
        best = [float("-inf")] * (n + 1)
        back = [0] * (n + 1)
        best[0] = 0.0
        for end in range(1, n + 1):
            for start in range(max(0, end - longest), end):
                if best[start] == float("-inf"):
                    continue
                s = best[start] + self._record_score(tuple(c.text for c in cells[start:end]))
                if s > best[end]:
                    best[end], back[end] = s, start
        out: list[list[_Cell]] = []
        end = n
        while end > 0:
            out.append(cells[back[end]:end])
            end = back[end]
        return out[::-1]

    def _record_score(self, texts: tuple[str, ...]) -> float:
        cache = self.__dict__.setdefault("_scores", {})
        if texts not in cache:
            roles = align(list(texts), self.content_roles)
            score = sum(compat(r, t, kind_of(t)) if r else DROP for r, t in zip(roles, texts))
            if "name" not in roles:
                score -= 8.0
            if "value" not in roles and not any(compact(t) == "定性" for t in texts):
                score -= 2.5  # an indicator without a target value, unless the form says it is qualitative
            cache[texts] = score - 0.5
        return cache[texts]

    def _flush(self, record: list[_Cell]) -> None:
        if not record:
            return
        texts = [c.text for c in record]
        # cells of one line that a space split may belong together; cells of a table row or of
        # separate lines do not
        merge = len({c.row for c in record}) == 1 and not record[0].exact
        roles = self._by_column(record) or align(texts, self.content_roles, merge)
        parts: dict[str, list[str]] = {}
        for t, r in zip(texts, roles):
            if r is not None:
                parts.setdefault(r, []).append(t)
        self._since_l1 += 1
        if self.header.list_table and "proj_name" in parts and self.on_project:
            self.on_project(parts, record[0].line)
        names = parts.get("name")
        if not names and len(texts) == 1:
            # a name and its value printed without a separator (``校舍维修改造质量合格率100%``)
            one = normalise_text(texts[0]).rstrip("。；;")
            split = _VALUE_TAIL.match(one) or _QUALITATIVE_TAIL.match(compact(one))
            if split and len(split.group("name")) >= 4 and not self._numbered(split.group("name")):
                names, parts = [split.group("name")], {"name": [split.group("name")], "value": [split.group("value")]}
        if not names:
            dropped = [t for t, r in zip(texts, roles) if r is None or r == "value"]
            if dropped and not self.header.list_table:
                warn(self.st, Row(record[0].line, []), "指标值没有对应的指标名称：已跳过", " | ".join(dropped))
            return
        name = clean("".join(names) if all(HAN.search(n[-1:] or "") for n in names[:-1]) else " ".join(names))
        value = "".join(parts.get("value", [])) or None
        if value is None:
            bare = normalise_text(name).rstrip("。；;")
            split = _VALUE_TAIL.match(bare) or _QUALITATIVE_TAIL.match(compact(bare))
            if split and len(split.group("name")) >= 2 and not self._numbered(split.group("name")):
                name, value = split.group("name").strip(), split.group("value").replace(" ", "")
        nature = " ".join(parts.get("nature", []) + parts.get("direction", [])) or None
        ops = [t for t in parts.get("nature", []) + parts.get("direction", []) if kind_of(t) == "op"]
        if value is not None and ops and not re.match(r"^(≥|≤|>|<|=|≧|≦|═|＝)", value):
            value = ops[0] + value
        unit = "".join(parts.get("unit", [])) or None
        if value is not None and unit and not value.endswith(unit):
            value += unit
        if ops and nature:
            nature = " ".join(t for t in nature.split() if kind_of(t) != "op") or None
        weight = None
        if parts.get("weight"):
            try:
                weight = float(parts["weight"][0].replace(",", ""))
            except ValueError:
                weight = None
        standard = " ".join(parts.get("standard", [])) or None
        op, number, parsed_unit = parse_value(value)
        period = self.period
        if self.group_periods:
            period = self.group_periods[1 if self.l2_run >= 2 else 0]
        ind = Indicator(period, self.l1, self.l2, name, value, op, number, parsed_unit or (unit if number else None),
                        record[0].line, weight, nature, standard)
        if value is None:
            warn(self.st, Row(record[0].line, []), f"{period}指标“{name}”没有指标值")
        self.st.decl.indicators.append(ind)
        if self.st.decl is not self._decls[-1]:
            self._decls.append(self.st.decl)

    def _by_column(self, record: list[_Cell]) -> list[str | None] | None:
        """The role of each cell by its column, when the table's grid is known and the cells fit it."""
        if not self.header.grid or any(c.col is None for c in record):
            return None
        starts = sorted(zip(self.header.cols, self.header.roles))
        roles = []
        for c in record:
            role = None
            for start, r in starts:
                if start <= c.col:
                    role = r
            roles.append(role if role in self.content_roles else None)
        kinds = [kind_of(c.text) for c in record]
        if any(r is not None and compat(r, c.text, k) <= -4 for r, c, k in zip(roles, record, kinds)):
            return None  # the cells do not sit under their headers: read them by what they look like
        return roles

    @staticmethod
    def _numbered(name: str) -> bool:
        return bool(re.fullmatch(r"(指标)?\d+[:：.、]?", compact(name)))


def op_symbol(text: str) -> str | None:
    return OPS.get(compact(text))
