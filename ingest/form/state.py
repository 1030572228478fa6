"""The interpreter's state while it reads one page of a form."""

from __future__ import annotations

from ..readers.grid import Row
from ..records import Declaration, Warning


class PageState:
    def __init__(self, decl: Declaration, header_split: int | None = None):
        self.decl = decl
        self.field: str | None = None  # narrative field receiving continuation lines
        self.in_indicators = False
        self.header_split = header_split
        self.l1: str | None = None
        self.l2 = {"实施期": None, "年度": None}
        self.fund_row = 0
        self.in_funds = False
        self.fund_columns = 1  # 2: 实施期 and 年度 side by side in every funds row
        self.fund_period: str | None = None  # the period of a one-column funds block
        self.unit: str | None = None  # the amount unit the form states (元 or 万元)
        self.table = None  # the indicator table being read (a TableReader)
        self.period_hint: str | None = None  # which period the form's single indicator column is
        self.in_footer = False  # after 注: / 审核意见: notes, not content
        self.header_cells: list[tuple[int, str]] = []
        self.two_group_header = None  # a side-by-side header whose first data row is still to come
        self.goal_keys: set[str] = set()  # which goal labels the form printed  # header words printed one per line, being gathered


def warn(st: PageState, line: Row, reason: str, text: str | None = None) -> None:
    st.decl.warnings.append(Warning(line.no, (text if text is not None else line.text)[:300], reason))
