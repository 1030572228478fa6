"""The interpreter: a document's rows → declarations (pure: rows in, records out).

1. Cells printed without separators are split at the labels they contain; a label alone on its
   line (one cell per line) takes the cell after it as its value.
2. The rows are cut into pages at each 项目名称; a page repeating the same project is merged into it.
   A list table (several projects, one row per indicator) yields one declaration per project.
3. Each page is read row by row: labels and their values, the funds block (amounts in 元, the unit
   read from the cell, its label or the form's 单位 line), the narrative, and the indicator table,
   read by the roles its header row gives (``table.py``).
Anything that cannot be placed becomes a warning with its line number.
"""

from __future__ import annotations

import re

from ..readers.grid import Document, Row
from ..records import NARRATIVE_FIELDS, Declaration, NoDeclarations, ParseError, ParseResult, Warning
from ..text import HAN, clean, compact
from .categories import category_of
from .cells import is_noise
from .fields import _is_signature_cell, apply_label, has_signature, parse_funds_line, parse_signature, split_code, unit_in
from .finish import finish, guess_unit
from .header import Header, extend_header, find_header, header_role, period_hint
from .indicators import looks_like_indicator_row, parse_indicator_row
from .labels import match_label
from .pages import (FOOTER, PREFIX_WORDS, Page, attach_values, drop_repeats, join_broken_labels, merge, page_title,
                    same_project, split_pages, split_row, year_in)
from .state import PageState, warn
from .table import TableReader
from .values import fund_label_of, parse_amount


def interpret(doc: Document) -> ParseResult:
    """Read the declarations in a document's rows.

    Raises :class:`ParseError` only when no form at all is found; everything else degrades to
    warnings.
    """
    rows = attach_values([part for r in join_broken_labels(doc.rows) for part in split_row(r)])
    pages = split_pages(rows)
    file_warnings: list[Warning] = []
    if not pages:
        raise NoDeclarations("no declaration found (no 项目名称 line): 未找到申报表（没有“项目名称”）", None)
    declarations: list[Declaration] = []
    for page in pages:
        for decl in (_parse_list_page(page) if page.list_header else [_parse_page(page)]):
            prev = declarations[-1] if declarations else None
            if prev is not None and not page.list_header and same_project(prev, decl):
                merge(prev, decl)
            else:
                declarations.append(decl)
    kept = []
    for d in declarations:
        finish(d)
        if d.name is None and not d.indicators and not (d.dept_name or any(getattr(d, f) for f in NARRATIVE_FIELDS)):
            # an allocation list or a notice with amounts, not a form
            file_warnings.append(Warning(d.first_line, "", "没有项目名称和绩效指标的内容（如资金分配表）：未作为申报表保存"))
            continue
        kept.append(d)
    if not kept:
        raise NoDeclarations("no declaration found (no 项目名称 line): 未找到申报表（没有“项目名称”）", None)
    return ParseResult(drop_repeats(kept, file_warnings), file_warnings, doc.reader)


# ------------------------------------------------------------------ preparing rows

def _parse_page(page: Page) -> Declaration:
    d = Declaration(title=page.title, year=page.year or (year_in(page.title) if page.title else None))
    d.first_line = page.lines[0].no
    d.last_line = page.lines[-1].no
    st = PageState(d, None)
    st.unit = page.unit
    for line in page.lines:
        try:
            _parse_line(st, line)
        except Exception as e:  # a parser bug must not lose the form: record and go on
            d.warnings.append(Warning(line.no, line.text[:200], f"internal error（解析器内部错误，该行已跳过）: {type(e).__name__}: {e}"))
    if st.header_cells:
        for no, t in st.header_cells:
            warn(st, Row(no, [(0, t)]), "未能识别的行：原文保留在源文件中")
    _end_table(st)
    if d.funds:
        d.amount_unit = st.unit
        if st.unit is None:
            guess_unit(d)
    return d


