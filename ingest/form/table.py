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
from dataclasses import dataclass

from ..readers.grid import Row
from ..records import Indicator
from ..text import HAN, clean, compact, normalise_text
from .align import (DROP, MAX_STREAM, _QUALITATIVE_TAIL, _VALUE_TAIL, align, compat, kind_of, split_items,
                    tokenise_run_together)
from .categories import category_of, exact_category, family, fits
from .cells import is_label_fragment, only_header_words
from .header import Header
from .lexicon import HEADER_PREFIX
from .split import split_cell
from .state import PageState, warn
from .values import parse_value

_PREFIXES = {compact(p) for p in HEADER_PREFIX}
_WRAPPED = re.compile(r"^[（(]\s*([≥≤<>=＝≧≦＞＜]\s*[\d.]+[^（()）]{0,8})\s*[）)]$")
_WHOLE_CELL_ROLES = ("standard", "past", "nature", "direction", "weight", "unit")
_FURNITURE = re.compile(r"^(表|附表|附件)[一二三四五六七八九十\d]{1,4}[:：]?$|^第\d+页(共\d+页)?$")


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
            text = _WRAPPED.sub(r"\1", text.strip())  # a value printed in brackets: （≥95%）
            c = compact(text)
            if _FURNITURE.match(c) or c in _PREFIXES or is_label_fragment(text):
                continue  # page furniture, the 绩效指标 label of the table's first column
            if row.grid and self.header.grid and self._role_at(col) in _WHOLE_CELL_ROLES:
                # a real table's 评分标准 / 指标值内容 cell is one cell, whatever it says
                self.cells.append(_Cell(text, row.no, self.rows, row.exact, col))
                continue
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

    def _role_at(self, col: int) -> str | None:
        role = None
        for start, r in sorted(zip(self.header.cols, self.header.roles)):
            if start <= col:
                role = r
        return role

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
            named = cell.col is not None and self._role_at(cell.col) in ("name", "value")
            cat = None if named else self._is_category(cell, nxt)  # 三级指标 printed as 服务对象满意度指标
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
        if not name:
            return  # markup or debris only
        if only_header_words(name):  # ``一级指标二级指标指标内容指标值备注``: a header row run together
            warn(self.st, Row(record[0].line, []), "表头文字不是指标：已跳过", name)
            return
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
