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
from dataclasses import dataclass, field

from ..readers.grid import Document, Row
from ..records import CONTENT_FIELDS, NARRATIVE_FIELDS, Declaration, ParseError, ParseResult, Warning, fingerprint
from ..text import HAN, clean, compact
from .categories import category_of
from .cells import is_noise
from .fields import _is_signature_cell, apply_label, has_signature, parse_funds_line, parse_signature, split_code, unit_in
from .indicators import looks_like_indicator_row, parse_indicator_row
from .labels import match_label
from .lexicon import COLUMN_WORDS, FOOTERS, HEADER_PREFIX
from .policies import extract_policies
from .split import split_cell
from .state import PageState, warn
from .table import Header, TableReader, extend_header, find_header, header_role, period_hint
from .values import fund_label_of, parse_amount

TITLE_LINE = re.compile(r"^\s*#*\s*(.{0,60}(申报表|绩效目标表|绩效目标批复表|批复表|公开表|绩效目标申报表))\s*"
                        r"(?:[(（].{0,30}[)）]|(?:19|20)\d{2}年度?)?\s*$")
# a project's heading in a published list of targets: ``3岁以下婴幼儿照护服务项目项目绩效目标``
HEADING = re.compile(r"^(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．])?\s*(.{2,40}?项目)项目绩效目标$")
YEAR_LINE = re.compile(r"^\s*[(（]?\s*((?:19|20)\d{2})\s*年度?\s*[)）]?\s*$")
_FOOTER = tuple(compact(f) for f in FOOTERS)
_PREFIX_WORDS = {compact(w) for w in HEADER_PREFIX} | {"本年度", "年度", "中长期", "绩", "效", "指", "标", "绩效", "指标"}


def interpret(doc: Document) -> ParseResult:
    """Read the declarations in a document's rows.

    Raises :class:`ParseError` only when no form at all is found; everything else degrades to
    warnings.
    """
    rows = _attach_values([part for r in doc.rows for part in _split_row(r)])
    pages = _split_pages(rows)
    file_warnings: list[Warning] = []
    if not pages:
        raise ParseError("no declaration found (no 项目名称 line): 未找到申报表（没有“项目名称”）", None)
    declarations: list[Declaration] = []
    for page in pages:
        for decl in (_parse_list_page(page) if page.list_header else [_parse_page(page)]):
            prev = declarations[-1] if declarations else None
            if prev is not None and not page.list_header and _same_project(prev, decl):
                _merge(prev, decl)
            else:
                declarations.append(decl)
    kept = []
    for d in declarations:
        _finish(d)
        if d.name is None and not d.indicators and not (d.dept_name or any(getattr(d, f) for f in NARRATIVE_FIELDS)):
            # an allocation list or a notice with amounts, not a form
            file_warnings.append(Warning(d.first_line, "", "没有项目名称和绩效指标的内容（如资金分配表）：未作为申报表保存"))
            continue
        kept.append(d)
    if not kept:
        raise ParseError("no declaration found (no 项目名称 line): 未找到申报表（没有“项目名称”）", None)
    return ParseResult(_drop_repeats(kept, file_warnings), file_warnings, doc.reader)


# ------------------------------------------------------------------ preparing rows

def _split_row(row: Row) -> list[Row]:
    """Cells holding several labels and values run together are split (``项目名称百色天立学校…``);
    a row holding a form's title or a second form's 项目名称 after other cells is cut there. The row
    as read is kept as ``original`` (an indicator table reads it with its own, narrower splitting)."""
    if _title(row) is not None or (len(row.cells) >= 3 and find_header(row) is not None):
        return [row]
    if len(row.cells) == 1:
        m = HEADING.match(compact(row.texts[0]))
        if m:
            return [Row(row.no, [(0, "项目名称"), (1, m.group(1))], True, row)]
    cells: list[str] = []
    changed = False
    for _, text in row.cells:
        pieces = split_cell(text)
        changed = changed or len(pieces) > 1
        cells.extend(pieces)
    # a line with (almost) no separators, split at its labels: each label starts a row of its own
    run_together = changed and len(row.cells) <= 2 and len(cells) >= 3
    cuts = [i for i, t in enumerate(cells) if i > 0 and (
        _is_name_line(Row(0, [(0, t)])) and i + 1 < len(cells) or TITLE_LINE.match(t.strip("#"))
        or run_together and _starts_logical_row(t, cells[i - 1]))]
    if not changed and not cuts:
        return [row]
    out, start = [], 0
    for cut in cuts + [len(cells)]:
        part = cells[start:cut]
        if part:
            out.append(Row(row.no, list(enumerate(part)), row.exact, row if not cuts else None))
        start = cut
    return out


