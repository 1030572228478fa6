"""PDF files: each page's characters and ruling lines (pdfium) laid out into tables and lines
(``layout.py``), running heads and page numbers left out, and a table continued on the next page
read as one table.

A budget document is mostly budget tables and narrative; only the pages that speak of targets and
indicators (and the page after one ending in a table) are laid out by geometry, the others are kept
as their text lines. A page without a text layer (a scan) is noted; its text needs OCR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import fix_radicals
from .grid import Document, Row
from .layout import Line, Table, layout_page, text_lines
from .ocr import mend

# a page whose text has one of these is laid out by geometry (a form, a list of targets)
_RELEVANT = ("指标", "绩效", "目标", "项目名称")
# page furniture: numbers and running heads in the margins
_PAGE_NO = re.compile(r"^[-—–－_\s·]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d+\s*页)?[-—–－_\s·]*$")
_MARGIN = 0.085  # of the page's height: the band at the top and at the bottom where furniture is printed


@dataclass
class _Block:
    """A page's block as rows: a table's rows (with its column lines) or one line of text."""
    rows: list[list[tuple[int, str]]]
    top: float
    bottom: float
    table: Table | None = None
    size: float = 0.0
    confidences: list[float | None] | None = None  # per row, read by OCR


@dataclass
class PageInput:
    """One page ready to assemble: its blocks top to bottom (PDF text layer, OFD or OCR alike)."""
    blocks: list[_Block]
    height: float
    ocr: bool = False

    @classmethod
    def laid_out(cls, glyphs: list, segments: list, width: float, height: float, ocr: bool = False,
                 carry: list[float] | None = None) -> "PageInput":
        glyphs = _without_page_numbers(glyphs, height)
        return cls(_blocks(layout_page(glyphs, segments, width, height, carry).blocks, height, ocr), height, ocr)

    @property
    def carry(self) -> list[float] | None:
        """The columns of the unruled table ending this page, for the next page to continue."""
        for b in reversed(self.blocks):
            if b.table is not None:
                return list(b.table.xs) if not b.table.drawn else None
            if b.top < (1 - _MARGIN) * self.height:  # text after the table: it ended on this page
                return None
        return None

    @classmethod
    def from_ocr(cls, page) -> "PageInput":
        return cls.laid_out(page.glyphs, page.segments, page.width, page.height, ocr=True)


def read_pdf(data: bytes) -> Document:
    from .pdfium import open_pdf, page_content

    pdf = open_pdf(data)
    notes: list[str] = []
    pages: list[PageInput] = []
    scanned = recognised = 0
    try:
        open_table = False
        for index in range(len(pdf)):
            pc = page_content(pdf, index, geometry=lambda text, carry=open_table: carry or _relevant(text))
            if pc.text_chars == 0:
                scanned += 1
                page = _recognise(pdf, index, notes)
                recognised += page is not None
                pages.append(page or PageInput([], pc.height))
            elif pc.geometry:
                carry = pages[-1].carry if pages else None
                pages.append(PageInput.laid_out(pc.glyphs, pc.segments, pc.width, pc.height, carry=carry))
            else:
                pages.append(PageInput(_text_blocks(pc.text), pc.height))
            blocks = pages[-1].blocks
            open_table = bool(blocks) and blocks[-1].table is not None
    finally:
        pdf.close()
    reader = "pdf/layout" if not scanned else ("pdf/ocr" if scanned == len(pages) else "pdf/layout+ocr")
    if recognised:
        notes.insert(0, f"{recognised} 页为扫描图像，已文字识别（OCR），请核对")
    return assemble(pages, reader, notes)


def _recognise(pdf, index: int, notes: list[str]) -> PageInput | None:
    """A page without a text layer, rendered and read by OCR (None when OCR is not installed)."""
    from .ocr import DPI, OCRUnavailable, ocr_image

    try:
        image = pdf[index].render(scale=DPI / 72).to_numpy()
        page = ocr_image(image, 72 / DPI)
    except OCRUnavailable as e:
        notes.append(f"第 {index + 1} 页没有文字层（扫描件或图片），未能读取：{e}")
        return None
    if not page.glyphs:
        notes.append(f"第 {index + 1} 页没有文字层，文字识别也没有读出文字（空白页或图片）")
    return PageInput.from_ocr(page)


def assemble(pages: list[PageInput], reader: str, notes: list[str] | None = None) -> Document:
    """Pages → one document: running heads dropped (once printed), tables continued over pages joined."""
    _drop_running_heads(pages)
    return _document(pages, notes or [], reader)


def _without_page_numbers(glyphs: list, height: float) -> list:
    """The page's glyphs without its page number (``— 23 —``, ``29``), which a table reaching the
    page's foot would otherwise take into its last cell."""
    margin = [g for g in glyphs if g.cy > 0.85 * height or g.cy < 0.12 * height]
    drop: set[int] = set()
    for line in text_lines(margin):
        if _PAGE_NO.match("".join(g.text for g in line)):
            drop.update(id(g) for g in line)
    return [g for g in glyphs if id(g) not in drop] if drop else glyphs


def _relevant(text: str) -> bool:
    return any(w in text for w in _RELEVANT)


