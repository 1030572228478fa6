"""What a table of a budget document is, from its header and its rows.

- ``list_rows``: one row per indicator, each project's name (amount, goal) in its first columns
  (单位（项目）名称 | 资金总额 | 绩效目标 | 一级指标 | 二级指标 | 三级指标 | 指标值 …);
- ``list_packed``: one row per project, its indicators packed into one cell (绩效指标);
- ``goal_list``: one row per project with its goal paragraph (项目名称 | 预算数 | 绩效目标);
- ``form``: a project form (项目名称, funds, goal, indicator grid), or a part of one;
- ``dept``: a department-wide form (部门整体支出绩效目标表);
- ``other``: budget tables and anything else, never a declaration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..readers.grid import Row
from ..text import compact
from ..form.categories import category_of
from ..form.fields import unit_in
from ..form.header import find_header, header_role
from ..form.labels import match_label
from ..form.pages import is_name_line
from .vocabulary import DEPT_FORM_LABELS, column_role, unit_note

LIST_KINDS = ("list_rows", "list_packed", "goal_list")
_INDICATOR_CORE = ("level1", "level2", "name", "value")
_COLUMN_NUMBERS = re.compile(r"^(?:\*+|\d{1,2}|[栏列]次|[a-zA-Z])$")


@dataclass
class Shape:
    kind: str
    header_rows: int = 0  # rows of the table up to the end of its header (a title printed inside it included)
    header_start: int = 0  # the header's first row
    columns: dict[int, str] = field(default_factory=dict)  # column → list role (name, unit, amount, goal …)
    indicators_from: int | None = None  # list_rows: the first column of the indicator part
    unit: str | None = None  # the amount unit a header cell names


def _header_like(row: Row) -> bool:
    texts = row.texts
    if not texts:
        return False
    if all(_COLUMN_NUMBERS.match(compact(t)) for t in texts):
        return True  # the row of column numbers under a header (** | ** | 1 | 2 …)
    roles = sum(1 for t in texts if column_role(t) or header_role(t))
    numbers = sum(1 for t in texts if re.fullmatch(r"[\d,.\-\s]+", t))
    return roles >= 2 and numbers == 0


def list_shape(rows: list[Row]) -> Shape | None:
    """The list table's shape when its header names a project column and goal or indicator columns."""
    head: list[Row] = []
    start = 0
    for k, row in enumerate(rows[:6]):
        if _header_like(row):
            if not head:
                start = k
            head.append(row)
        elif head:
            break
    if not head:
        return None
    unit = None
    for row in rows[:start]:  # a title or 金额单位 printed inside the table, above its header
        unit = unit or unit_in(compact(" ".join(row.texts)))
    columns: dict[int, str] = {}
    indicator: dict[int, str] = {}
    for row in head:
        for col, text in row.cells:
            unit = unit or unit_note(text)
            role = column_role(text)
            ind = header_role(text)
            if ind is not None and role not in ("name", "goal", "packed", "amount", "unit") or (
                    ind in _INDICATOR_CORE and role in (None, "packed")):
                indicator[col] = ind
                columns.pop(col, None)
            elif role is not None and col not in indicator:
                columns.setdefault(col, role)
    roles = set(columns.values())
    if "name" not in roles:
        return None
    n = start + len(head)
    core = {r for r in indicator.values() if r in _INDICATOR_CORE}
    if len(core) >= 2:
        first = min(c for c, r in indicator.items() if r in _INDICATOR_CORE)
        return Shape("list_rows", n, start, {c: r for c, r in columns.items() if c < first}, first, unit)
    if "packed" in roles:
        return Shape("list_packed", n, start, columns, None, unit)
    if "goal" in roles:
        return Shape("goal_list", n, start, columns, None, unit)
    return None


def table_shape(rows: list[Row], context: str | None = None) -> Shape:
    """What a table is (see the module's text). ``context`` is the kind of the title above it."""
    listed = list_shape(rows)
    if listed is not None:
        return listed
    has_name = False
    labels = indicator_rows = dept_labels = 0
    for row in rows[:80]:
        texts = row.texts
        if not texts:
            continue
        if is_name_line(row):
            has_name = True
        first = compact(texts[0]).rstrip(":")
        if first in DEPT_FORM_LABELS:
            dept_labels += 1
        if match_label(texts[:3]) is not None:
            labels += 1
        if len(texts) >= 2 and any(category_of(t) is not None for t in texts[:4]):
            indicator_rows += 1
    if has_name:
        return Shape("form")
    if dept_labels and (context == "dept" or dept_labels >= 2):
        return Shape("dept")
    if context == "dept":
        return Shape("dept")
    if indicator_rows >= 2 or labels >= 2:
        return Shape("form")
    # an indicator grid's header over rows (a form's grid printed as a table of its own)
    if len(rows) >= 2 and any(len(r.texts) >= 3 and find_header(r, list_roles=False) is not None for r in rows[:3]):
        return Shape("form")
    return Shape("other")