def _starts_logical_row(text: str, before: str) -> bool:
    """In text run together, a label, a funds label, a category or the first header word starts a
    new row (the cells after it are its value or its indicator)."""
    hit = match_label([text])
    if hit is not None and not hit.rest:
        return True
    if fund_label_of(text) is not None and not re.search(r"\d", text):
        return True
    cat = category_of(text)
    if cat is not None and cat[0] != "l2?":
        return category_of(before) is None  # 产出指标 | 数量指标 stay on one row
    return header_role(text) is not None and header_role(before) is None and category_of(before) is None


def _bare_label(text: str) -> bool:
    """A cell that is only a label, its value printed in the next cell (one cell per line)."""
    c = compact(text).rstrip(":")
    if not c or len(c) > 16:
        return False
    hit = match_label([text], groups=("header",))
    if hit is not None and not hit.rest and hit.key != "funds":
        return True
    found = fund_label_of(text)
    if found is not None and not re.search(r"\d", c):
        return True
    return _is_signature_cell(text) and c.rstrip(":") == c.rstrip(":")[: len(c)] and not re.search(r"\d", c) \
        and len(c) <= 8


def _structural(text: str) -> bool:
    c = compact(text)
    if c in COLUMN_WORDS:
        return True  # a list's column header (项目名称 | 金额 | 备注), not a value
    return (_bare_label(text) or match_label([text]) is not None or category_of(text) is not None
            or find_header(Row(0, [(0, text)]), list_roles=False) is not None or c.startswith(_FOOTER)
            or bool(TITLE_LINE.match(text)))


def _attach_values(rows: list[Row]) -> list[Row]:
    """A label alone on its line takes the next line as its value when that line is a single cell."""
    out: list[Row] = []
    i = 0
    while i < len(rows):
        row = rows[i]
        if (len(row.cells) == 1 and _bare_label(row.texts[0]) and i + 1 < len(rows)
                and not _structural(rows[i + 1].texts[0])):
            nxt = rows[i + 1]
            out.append(Row(row.no, [(0, row.texts[0])] + [(j + 1, t) for j, t in enumerate(nxt.texts)],
                           nxt.exact and len(nxt.cells) > 1))
            i += 2
            continue
        out.append(row)
        i += 1
    return out


# ------------------------------------------------------------------ pages

@dataclass
class Page:
    title: str | None
    year: int | None
    lines: list[Row]
    unit: str | None = None
    list_header: Header | None = None
    hints: list[str] = field(default_factory=list)


def _is_name_line(line: Row) -> bool:
    if not line.cells:
        return False
    hit = match_label(line.texts[:4], groups=("header",))
    return hit is not None and hit.key == "name"


def _title(line: Row) -> str | None:
    """A form's title (``…项目支出绩效目标申报表``), alone or first in its row."""
    line = line.original or line
    if not line.cells or len(line.cells) > 4:
        return None
    texts = line.texts
    joined = "".join(t.strip("#") for t in (texts if len(texts) <= 2 else texts[:1])).strip()
    m = TITLE_LINE.match(joined)
    if m is None and len(texts) > 2:
        return None
    return m.group(1).strip() if m and not _is_name_line(line) else None


