"""An indicator table's header row: which role each column holds (一级指标 → level1, 指标值 → value,
度量单位 → unit …), across templates, including list tables (项目名称 | 预算数 | … per row)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ..readers.grid import Row
from ..text import HAN, compact
from .lexicon import HEADER_PREFIX, HEADER_ROLES
from .split import split_cell

PROJECT_ROLES = {
    "proj_dept": ("单位名称", "预算单位", "部门名称", "主管部门"),
    "proj_name": ("项目名称",),
    "proj_amount": ("预算数", "预算金额", "资金总额", "项目金额", "年度预算数"),
    "proj_goal": ("年度目标", "绩效目标", "年度绩效目标", "项目绩效目标"),
}
_ROLE_WORDS = {compact(w): role for role, words in HEADER_ROLES.items() for w in words}
_NOTE = re.compile(r"[(（][^()（）]{0,16}[)）]")


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
    texts = row.texts
    # most rows are no header: two header words, or header words run together, or nothing to do
    if sum(header_role(t) is not None for t in texts) < 2 and not any(t.count("指标") >= 2 for t in texts):
        return None
    found = _find_header(tuple(row.cells), row.grid, list_roles)
    if found is None:
        return None
    return replace(found, roles=list(found.roles), cols=list(found.cols), prefix=list(found.prefix), line=row.no)


_PREFIX_SET = {compact(p) for p in HEADER_PREFIX} | {"本年度", "年度", "中长期"}


@lru_cache(maxsize=1 << 14)
def _find_header(cells: tuple, grid: bool, list_roles: bool) -> Header | None:
    row = Row(0, list(cells), grid=grid)
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
                if not roles and compact(piece) in _PREFIX_SET:
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
        h.split_col = level2[1] if len(level2) >= 2 else (cols[values[0]] + 1 if values else cols[names[1]])
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