def _parse_list_page(page: Page) -> list[Declaration]:
    """A list table: one row per indicator, the project's columns filled on its first row."""
    out: list[Declaration] = []
    context = {"dept": None, "code": None}
    first = page.list_header.line
    st = PageState(Declaration(title=page.title, year=page.year, first_line=first, last_line=first))
    st.unit = page.unit
    reader = TableReader(st, page.list_header, page.list_header.period or "年度")

    def on_project(parts: dict, line: int) -> None:
        name = clean(" ".join(parts["proj_name"]))
        if out and out[-1].name == name:
            return  # the project's cells merged over its rows, repeated on each (a spreadsheet export)
        d = Declaration(title=page.title, year=page.year, first_line=line, last_line=line)
        dept = " ".join(parts.get("proj_dept", [])) or None
        if dept:
            context["code"], context["dept"] = split_code(dept)
        d.dept_code, d.dept_name = context["code"], context["dept"]
        d.name = name
        if parts.get("proj_amount"):
            amount = parse_amount(parts["proj_amount"][0], st.unit)
            if amount is not None:
                d.funds[("年度", "total")] = amount[0]
                d.funds_printed[("年度", "total")] = parts["proj_amount"][0]
                d.amount_unit = st.unit or "元"
        if parts.get("proj_goal"):
            d.goal_annual = clean(" ".join(parts["proj_goal"]))
        out.append(d)
        st.decl = d

    reader.on_project = on_project
    for line in page.lines:
        reader.feed(line)
    reader.read()
    for d in out:
        lines = [i.line for i in d.indicators] or [d.first_line]
        d.last_line = max(lines)
    return out


def _end_table(st: PageState) -> None:
    if st.table is not None:
        table, st.table = st.table, None
        table.read()


def _row_period_hint(texts: list[str]) -> str | None:
    c = compact("".join(texts))
    if len(c) <= 30 and c.endswith(("绩效指标", "绩效目标")):
        return period_hint(c)
    return None


def _ends_table(texts: list[str]) -> bool:
    first = compact(texts[0])
    if len(texts) >= 3:
        header = find_header(Row(0, list(enumerate(texts))), list_roles=False)
        if header is not None and "name" in header.roles and "value" in header.roles and header.period:
            return True  # a second table's header (年度指标值 after 实施期指标值): it starts its own table
    if len(texts) <= 3 and _is_signature_cell(texts[0]) and category_of(texts[0]) is None:
        return True
    if page_title(Row(0, list(enumerate(texts)))) is not None:
        return True
    if first.startswith(FOOTER) or has_signature(texts):
        return True
    hit = match_label(texts[:4])
    if hit is not None and not hit.rest and category_of(texts[0]) is None and first.rstrip(":") == hit.label:
        return True  # only a label printed in full: 项目完成时限 is an indicator, not 项目完成日期
    found = fund_label_of(texts[0])
    # a funds line after the table (年度资金总额 | 20); 项目金额 | 5万元 inside it is a cost indicator
    return found is not None and found[1] is not None and len(texts) >= 2 and bool(re.search(r"\d", texts[1]))


