"""Whole documents → declarations: a budget disclosure (部门预算公开) is cut into its project forms
and project lists (``split.py``), each list becomes one form per project (``lists.py``), and every
form is read by the form interpreter (``ingest.form``). Budget tables, narrative and
department-wide forms never become declarations. Pure: rows in, records out.

A file that is one loose form (or a few), as copied from a web page or exported by a budget
system, is read by the interpreter whole, as before.
"""

from __future__ import annotations

import re

from ..form import interpret
from ..readers.grid import Document, Row
from ..records import Declaration, NoDeclarations, ParseError, ParseResult, Warning, fingerprint
from ..text import HAN, clean, compact
from .lists import ORGANISATION, list_projects
from .split import Section, sections
from .tables import LIST_KINDS
from .vocabulary import COVER, DEPT_LINE, FORM_TITLE

# what kind of entry a declaration is, as a budget officer names it (declarations.form_kind)
FORM = "绩效目标表"  # a form of its own
LISTED = "项目清单"  # one project of a list, with its indicators
GOAL_ONLY = "绩效目标清单"  # one project of a list giving its goal only, no indicator table
FORM_KINDS = {"list_rows": LISTED, "list_packed": LISTED, "goal_list": GOAL_ONLY}


def read_declarations(doc: Document) -> ParseResult:
    """The declarations of a document (an empty result when it holds none)."""
    if not _whole_document(doc):
        try:
            result = interpret(doc)
        except NoDeclarations:
            result = ParseResult([], [], doc.reader)
        for d in result.declarations:
            d.form_kind = FORM
        _where(doc, result.declarations)
        result.outcome = outcome(result.declarations)
        return result
    year, dept = document_facts(doc.rows)
    declarations: list[Declaration] = []
    warnings: list[Warning] = []
    secs = sections(doc.rows)
    owner: dict[int, Section] = {}
    for sec in secs:
        for d in _read_section(doc, sec, warnings):
            owner[id(d)] = sec
            declarations.append(d)
    kept = _deduplicate([d for d in declarations if _worth_keeping(d, warnings)], warnings, owner)
    _where(doc, kept)
    for d in kept:
        sec = owner[id(d)]
        if d.year is None and year is not None:
            d.year = year
        if d.dept_name is None and d.dept_code is None and (sec.dept or dept):
            d.dept_name = sec.dept or dept
    pages = max((r.page for r in doc.rows), default=0) or None
    scanned = [n for n in doc.notes if "没有文字层" in n]
    if not kept and scanned and not any(HAN.search(r.text) for r in doc.rows):
        raise ParseError(f"扫描件：{len(scanned)} 页都没有文字层，需要文字识别（OCR）才能读取", None)
    result = ParseResult(kept, warnings, doc.reader)
    result.sections = {k: sum(1 for s in secs if s.kind == k) for k in ("form",) + LIST_KINDS}
    result.pages = pages
    result.outcome = outcome(kept, len(scanned))
    warnings.extend(Warning(None, "", n) for n in doc.notes)
    return result


def _where(doc: Document, declarations: list[Declaration]) -> None:
    """Each declaration's first page, and how sure the reading is when its rows were recognised by OCR."""
    page_of = {r.no: r.page for r in doc.rows if r.page}
    confident = [(r.no, r.confidence) for r in doc.rows if r.confidence is not None]
    for d in declarations:
        d.page = page_of.get(d.first_line) or d.page
        if confident:
            mine = [c for no, c in confident if d.first_line <= no <= max(d.last_line, d.first_line)]
            d.ocr_confidence = round(sum(mine) / len(mine), 3) if mine else None


def outcome(declarations: list[Declaration], scanned_pages: int = 0) -> str:
    """What came of a whole document, as a budget officer reads it: 项目绩效目标表 3 张，项目清单 12 项."""
    counts = {k: sum(1 for d in declarations if d.form_kind == k) for k in (FORM, LISTED, GOAL_ONLY)}
    parts = [f"{label} {counts[k]} {unit}" for k, label, unit in (
        (FORM, "项目绩效目标表", "张"), (LISTED, "项目清单中的项目", "项"), (GOAL_ONLY, "只列绩效目标的项目", "项"))
        if counts[k]]
    text = "，".join(parts) if parts else "无项目绩效目标表"
    if scanned_pages:
        text += f"（另有 {scanned_pages} 页为扫描图像，没有文字层，未能读取）"
    return text


def _whole_document(doc: Document) -> bool:
    """A document laid out by pages (a PDF) or one that prints a budget disclosure's cover."""
    if doc.reader.startswith("pdf"):
        return True
    head = [compact(" ".join(r.texts)) for r in doc.rows[:15]]
    return any(COVER.search("".join(head[k:k + n])) for k in range(len(head)) for n in (1, 2, 3, 4))


def _read_section(doc: Document, sec: Section, warnings: list[Warning]) -> list[Declaration]:
    parts = list_projects(sec) if sec.kind in LIST_KINDS else [sec.rows]  # a list: one form per project
    found: list[Declaration] = []
    for rows in parts:
        if not rows:
            continue
        try:
            result = interpret(Document(rows, doc.text, doc.reader))
        except ParseError:
            continue
        warnings.extend(result.warnings)
        found.extend(result.declarations)
    kind = FORM_KINDS.get(sec.kind, FORM)
    for d in found:
        d.form_kind = kind
        if d.name is None and d.title:
            d.name = name_from_title(d.title)
        if d.name is None and sec.title and sec.kind == "form":
            d.name = name_from_title(sec.title)
    return found