def _split_pages(rows: list[Row]) -> list[Page]:
    pages: list[Page] = []
    pending = Page(None, None, [])
    current: Page | None = None
    has_name = False
    for line in rows:
        title = _title(line)
        if title is not None:
            pending = Page(title, pending.year or _year_in(title), [], pending.unit)
            current = None
            continue
        joined = "".join(line.texts)
        m = YEAR_LINE.match(joined) if len(line.cells) <= 2 else None
        if m:
            pending.year = int(m.group(1))
            continue
        unit = unit_in(joined) if len(joined) <= 40 else None
        if unit and current is None:
            pending.unit = unit
        header = find_header(line) if len(line.cells) >= 3 else None
        if header is not None and header.list_table:
            current = Page(pending.title, pending.year, [], pending.unit, header)
            pages.append(current)
            pending = Page(None, None, [], pending.unit)
            has_name = True
            continue
        if _is_name_line(line):
            if current is None or has_name:
                # rows between a form's title and its 项目名称 (预算单位, 填报单位) belong to it
                current = Page(pending.title, pending.year, pending.lines if pending.title else [], pending.unit)
                pages.append(current)
                pending = Page(None, None, [], pending.unit)
            has_name = True
            current.lines.append(line)
            continue
        if current is None:
            # rows before the first 项目名称: a page whose name was lost, or text before any form
            pending.lines.append(line)
            if _looks_like_content(line):
                current = Page(pending.title, pending.year, pending.lines, pending.unit)
                pages.append(current)
                pending = Page(None, None, [], pending.unit)
                has_name = False
            continue
        current.lines.append(line)
    return [p for p in pages if p.lines or p.list_header]


def _looks_like_content(line: Row) -> bool:
    """Rows that belong to a form even without its 项目名称: indicators, funds."""
    texts = line.texts
    return (find_header(line) is not None or sum(category_of(t) is not None for t in texts) >= 1 and len(texts) >= 3
            or any(fund_label_of(t) is not None for t in texts[:2]) and any(re.search(r"\d", t) for t in texts))


def _year_in(title: str) -> int | None:
    m = re.search(r"((?:19|20)\d{2})\s*年", title)
    return int(m.group(1)) if m else None


def _same_project(a: Declaration, b: Declaration) -> bool:
    if b.name is None:
        return True  # a continuation page whose header was lost
    if a.name is None:
        return False
    if compact(a.name) != compact(b.name):
        return False
    if a.funds_total is not None and b.funds_total is not None and a.funds_total != b.funds_total:
        return False
    return True


def _merge(a: Declaration, b: Declaration) -> None:
    for f in CONTENT_FIELDS:
        if getattr(a, f) in (None, "") and getattr(b, f) not in (None, ""):
            setattr(a, f, getattr(b, f))
    for k, v in b.funds.items():
        if a.funds.get(k) is None:
            a.funds[k] = v
            if k in b.fund_readings:
                a.fund_readings[k] = b.fund_readings[k]
            if k in b.funds_printed:
                a.funds_printed[k] = b.funds_printed[k]
    a.indicators.extend(b.indicators)
    a.settled |= b.settled
    a.policies.extend(b.policies)
    a.warnings.extend(b.warnings)
    a.last_line = max(a.last_line, b.last_line)
    a.pages += b.pages


def _drop_repeats(declarations: list[Declaration], file_warnings: list[Warning]) -> list[Declaration]:
    """A declaration printed again later in the same file (a bulk export repeating pages) is kept once.

    Only exact repeats go; two different declarations with the same project name are both kept.
    """
    first_at: dict[str, int] = {}
    kept = []
    for d in declarations:
        content = fingerprint(d)
        if content in first_at:
            file_warnings.append(Warning(d.first_line, d.name or "",
                                         f"与第 {first_at[content]} 行的申报表完全相同：只保存一份"))
            continue
        first_at[content] = d.first_line
        kept.append(d)
    return kept


# ------------------------------------------------------------------ one page

def _parse_page(page: Page) -> Declaration:
    d = Declaration(title=page.title, year=page.year or (_year_in(page.title) if page.title else None))
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
            _guess_unit(d)
    return d


def _guess_unit(d: Declaration) -> None:
    """No unit printed for the amounts: amounts below 10,000 are 万元 (no project's budget is a few
    hundred 元), anything else 元. Either way a warning says so."""
    printed = " ".join(d.funds_printed.values())
    if "万" in printed or "元" in printed:
        d.amount_unit = "万元" if "万" in printed else "元"  # the unit was printed with the amounts
        return
    amounts = [v for k, v in d.funds.items() if v]
    if amounts and max(amounts) < 10_000:
        for k in list(d.funds):
            if d.funds[k] is not None:
                d.funds[k] *= 10_000
        d.amount_unit = "万元"
        d.warnings.append(Warning(d.first_line, "", "表中未注明金额单位：金额较小，按万元读取"))
    else:
        d.amount_unit = "元"
        d.warnings.append(Warning(d.first_line, "", "表中未注明金额单位：按元读取"))


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
    if len(texts) <= 3 and _is_signature_cell(texts[0]) and category_of(texts[0]) is None:
        return True
    if _title(Row(0, list(enumerate(texts)))) is not None:
        return True
    if first.startswith(_FOOTER) or has_signature(texts):
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

    if joined.startswith(_FOOTER):
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
    return any(roles) and all(r is not None or compact(t) in _PREFIX_WORDS for r, t in zip(roles, texts))


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

