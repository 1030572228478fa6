"""The interpreter: a document's rows → declarations (pure: rows in, records out).

Pages that repeat the header of the same project (same 项目名称) are merged into one
declaration. Anything that cannot be placed becomes a warning with its line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..readers.grid import Document, Row
from ..records import CONTENT_FIELDS, Declaration, ParseError, ParseResult, Warning, fingerprint
from ..text import HAN, clean, compact
from .cells import is_noise
from .fields import apply_label, has_signature, parse_funds_line, parse_signature
from .indicators import looks_like_indicator_row, parse_indicator_row
from .labels import match_label
from .lexicon import FUND_SOURCES, INDICATOR_HEADER
from .policies import extract_policies
from .state import PageState, warn
from .values import level_of


# -------------------------------------------------------------------- parser

TITLE_LINE = re.compile(r"^\s*#*\s*(.{0,40}(申报表|绩效目标表|目标表))\s*$")
YEAR_LINE = re.compile(r"^\s*[(（]\s*((?:19|20)\d{2})\s*年度?\s*[)）]\s*$")


def interpret(doc: Document) -> ParseResult:
    """Read the declarations in a document's rows.

    Raises :class:`ParseError` only when no form at all is found; everything else degrades to
    warnings.
    """
    pages = _split_pages(doc.rows)
    file_warnings: list[Warning] = []
    if not pages:
        raise ParseError("no declaration found (no 项目名称 line)", None)
    declarations: list[Declaration] = []
    for page in pages:
        decl = _parse_page(page)
        prev = declarations[-1] if declarations else None
        if prev is not None and _same_project(prev, decl):
            _merge(prev, decl)
        else:
            declarations.append(decl)
    for d in declarations:
        _finish(d)
    return ParseResult(_drop_repeats(declarations, file_warnings), file_warnings, doc.reader)


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
                                         f"repeats the declaration at line {first_at[content]}: skipped"))
            continue
        first_at[content] = d.first_line
        kept.append(d)
    return kept


@dataclass
class Page:
    title: str | None
    year: int | None
    lines: list[Row]


def _is_name_line(line: Row) -> bool:
    if not line.cells:
        return False
    hit = match_label(line.texts[:4], groups=("header",))
    return hit is not None and hit.key == "name"


def _split_pages(rows: list[Row]) -> list[Page]:
    pages: list[Page] = []
    pending_title: str | None = None
    pending_year: int | None = None
    current: Page | None = None
    has_name = False
    for line in rows:
        if len(line.cells) <= 2:
            joined = "".join(line.texts)
            m = TITLE_LINE.match(joined)
            if m and (len(line.cells) == 1 or line.texts[0].strip("#") == ""):
                pending_title = m.group(1).strip()
                current = None
                continue
            m = YEAR_LINE.match(joined)
            if m:
                pending_year = int(m.group(1))
                continue
        if _is_name_line(line):
            if current is None or has_name:
                current = Page(pending_title, pending_year, [])
                pages.append(current)
                pending_title = None
                pending_year = None
            has_name = True
            current.lines.append(line)
            continue
        if current is None:
            # text before the first 项目名称 of a page (a page whose name line was lost)
            if pending_title is not None or pages:
                current = Page(pending_title, pending_year, [])
                pages.append(current)
                pending_title = None
                pending_year = None
                has_name = False
            else:
                continue
        current.lines.append(line)
    return [p for p in pages if p.lines]


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
    a.indicators.extend(b.indicators)
    a.policies.extend(b.policies)
    a.warnings.extend(b.warnings)
    a.last_line = max(a.last_line, b.last_line)
    a.pages += b.pages


def _parse_page(page: Page) -> Declaration:
    d = Declaration(title=page.title, year=page.year)
    d.first_line = page.lines[0].no
    d.last_line = page.lines[-1].no
    st = PageState(d, None)
    for line in page.lines:
        try:
            _parse_line(st, line)
        except Exception as e:  # a parser bug must not lose the form: record and go on
            d.warnings.append(Warning(line.no, line.text[:200], f"internal error: {type(e).__name__}: {e}"))
    return d


def _parse_line(st: PageState, line: Row) -> None:
    d = st.decl
    texts = [t for t in line.texts]
    if not texts:
        return
    joined = compact("".join(texts))
    if not HAN.search(joined):
        warn(st, line, "unreadable line (no Chinese text): skipped")
        return
    if len(line.cells) == 1:
        words = re.split(r"[ \u3000]{1,}", line.cells[0][1])
        if len(words) >= 3 and any(level_of(w) for w in words):
            # OCR text with no column separators: spaces are the only cell boundaries left
            line = Row(line.no, [(line.cells[0][0] + i, w) for i, w in enumerate(words) if w])
            texts = line.texts
            warn(st, line, "no column separators: cells split at spaces")

    # signature line(s)
    if has_signature(texts):
        parse_signature(st, line)
        st.field = None
        return

    # indicator header row
    n_header = sum(1 for t in texts if compact(t) in INDICATOR_HEADER)
    if n_header >= 2:
        st.in_indicators = True
        st.in_funds = False
        st.field = None
        second = [col for col, t in line.cells if compact(t) == "二级指标"]
        values = [col for col, t in line.cells if compact(t).startswith("指标值") or "指标值" in compact(t)]
        if len(second) >= 2:
            st.header_split = second[1]
        elif len(values) >= 2:
            st.header_split = values[0] + 1
        else:
            st.header_split = None
        return

    # funds lines
    if parse_funds_line(st, line):
        return

    hit = match_label(texts[:4])
    if hit is not None and not (st.in_indicators and hit.group == "header" and hit.key not in ("name", "dept")):
        st.in_funds = hit.key == "funds"
        if hit.key == "funds":
            return
        if st.in_indicators and hit.group == "narrative":
            st.in_indicators = False
        apply_label(st, line, hit)
        return

    if st.in_indicators or looks_like_indicator_row(texts):
        st.in_indicators = True
        st.field = None
        parse_indicator_row(st, line)
        return

    if st.field is not None:
        extra = clean(" ".join(t for t in texts if not is_noise(t)))
        if extra:
            cur = getattr(d, st.field)
            setattr(d, st.field, f"{cur} {extra}".strip() if cur else extra)
        return
    warn(st, line, "line not recognised: kept in the source text only")


def _finish(d: Declaration) -> None:
    """Reconcile funds, backfill categories, collect policies, take the year from 填报日期 if needed."""
    alts = d.fund_readings
    sources = [s for s, _ in FUND_SOURCES[1:]]
    for period in ("实施期", "年度"):
        total = d.funds.get((period, "total"))
        if total is None:
            continue
        current = {s: d.funds.get((period, s)) for s in sources}
        if all(v is None for v in current.values()):
            continue  # only the total was printed
        if abs(sum(v or 0 for v in current.values()) - total) < 0.5:
            continue
        fixed = False
        for s in sources:
            for cand in alts.get((period, s), [])[1:]:
                trial = dict(current, **{s: cand})
                if abs(sum(v or 0 for v in trial.values()) - total) < 0.5:
                    d.funds[(period, s)] = cand
                    d.warnings.append(Warning(d.first_line, f"{period} {s}",
                                              f"amount read as {cand:,.0f} so that the sources add up to the total"))
                    fixed = True
                    break
            if fixed:
                break
        if not fixed:
            d.warnings.append(Warning(d.first_line, period, f"{period} sources do not add up to the total {total:,.2f}"))
    d.funds_total = d.funds.get(("实施期", "total"), d.funds_total)
    d.funds_annual = d.funds.get(("年度", "total"), d.funds_annual)
    if d.year is None and d.filed_at:
        d.year = int(d.filed_at[:4])
        d.warnings.append(Warning(d.first_line, d.filed_at, "年度 not printed: taken from 填报日期"))
    if d.name is None:
        d.warnings.append(Warning(d.first_line, "", "项目名称 not found"))
    # PDF layouts centre a merged category cell vertically: rows above it have no category yet
    for period in ("实施期", "年度"):
        rows = [i for i in d.indicators if i.period == period]
        nxt = None  # the nearest row below with a category, walking up from the bottom
        for ind in reversed(rows):
            if ind.level2 is None and nxt is not None:
                ind.level2, ind.level1 = nxt.level2, ind.level1 or nxt.level1
            elif ind.level2 is not None:
                nxt = ind
        for ind in rows:
            if ind.level2 is None and ind.level1 is None:
                d.warnings.append(Warning(ind.line, ind.name, "indicator without category"))
    for f in ("overview", "basis", "necessity", "safeguards", "plan", "goal_period", "goal_annual"):
        d.policies.extend(extract_policies(getattr(d, f) or "", f))