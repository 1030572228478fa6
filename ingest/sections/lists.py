"""List tables → one form per project, as rows of cells the form interpreter reads.

A list gives, per project, its name (and unit, amount, goal) and either its indicators (one row
each, ``list_rows``), its indicators packed into one cell (``list_packed``) or only its goal
(``goal_list``). Each project becomes the rows of a small form (项目名称 | …, 主管部门 | …,
年度资金总额 | …, 年度目标 | …, then the indicator header and rows), numbered with the lines the
list printed them on, so the interpreter reads values, units and categories exactly as on a form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..readers.grid import Row
from ..text import compact
from .packed import packed_indicators
from .split import Section
from .vocabulary import SUMMARY_ROWS, column_role

# the name of a unit, not of a project: 广州市交通运输局, 湖州市中医院, 深圳市交通运输局（本级）
ORGANISATION = re.compile(r"(?:局|委员会|委|厅|办公室|办|中心|院|所|站|队|馆|学校|学院|大学|医院|协会|部|处|社|会"
                          r"|政府|总队|支队|大队|分局|机关|本级)(?:\([^()]{1,40}\))?$")
_AMOUNT = re.compile(r"^-?[\d,，]+(?:\.\d+)?$")
_EMPTY = {"", "-", "—", "/", "无", "*", "**"}


@dataclass
class _Project:
    name: str
    line: int
    unit: str | None = None
    amount: str | None = None
    goal: list[str] = field(default_factory=list)
    packed: list[str] = field(default_factory=list)
    indicators: list[Row] = field(default_factory=list)

    def add_goal(self, text: str | None) -> None:
        if text and compact(text) not in _EMPTY and not any(compact(text) == compact(g) for g in self.goal):
            self.goal.append(text)


def list_projects(section: Section) -> list[list[Row]]:
    """The rows of one form per project of a list section."""
    shape = section.shape
    columns = shape.columns
    by_role: dict[str, int] = {}
    for col, role in sorted(columns.items()):
        by_role.setdefault(role, col)
    header = section.rows[shape.header_start:shape.header_rows]
    indicator_header = _indicator_header(header, shape.indicators_from) if shape.kind == "list_rows" else None
    projects: list[_Project] = []
    unit_name: str | None = None
    for row in section.rows[shape.header_rows:]:
        if not row.table:
            continue  # a title or unit line repeated on the next page
        cells = dict(row.cells)
        if row.texts and all(re.fullmatch(r"\*+|\d{1,2}", compact(t)) for t in row.texts):
            continue  # the row of column numbers
        name = _cell(cells, by_role.get("name"))
        if name is not None and column_role(name) == "name":
            continue  # the header printed again where the list goes on
        unit = _cell(cells, by_role.get("unit"))
        amount = _cell(cells, by_role.get("amount"))
        goal = _cell(cells, by_role.get("goal"))
        packed = _cell(cells, by_role.get("packed"))
        indicators = [(c, t) for c, t in row.cells if shape.indicators_from is not None and c >= shape.indicators_from]
        if name is None or compact(name).rstrip(":") in SUMMARY_ROWS or compact(name).startswith(("合计", "总计")):
            if name is None and projects and (goal or indicators or unit) and not amount:
                last = projects[-1]  # the project's rows go on (its cells broken by a page)
                if unit and last.unit and not last.unit.endswith(unit):
                    last.unit, unit_name = last.unit + unit, last.unit + unit
                _continue(last, goal, packed, indicators, row)
            continue
        if unit:
            unit_name = unit
        last = projects[-1] if projects else None
        if last is not None and compact(last.name) == compact(name) and (last.amount or "") == (amount or "") \
                and (last.unit or "") == (unit or unit_name or ""):
            _continue(last, goal, packed, indicators, row)  # the same project on its next row (merged cells)
            continue
        if not (goal or packed or indicators):
            if "unit" not in by_role and ORGANISATION.search(compact(name)):
                unit_name = name  # a unit's own row (its total): its projects follow
            continue
        project = _Project(name, row.no, unit or unit_name, amount)
        _continue(project, goal, packed, indicators, row)
        projects.append(project)
    return [_form_rows(p, section, indicator_header) for p in projects]


def _cell(cells: dict[int, str], col: int | None) -> str | None:
    if col is None:
        return None
    text = cells.get(col)
    return text if text and compact(text) not in _EMPTY else None


def _continue(project: _Project, goal: str | None, packed: str | None, indicators: list[tuple[int, str]],
              row: Row) -> None:
    project.add_goal(goal)
    if packed and packed not in project.packed:
        project.packed.append(packed)
    if indicators:
        project.indicators.append(Row(row.no, indicators, True, grid=True, page=row.page, table=row.table))


def _indicator_header(header: list[Row], start: int | None) -> list[tuple[int, str]]:
    """The indicator part of the header, one cell per column (the lowest header row's word)."""
    if start is None:
        return []
    cols: dict[int, str] = {}
    for row in header:
        for c, t in row.cells:
            if c >= start and not re.fullmatch(r"\*+|\d{1,2}", compact(t)):
                cols[c] = t  # a lower row names the column more precisely (一级指标 under 绩效指标)
    return sorted(cols.items())


def _form_rows(p: _Project, section: Section, indicator_header: list[tuple[int, str]] | None) -> list[Row]:
    no = p.line
    rows: list[Row] = [Row(no, [(0, "项目名称"), (1, p.name)])]
    if p.unit:  # the list's own unit column (the section's department is filled in later)
        rows.append(Row(no, [(0, "主管部门"), (1, p.unit)]))
    if p.amount and _AMOUNT.match(compact(p.amount)):
        label = f"年度资金总额（{section.unit}）" if section.unit else "年度资金总额"
        rows.append(Row(no, [(0, label), (1, p.amount)]))
    if p.goal:
        rows.append(Row(no, [(0, "年度目标"), (1, "".join(p.goal))]))
    if indicator_header and p.indicators:
        rows.append(Row(no, indicator_header, True, grid=True))
        rows.extend(p.indicators)
    for text in p.packed:
        rows.extend(packed_indicators(text, no))
    return rows