def _blocks(blocks: list[Table | Line], height: float, ocr: bool = False) -> list[_Block]:
    out: list[_Block] = []
    for b in blocks:
        if isinstance(b, Table):
            pairs = [(r, c) for r, c in zip(b.rows(), b.confidences()) if r]
            if pairs:
                out.append(_Block([r for r, _ in pairs], b.top, b.bottom, b,
                                  confidences=[c for _, c in pairs] if ocr else None))
            continue
        in_margin = b.top < _MARGIN * height or b.bottom > (1 - _MARGIN) * height
        if in_margin and _PAGE_NO.match(b.text):
            continue
        out.append(_Block([[(i, t) for i, (_, t) in enumerate(b.cells)]], b.top, b.bottom, size=b.size,
                          confidences=[b.conf] if ocr else None))
    return out


def _text_blocks(text: str) -> list[_Block]:
    """A page read as text only: one block per line, page numbers left out."""
    out: list[_Block] = []
    for k, line in enumerate(text.splitlines()):
        line = line.strip()
        if line and not _PAGE_NO.match(line):
            out.append(_Block([[(0, line)]], float(k), float(k) + 1))
    return out


def _drop_running_heads(pages: list[PageInput]) -> None:
    """A line of text printed in the margin of three pages or more (a running head) is furniture."""
    seen: dict[str, int] = {}
    for page in pages:
        blocks, height = page.blocks, page.height
        for b in blocks:
            if b.table is None and (b.top < _MARGIN * height or b.bottom > (1 - _MARGIN) * height):
                key = _key(b)
                seen[key] = seen.get(key, 0) + 1
    heads = {k for k, n in seen.items() if n >= 3}
    if not heads:
        return
    printed: set[str] = set()  # the first one stays: a running title names what the pages hold
    for page in pages:
        blocks, height = page.blocks, page.height
        kept = []
        for b in blocks:
            key = _key(b)
            if b.table is None and key in heads and (b.top < _MARGIN * height or b.bottom > (1 - _MARGIN) * height):
                if key in printed:
                    continue
                printed.add(key)
            kept.append(b)
        page.blocks = kept


def _key(b: _Block) -> str:
    return re.sub(r"\d+", "#", "".join(t for row in b.rows for _, t in row).replace(" ", ""))


def _continues(prev: Table, table: Table) -> bool:
    """A table at the top of a page continues the one that ended the page before when their
    columns are the same lines."""
    if abs(prev.x0 - table.x0) > 6 or abs(prev.x1 - table.x1) > 6:
        return False
    a, b = prev.xs, table.xs
    shared = sum(1 for x in b if any(abs(x - y) <= 3 for y in a))
    # the same columns, or one table's column lines all among the other's (a form's top rows have
    # fewer columns than its indicator grid)
    return shared >= 0.8 * max(len(a), len(b)) or shared >= min(len(a), len(b))


def _document(pages: list[PageInput], notes: list[str], reader: str) -> Document:
    rows: list[Row] = []
    lines: list[str] = []
    table_no = 0
    last_table: Table | None = None
    last_row: Row | None = None
    for page_no, page in enumerate(pages, start=1):
        blocks = page.blocks
        first_block = True
        for block in blocks:
            table_rows = block.rows
            if block.table is not None:
                carried = (first_block or _only_titles_before(blocks, block)) and last_table is not None \
                    and _continues(last_table, block.table)
                if not carried:
                    table_no += 1
                else:
                    # (a table without rules has its rows cut by its text: no row is broken by the page)
                    if table_rows and last_row is not None and block.table.drawn and _fragment(table_rows[0], last_row):
                        _extend(lines, last_row, table_rows[0])  # a row broken by the page: its tail
                        table_rows = table_rows[1:]
                last_table = block.table
            confidences = (block.confidences or [None] * len(block.rows))[len(block.rows) - len(table_rows):]
            for cells, conf in zip(table_rows, confidences):
                texts = [(c, fix_radicals(" ".join(t.split()))) for c, t in cells]
                texts = [(c, t) for c, t in texts if t]
                if not texts:
                    continue
                if page.ocr:
                    texts = [(c, mend(t)) for c, t in texts]
                lines.append("\t".join(t for _, t in texts))
                rows.append(Row(len(lines), texts, exact=block.table is not None, grid=block.table is not None,
                                page=page_no, table=table_no if block.table is not None else 0, confidence=conf))
                last_row = rows[-1] if block.table is not None else last_row
            first_block = False
        if blocks and blocks[-1].table is None:
            last_table = None
    return Document(rows, "\n".join(lines), reader, notes)


def _fragment(cells: list[tuple[int, str]], last: Row) -> bool:
    """The first row of a continued table is the tail of the last row before the page break when
    the first column the last row filled is empty in it (a goal paragraph running on)."""
    if not last.cells or not cells:
        return False
    first_col = last.cells[0][0]
    return all(c != first_col for c, _ in cells) and cells[0][0] > first_col


def _extend(lines: list[str], row: Row, tail: list[tuple[int, str]]) -> None:
    cells = dict(row.cells)
    for col, text in tail:
        cells[col] = cells[col] + text if col in cells else text
    row.cells = sorted(cells.items())
    row.__dict__.pop("texts", None)  # the cached texts are stale
    lines[row.no - 1] = "\t".join(t for _, t in row.cells)


def _only_titles_before(blocks: list[_Block], block: _Block) -> bool:
    """Only lines of text (a repeated title, a unit line) come before ``block`` on its page."""
    for b in blocks:
        if b is block:
            return True
        if b.table is not None or len(b.rows[0]) > 2:
            return False
    return True
