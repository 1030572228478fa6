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


def warn(st: PageState, line: Row, reason: str, text: str | None = None) -> None:
    st.decl.warnings.append(Warning(line.no, (text if text is not None else line.text)[:300], reason))
