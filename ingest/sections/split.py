"""A whole document cut into sections: its project forms and project lists, each with the title,
unit and department printed above it. Budget tables, narrative, tables of contents and
department-wide forms are recognised and left out.

The rows of one table (a table continued over pages included) stay together; a line of text
between them (the title repeated on the next page) belongs to that table. Around the tables,
lines of text are titles (a form's, a budget table's, a department-wide form's), headings of the
narrative, short lines naming the unit or the department, or prose. A form printed without rules
is a run of lines that starts with its title or 项目名称 and ends at the next heading or title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..readers.grid import Row
from ..text import compact
from ..form.categories import category_of
from ..form.fields import unit_in
from ..form.header import find_header
from ..form.labels import match_label
from ..form.pages import is_name_line
from ..form.values import fund_label_of
from .tables import LIST_KINDS, Shape, table_shape
from .vocabulary import DEPT_LINE, DEPT_TITLE, FORM_TITLE, HEADING, OTHER_TITLE, TOC_ENTRY


@dataclass
class Section:
    kind: str  # "form" or one of LIST_KINDS
    rows: list[Row]
    shape: Shape | None = None
    title: str | None = None
    unit: str | None = None  # the amount unit printed above it (单位：万元)
    dept: str | None = None  # the department printed above it (部门名称：…)


@dataclass
class _Unit:
    rows: list[Row]
    table: int = 0  # the table's number, 0 for a line of text

    @property
    def line(self) -> Row:
        return self.rows[0]


@dataclass
class _Context:
    title: str | None = None
    kind: str | None = None  # the kind of the last title: form, dept, other
    unit: str | None = None
    dept: str | None = None
    pending: list[Row] = field(default_factory=list)  # lines waiting for the form they head


def units(rows: list[Row]) -> list[_Unit]:
    """Rows grouped by table; a line of text between two parts of the same table joins it."""
    out: list[_Unit] = []
    last_table: _Unit | None = None
    since: list[_Unit] = []
    for row in rows:
        if row.table:
            if last_table is not None and last_table.table == row.table:
                for u in since:
                    last_table.rows.extend(u.rows)
                del out[len(out) - len(since):]
                last_table.rows.append(row)
                since = []
                continue
            last_table = _Unit([row], row.table)
            out.append(last_table)
            since = []
        else:
            u = _Unit([row])
            out.append(u)
            since.append(u)
    return out


def line_kind(row: Row) -> str:
    """What a line of text outside the tables is: form_title, dept_title, other_title, heading,
    toc, meta (unit or department), form (a row of a form printed without rules) or prose."""
    text = compact(" ".join(row.texts))
    if not text:
        return "prose"
    if TOC_ENTRY.search(text):
        return "toc"
    bare = re.sub(r"^(?:[一二三四五六七八九十\d]{1,3}[、.．]|[(（][一二三四五六七八九十\d]{1,3}[)）])", "", text)
    bare = re.sub(r"[(（][^()（）]{1,12}[)）]$|(?:19|20)\d{2}年度?$", "", bare)  # (2026年度), (含转移支付)
    if len(bare) <= 60:
        if DEPT_TITLE.search(bare) and "项目" not in bare:
            return "dept_title"
        if FORM_TITLE.search(bare):
            return "form_title"
        if OTHER_TITLE.search(bare) and "绩效" not in bare and len(bare) >= 2:
            return "other_title"
    if len(text) <= 40 and (unit_in(text) or DEPT_LINE.match(text) or re.fullmatch(r"[(（]?(?:19|20)\d{2}年度?[)）]?", text)):
        return "meta"
    if len(text) <= 30 and HEADING.match(text) and not re.search(r"[。；;]$", text):
        return "heading"
    if is_name_line(row) or _form_line(row):
        return "form"
    return "prose"


def _form_line(row: Row) -> bool:
    texts = row.texts
    if len(texts) >= 2 and any(category_of(t) is not None for t in texts[:4]):
        return True
    if len(texts) >= 3 and find_header(row, list_roles=False) is not None:
        return True
    hit = match_label(texts[:3])
    if hit is not None and (len(texts) >= 2 or hit.rest):
        return True
    return len(texts) >= 2 and fund_label_of(texts[0]) is not None and bool(re.search(r"\d", texts[1]))


def sections(rows: list[Row]) -> list[Section]:
    """The project forms and project lists of a document, in order."""
    out: list[Section] = []
    ctx = _Context()
    current: Section | None = None
    free_form = False  # the current form is being read from lines of text

    def close() -> None:
        nonlocal current, free_form
        if current is not None:
            out.append(current)
        current, free_form = None, False

    for unit in units(rows):
        if not unit.table:
            row = unit.line
            kind = line_kind(row)
            if kind == "form_title":
                close()
                ctx.kind, ctx.title, ctx.pending = "form", " ".join(row.texts), [row]
            elif kind == "dept_title":
                close()
                ctx.kind, ctx.title, ctx.pending = "dept", " ".join(row.texts), []
            elif kind in ("other_title", "heading", "toc"):
                close()
                ctx.kind, ctx.title, ctx.pending = "other", " ".join(row.texts), []
            elif kind == "meta":
                _meta(ctx, row)
                (current.rows if free_form and current is not None else ctx.pending).append(row)
            elif kind == "form" and ctx.kind != "dept":
                if current is None or not free_form or (is_name_line(row) and _named(current)):
                    close()
                    current = Section("form", ctx.pending + [row], None, ctx.title, ctx.unit, ctx.dept)
                    ctx.pending, free_form = [], True
                else:
                    current.rows.append(row)
            elif free_form and current is not None:
                current.rows.append(row)  # a goal or narrative paragraph of a form printed without rules
            elif kind == "prose" and current is not None and not free_form:
                close()  # narrative after a form's tables
            continue
        shape = table_shape(unit.rows, ctx.kind)
        if shape.kind in LIST_KINDS:
            close()
            prev = out[-1] if out else None
            if prev is not None and prev.kind == shape.kind and prev.shape is not None and \
                    sorted(prev.shape.columns.values()) == sorted(shape.columns.values()) and prev.title == ctx.title:
                prev.rows.extend(unit.rows)  # the list goes on in a table of its own on the next page
            else:
                out.append(Section(shape.kind, unit.rows, shape, ctx.title, shape.unit or ctx.unit, ctx.dept))
            ctx.pending = []
        elif shape.kind == "form":
            has_name = any(is_name_line(r) for r in unit.rows[:6])
            if current is not None and current.kind == "form" and not has_name:
                # a form printed as several tables, or its top printed as lines and its grid as a table
                current.rows.extend(unit.rows)
                free_form = False
            else:
                close()
                current = Section("form", ctx.pending + unit.rows, None, ctx.title, ctx.unit, ctx.dept)
            ctx.pending = []
        else:
            close()
            ctx.kind, ctx.pending = shape.kind if shape.kind == "dept" else "other", []
    close()
    return out


def _named(section: Section) -> bool:
    return any(is_name_line(r) for r in section.rows)


def _meta(ctx: _Context, row: Row) -> None:
    text = " ".join(row.texts)
    unit = unit_in(compact(text))
    if unit:
        ctx.unit = unit
    for t in row.texts:
        m = DEPT_LINE.match(compact(t))
        if m:
            ctx.dept = m.group(1)