def _finish(d: Declaration) -> None:
    """Reconcile funds, backfill categories, collect policies, take the year from 填报日期 if needed."""
    _settle_fund_periods(d)
    alts = d.fund_readings
    for period in ("实施期", "年度"):
        total = d.funds.get((period, "total"))
        if total is None:
            continue
        sources = [s for (p, s) in d.funds if p == period and s != "total"]
        current = {s: d.funds.get((period, s)) for s in sources}
        if all(v is None for v in current.values()):
            continue  # only the total was printed
        if abs(sum(v or 0 for v in current.values()) - total) < 0.5:
            continue
        # a source that is itself part of another (财政拨款 of which 中央/省级…) makes the sum double
        if any(abs((v or 0) - total) < 0.5 for v in current.values()):
            continue
        fixed = False
        for s in sources:
            for cand in alts.get((period, s), [])[1:]:
                trial = dict(current, **{s: cand})
                if abs(sum(v or 0 for v in trial.values()) - total) < 0.5:
                    d.funds[(period, s)] = cand
                    d.warnings.append(Warning(d.first_line, f"{period} {s}",
                                              f"金额按 {cand:,.0f} 读取，使各来源之和等于总额"))
                    fixed = True
                    break
            if fixed:
                break
        if not fixed:
            d.warnings.append(Warning(d.first_line, period, f"{period}各资金来源之和与总额 {total:,.2f} 不符"))
    d.funds_total = d.funds.get(("实施期", "total"), d.funds_total)
    d.funds_annual = d.funds.get(("年度", "total"), d.funds_annual)
    if d.year is None and d.filed_at:
        d.year = int(d.filed_at[:4])
        d.warnings.append(Warning(d.first_line, d.filed_at, "未印年度：按填报日期取年度"))
    if d.year is None and d.period_start:
        d.year = int(d.period_start[:4])
    if d.name is None:
        d.warnings.append(Warning(d.first_line, "", "未找到项目名称"))
    _backfill_categories(d)
    for f in NARRATIVE_FIELDS:
        d.policies.extend(extract_policies(getattr(d, f) or "", f))


def _settle_fund_periods(d: Declaration) -> None:
    """A total printed as 资金总额 / 合计 (no period in its label): the 实施期 total when the form
    also prints a 年度 total, else the 年度 one; sources without a period follow it."""
    either = d.funds.pop(("?", "total"), None)
    printed = d.funds_printed.pop(("?", "total"), None)
    if either is not None:
        period = "实施期" if ("年度", "total") in d.funds else "年度"
        d.funds.setdefault((period, "total"), either)
        if printed:
            d.funds_printed.setdefault((period, "total"), printed)
    for (period, source) in [k for k in d.funds if k[0] == "?"]:
        target = "年度" if ("年度", "total") in d.funds or ("实施期", "total") not in d.funds else "实施期"
        d.funds.setdefault((target, source), d.funds.pop((period, source)))
        if (period, source) in d.funds_printed:
            d.funds_printed.setdefault((target, source), d.funds_printed.pop((period, source)))


def _backfill_categories(d: Declaration) -> None:
    """PDF layouts centre a merged category cell vertically: rows above it have no category yet."""
    for period in ("实施期", "年度"):
        rows = [i for i in d.indicators if i.period == period]
        nxt = None  # the nearest row below with a category, walking up from the bottom
        for ind in reversed(rows):
            if id(ind) in d.settled:
                continue
            if ind.level2 is None and nxt is not None:
                ind.level2, ind.level1 = nxt.level2, ind.level1 or nxt.level1
            elif ind.level2 is not None:
                if ind.level1 is None and nxt is not None and nxt.level2 == ind.level2:
                    ind.level1 = nxt.level1
                nxt = ind
        for ind in rows:
            if ind.level2 is None and ind.level1 is None:
                d.warnings.append(Warning(ind.line, ind.name, "绩效指标没有类别（一级、二级指标）"))