def name_from_title(title: str) -> str | None:
    """The project's name in a form's title (``信访综合保障经费绩效目标表`` → 信访综合保障经费), None
    for a title naming no project (项目支出绩效目标表, 政策和项目预算绩效目标表)."""
    t = clean(title)
    t = re.sub(r"[(（]?(?:19|20)\d{2}\s*年度?[)）]?", "", t).strip()
    m = re.match(r"^(.{2,60}?)(?:项目)?(?:支出)?绩效目标(?:申报|批复)?表$", t)
    if not m:
        return None
    name = m.group(1).strip()
    generic = re.sub(r"(?:部门|单位|市级|省级|县级|区级|本级|预算|政策和|项目|专项|支出|和|及|的|\s)", "", name)
    return name if len(generic) >= 2 else None


def document_facts(rows: list[Row]) -> tuple[int | None, str | None]:
    """The budget year and department a document's cover prints (``2026年烟台市民政局部门预算``)."""
    year = dept = None
    head = [compact(" ".join(r.texts)) for r in rows[:20]]
    for k, row in enumerate(rows[:20]):
        for text in ("".join(head[k:k + n]) for n in (1, 2, 3, 4)):  # a cover printed over up to four lines
            m = COVER.search(text)
            if m and year is None:
                year = int(m.group(1) or m.group(4))
                dept = (m.group(2) or m.group(3) or "").strip() or None
        for t in row.texts:
            d = DEPT_LINE.match(compact(t))
            if d and dept is None:
                dept = d.group(1)
    if year is None:
        counts: dict[int, int] = {}
        for row in rows:
            for t in row.texts:
                bare = re.sub(r"\([^()]{1,12}\)$|(?:19|20)\d{2}年度?$", "", compact(t))
                if len(t) <= 40 and FORM_TITLE.search(bare):
                    for y in re.findall(r"((?:19|20)\d{2})\s*年", t):
                        counts[int(y)] = counts.get(int(y), 0) + 1
        year = max(counts, key=counts.get) if counts else None
    return year, dept


def _worth_keeping(d: Declaration, warnings: list[Warning]) -> bool:
    """A declaration of a whole document names its project and has indicators or a goal; anything
    else is a table or a note the interpreter could not place."""
    if d.name and (d.indicators or d.goal_annual or d.goal_period):
        return True
    warnings.append(Warning(d.first_line, d.name or "", "没有绩效指标和绩效目标的内容：未作为申报表保存"))
    return False


def _deduplicate(declarations: list[Declaration], warnings: list[Warning],
                 owner: dict[int, object]) -> list[Declaration]:
    """A project listed twice in one document (in the project table and again among the key
    projects) is kept once, with what either place printed."""
    seen: dict[str, list[Declaration]] = {}
    out: list[Declaration] = []
    prints: dict[str, Declaration] = {}
    for d in declarations:
        content = fingerprint(d)
        if content in prints:  # the same form printed twice in the document
            warnings.append(Warning(d.first_line, d.name or "", f"与第 {prints[content].first_line} 行的申报表完全相同：只保存一份"))
            continue
        prints[content] = d
        key = _project_key(d)
        prev = _listed_before(d, seen.get(key, []), owner)
        if prev is not None:
            for f in ("goal_annual", "goal_period", "funds_annual", "funds_total", "dept_name"):
                if getattr(prev, f) is None and getattr(d, f) is not None:
                    setattr(prev, f, getattr(d, f))
            prev.indicators.extend(i for i in d.indicators if i.name not in {p.name for p in prev.indicators})
            warnings.append(Warning(d.first_line, d.name or "", f"与第 {prev.first_line} 行的项目相同：合并为一项"))
            continue
        seen.setdefault(key, []).append(d)
        out.append(d)
    return out


def _listed_before(d: Declaration, earlier: list[Declaration], owner: dict[int, object]) -> Declaration | None:
    """The same project listed earlier in another list of the document: the same name and unit
    (a name alone when only one project has it); two projects of one name in one list are two."""
    if d.form_kind == FORM:
        return None
    others = [p for p in earlier if p.form_kind != FORM and owner.get(id(p)) is not owner.get(id(d))]
    unit = _unit_of(d)
    same = [p for p in others if _unit_of(p) == unit] if unit else []
    if same:
        return same[0]
    if len(others) == 1 and (not unit or not _unit_of(others[0])):
        return others[0]
    return None


def _unit_of(d: Declaration) -> str:
    """The unit a listed project belongs to: the one printed after its name, else its department."""
    name = compact(d.name or "")
    m = re.match(r"^(.{2,}?)\(([^()]{2,40})\)$", name)
    unit = m.group(2) if m and ORGANISATION.search(m.group(2)) else compact(d.dept_name or "")
    return re.sub(r"\([^()]*\)", "", unit)


def _project_key(d: Declaration) -> str:
    """A project's name without a unit printed after it (专项工作经费（广州市人民政府办公厅）)."""
    name = compact(d.name or "")
    m = re.match(r"^(.{2,}?)\(([^()]{2,40})\)$", name)
    if m and ORGANISATION.search(m.group(2)):
        return m.group(1)
    return name


__all__ = ["FORM", "FORM_KINDS", "GOAL_ONLY", "LISTED", "document_facts", "name_from_title", "read_declarations"]
