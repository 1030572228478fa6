"""Rows → pages: cells run together are split, a label alone on its line takes the next line as its
value, and the rows are cut into forms at each 项目名称 (a page repeating the same project is merged)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..readers.grid import Row
from ..records import CONTENT_FIELDS, Declaration, Warning, fingerprint
from ..text import compact, similarity
from .categories import category_of
from .fields import _is_signature_cell, unit_in
from .header import Header, find_header, header_role
from .labels import match_label
from .lexicon import COLUMN_WORDS, FOOTERS, HEADER_PREFIX
from .split import split_cell
from .values import fund_label_of

TITLE_LINE = re.compile(r"^\s*#*\s*(.{0,60}(申报表|绩效目标表|绩效目标批复表|批复表|公开表|绩效目标申报表))\s*"
                        r"(?:[(（].{0,30}[)）]|(?:19|20)\d{2}年度?)?\s*$")
# a project's heading in a published list of targets: ``3岁以下婴幼儿照护服务项目项目绩效目标``
HEADING = re.compile(r"^(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．])?\s*(.{2,40}?项目)项目绩效目标$")
YEAR_LINE = re.compile(r"^\s*[(（]?\s*((?:19|20)\d{2})\s*年度?\s*[)）]?\s*$")
FOOTER = tuple(compact(f) for f in FOOTERS)
PREFIX_WORDS = {compact(w) for w in HEADER_PREFIX} | {"本年度", "年度", "中长期", "绩", "效", "指", "标", "绩效", "指标"}


def join_broken_labels(rows: list[Row]) -> list[Row]:
    """A label or category broken over two lines of text (``项目完成`` / ``指标``, ``总体`` / ``目标``)
    is put back together: a line of one short cell that completes the previous line's last cell
    into a known category or label joins it."""
    out: list[Row] = []
    for row in rows:
        prev = out[-1] if out else None
        if prev is not None and not row.grid and len(row.cells) == 1 and prev.cells:
            tail = compact(row.texts[0])
            last = compact(prev.texts[-1])
            joined = last + tail
            if 1 <= len(tail) <= 2 and len(last) >= 2 and not re.search(r"\d", joined) and (
                    (category_of(joined) or ("", ""))[0] in ("l1", "l2")
                    or (len(prev.cells) == 1 and (hit := match_label([joined])) is not None and not hit.rest
                        and hit.label == joined)):
                out[-1] = Row(prev.no, prev.cells[:-1] + [(prev.cells[-1][0], prev.texts[-1] + row.texts[0])],
                              prev.exact, prev.original, prev.grid)
                continue
        out.append(row)
    return out


def split_row(row: Row) -> list[Row]:
    """Cells holding several labels and values run together are split (``项目名称百色天立学校…``);
    a row holding a form's title or a second form's 项目名称 after other cells is cut there. The row
    as read is kept as ``original`` (an indicator table reads it with its own, narrower splitting)."""
    if page_title(row) is not None or (len(row.cells) >= 3 and find_header(row) is not None):
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
        "名" in t and is_name_line(Row(0, [(0, t)])) and i + 1 < len(cells) or "表" in t and TITLE_LINE.match(t.strip("#"))
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
            or find_header(Row(0, [(0, text)]), list_roles=False) is not None or c.startswith(FOOTER)
            or bool(TITLE_LINE.match(text)))


def attach_values(rows: list[Row]) -> list[Row]:
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


def is_name_line(line: Row) -> bool:
    if not line.cells:
        return False
    hit = match_label(line.texts[:4], groups=("header",))
    return hit is not None and hit.key == "name"


def page_title(line: Row) -> str | None:
    """A form's title (``…项目支出绩效目标申报表``), alone or first in its row."""
    line = line.original or line
    if not line.cells or len(line.cells) > 4 or "表" not in line.texts[0] and "表" not in "".join(line.texts[:2]):
        return None
    texts = line.texts
    joined = "".join(t.strip("#") for t in (texts if len(texts) <= 2 else texts[:1])).strip()
    m = TITLE_LINE.match(joined)
    if m is None and len(texts) > 2:
        return None
    return m.group(1).strip() if m and not is_name_line(line) else None


def split_pages(rows: list[Row]) -> list[Page]:
    pages: list[Page] = []
    pending = Page(None, None, [])
    current: Page | None = None
    has_name = False
    for line in rows:
        title = page_title(line)
        if title is not None:
            pending = Page(title, pending.year or year_in(title), [], pending.unit)
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
        if is_name_line(line):
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


def year_in(title: str) -> int | None:
    m = re.search(r"((?:19|20)\d{2})\s*年", title)
    return int(m.group(1)) if m else None


def same_project(a: Declaration, b: Declaration) -> bool:
    if b.name is None:
        return True  # a continuation page whose header was lost
    if a.name is None:
        return False
    if compact(a.name) != compact(b.name):
        return False
    for period in ("实施期", "年度", "?"):
        x, y = a.funds.get((period, "total")), b.funds.get((period, "total"))
        if x is not None and y is not None and x != y:
            return False
    for f in ("implementer", "dept_name"):  # 实施公车统管 of two units, one after the other
        x, y = compact(getattr(a, f) or ""), compact(getattr(b, f) or "")
        if x and y and similarity(x, y) < 0.7:  # (a page's text layer may garble a few characters)
            return False
    return True


def merge(a: Declaration, b: Declaration) -> None:
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


def drop_repeats(declarations: list[Declaration], file_warnings: list[Warning]) -> list[Declaration]:
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