def _parse_line(st: PageState, line: Row) -> None:
    d = st.decl
    texts = list(line.texts)
    if not texts:
        return
    joined = compact("".join(texts))
    if not HAN.search(joined):
        if st.table is not None and not st.in_footer:
            st.table.feed(line)  # numbers and comparators of a row printed one cell per line
            return
        warn(st, line, "无法识别的行（没有中文）：已跳过")
        return
    if len(line.cells) == 1 and line.exact:
        words = re.split(r"[ \u3000]{1,}", line.cells[0][1])
        if len(words) >= 3 and any(category_of(w) for w in words):
            # OCR text with no column separators: spaces are the only cell boundaries left
            line = Row(line.no, [(line.cells[0][0] + i, w) for i, w in enumerate(words) if w])
            texts = line.texts

    hint = _row_period_hint(texts)
    if hint:
        st.period_hint = hint

    # the indicator table being read takes every row until a row that ends it
    raw = line.original or line
    if st.table is not None:
        if extend_header(st.table.header, raw):
            return
        if not _ends_table(raw.texts):
            st.table.feed(raw)
            return
        _end_table(st)

    if joined.startswith(FOOTER):
        st.in_footer = True
        st.field = None
        return

    if has_signature(texts) or (len(texts) <= 3 and _is_signature_cell(texts[0]) and match_label(texts[:1]) is None):
        parse_signature(st, line)
        st.field = None
        return

    # an indicator table's header row, or its words printed over several lines
    if st.table is None and not st.in_indicators and (_header_words(texts) and (
            st.header_cells or len(texts) <= 2 or find_header(line, list_roles=False) is None)
            or _extra_header_column(st, texts)):
        st.header_cells.extend((line.no, t) for t in texts)
        return
    if st.header_cells:
        cells, st.header_cells = st.header_cells, []
        header = find_header(Row(cells[0][0], [(i, t) for i, (_, t) in enumerate(cells)]), list_roles=False)
        if header is not None:
            _start_table(st, header)
        else:
            for no, t in cells:
                warn(st, Row(no, [(0, t)]), "未能识别的行：原文保留在源文件中")
        if header is not None:
            _parse_line(st, line)
            return
    header = find_header(line, list_roles=False)
    if header is not None:
        _start_table(st, header)
        return

    unit = unit_in("".join(texts)) if len(joined) <= 40 else None
    if unit:
        st.unit = unit

    if parse_funds_line(st, line):
        return

    hit = match_label(texts[:4])
    if hit is not None and not (st.in_indicators and hit.group == "header" and hit.key not in ("name", "dept")):
        st.in_footer = False
        st.in_funds = hit.key == "funds"
        if hit.key == "funds" and not hit.rest and len(texts) == 1:
            st.unit = unit_in(texts[0]) or st.unit
            return
        if st.in_indicators and hit.group == "narrative":
            st.in_indicators = False
        apply_label(st, line, hit)
        st.goal_keys.add(hit.key)
        return

    if st.in_indicators:
        header, st.two_group_header = st.two_group_header, None
        if header is not None and len(raw.cells) == 1 and not raw.exact:
            # the side-by-side table printed one cell per line: a cell's group is told by the
            # categories before it (两个二级指标 in a row: the second group)
            st.in_indicators = False
            single = Header([r for r in header.roles if r != "other"], header.cols, header.line)
            st.table = TableReader(st, single, "实施期", group_periods=("实施期", "年度"))
            st.table.feed(raw)
            return
        parse_indicator_row(st, raw)
        return
    if looks_like_indicator_row(raw.texts) and not st.in_footer:
        # indicator rows with no header row (a continuation page): 一级 | 二级 | 三级 | 指标值 …
        st.field = None
        if _two_groups(raw):
            st.in_indicators = True
            parse_indicator_row(st, raw)
            return
        st.table = TableReader(st, Header(["level1", "level2", "name", "value"], [0, 1, 2, 3], line.no),
                               st.period_hint or _goal_period(st) or "年度")
        st.table.feed(raw)
        return

    if st.in_footer:
        return
    # a label later in the row (``项目来源 | 本级申报项目 | 项目期 | 1年``)
    for k in range(1, min(len(texts), 8)):
        later = match_label(texts[k:k + 3], groups=("header",))
        if later is not None and later.key not in ("name", "funds") and st.field is None:
            warn(st, line, "未能识别的标签，已跳过", " ".join(texts[:k]))
            apply_label(st, Row(line.no, line.cells[k:], line.exact), later)
            return
    if st.field is not None:
        extra = clean(" ".join(t for t in texts if not is_noise(t)))
        if extra:
            cur = getattr(d, st.field)
            setattr(d, st.field, f"{cur} {extra}".strip() if cur else extra)
        return
    warn(st, line, "未能识别的行：原文保留在源文件中")


def _extra_header_column(st: PageState, texts: list[str]) -> bool:
    """After three or more header words printed one per line, a short name (``西坪镇尧山村``) is a
    column of the header too (a value column per place)."""
    if len(st.header_cells) < 3 or len(texts) != 1:
        return False
    if any(header_role(t) == "value" for _, t in st.header_cells):
        return False  # the header has its value column: this is the first row's name
    c = compact(texts[0])
    return (2 <= len(c) <= 10 and not re.search(r"\d", c) and category_of(texts[0]) is None
            and match_label(texts) is None and fund_label_of(texts[0]) is None)


def _header_words(texts: list[str]) -> bool:
    """Every cell a header word (or the 绩效指标 label of its first column), one at least a role."""
    roles = [header_role(t) for t in texts]
    return any(roles) and all(r is not None or compact(t) in PREFIX_WORDS for r, t in zip(roles, texts))


def _start_table(st: PageState, header: Header) -> None:
    st.in_footer = False
    st.in_funds = False
    st.field = None
    if header.groups == 2:
        st.in_indicators = True
        st.header_split = header.split_col
        st.two_group_header = header  # rows printed one cell per line are read by a TableReader instead
    else:
        st.in_indicators = False
        period = header.period or st.period_hint or _goal_period(st) or "年度"
        st.table = TableReader(st, header, period)


def _two_groups(row: Row) -> bool:
    """A row of the side-by-side layout: two 二级 categories, or two name and value pairs."""
    from .values import looks_like_value

    texts = row.texts
    if sum(1 for t in texts if (category_of(t) or ("",))[0] in ("l2", "l2?")) >= 2:
        return True
    return sum(1 for t in texts if looks_like_value(t)) >= 2 and len(texts) >= 4


def _goal_period(st: PageState) -> str | None:
    """A form that states only an 实施期 (中长期) goal: its single indicator column is for that period."""
    if "goal_period" in st.goal_keys and "goal_annual" not in st.goal_keys:
        return "实施期"
    return None


# ------------------------------------------------------------------ finishing

