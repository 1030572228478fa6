"""A PDF page's characters (with their boxes) and ruling lines, read with pdfium (pypdfium2).

pdfium is a C library: it gives every character of a page with its box and every path object with
its bounds, for a 40-page budget document in a fraction of a second. Coordinates come back as the
page is shown (its /Rotate applied), top-down, in points.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from dataclasses import dataclass

from .layout import MIN_DASH, MIN_RULE, Glyph, Segment

THIN = 2.5  # points: a path thinner than this is a line


@dataclass
class PageContent:
    glyphs: list[Glyph]
    segments: list[Segment]
    width: float
    height: float
    text_chars: int  # characters in the text layer (0: a scan)
    text: str = ""  # the text layer as pdfium orders it
    geometry: bool = True  # glyphs and segments were read


class _Transform:
    """User space → the page as shown (rotation applied), top-down."""

    def __init__(self, left: float, bottom: float, right: float, top: float, rotation: int):
        self.l, self.b, self.r, self.t, self.rot = left, bottom, right, top, rotation % 4
        w, h = right - left, top - bottom
        self.width, self.height = (h, w) if self.rot in (1, 3) else (w, h)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) shown, of a user-space box (any two opposite corners)."""
        a, b = self.point(x0, y0), self.point(x1, y1)
        return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])

    def point(self, x: float, y: float) -> tuple[float, float]:
        rot = self.rot
        if rot == 0:
            return x - self.l, self.t - y
        if rot == 1:
            return y - self.b, x - self.l
        if rot == 2:
            return self.r - x, y - self.b
        return self.t - y, self.r - x


def open_pdf(data: bytes):
    import pypdfium2 as pdfium

    from ..records import ParseError

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise ParseError("PDF 有密码保护（已加密），无法读取：请另存为不加密的 PDF 再导入") from e
        raise


def page_content(pdf, index: int, geometry=True) -> PageContent:
    """One page's text layer; with ``geometry`` (True, or a test on the page's text) its characters'
    boxes and its ruling lines too. Pages of narrative and budget tables need only their text."""
    import pypdfium2.raw as raw

    page = pdf[index]
    tp = None
    try:
        box = raw.FS_RECTF()
        if not raw.FPDF_GetPageBoundingBox(page.raw, ctypes.byref(box)):
            box.left, box.bottom, box.right, box.top = 0.0, 0.0, page.get_width(), page.get_height()
        tr = _Transform(box.left, box.bottom, box.right, box.top, raw.FPDFPage_GetRotation(page.raw))
        tp = raw.FPDFText_LoadPage(page.raw)
        n = raw.FPDFText_CountChars(tp) if tp else 0
        text = page_text(raw, tp, n) if n else ""
        if callable(geometry):
            geometry = geometry(text)
        if not geometry:
            return PageContent([], [], tr.width, tr.height, n, text, False)
        glyphs = _without_overprint(_glyphs(raw, tp, text, tr)) if n else []
        segments = list(_segments(raw, page, tr))
        return PageContent(glyphs, segments, tr.width, tr.height, n, text, True)
    finally:
        if tp:
            raw.FPDFText_ClosePage(tp)
        page.close()


def page_text(raw, tp, n: int) -> str:
    """The text layer's characters, one per index (pdfium's own spaces and line breaks included)."""
    if n <= 0:
        return ""
    buf = ctypes.create_string_buffer(2 * n + 2)
    got = raw.FPDFText_GetText(tp, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)))
    text = buf.raw[: 2 * max(got - 1, 0)].decode("utf-16-le", errors="replace")
    if len(text) != n:  # characters outside the BMP come as two units: read them one by one
        text = "".join(_char(raw.FPDFText_GetUnicode(tp, i)) for i in range(n))
    return text.replace("\ufffe", "-").replace("\x02", "-")


def _char(code: int) -> str:
    try:
        return chr(code)
    except ValueError:
        return "\ufffd"


_SKIP = frozenset(" \t\r\n\x00\xa0\u3000\ufeff\uffff")
_HYPHENS = ("\x02", "\ufffe")  # pdfium's mark for a hyphen it read as breaking a word at a line's end


def _without_overprint(glyphs: list[Glyph]) -> list[Glyph]:
    """A character drawn twice at (almost) the same place is one: bold is often simulated by
    printing the text again a fraction of a point to the side (预预算算 → 预算)."""
    seen: set[tuple[str, int, int]] = set()
    out: list[Glyph] = []
    for g in glyphs:
        key = (g.text, round(g.x0 / 1.5), round(g.top / 1.5))
        prev = out[-1] if out else None
        if key in seen or (prev is not None and prev.text == g.text and abs(prev.x0 - g.x0) < 0.3 * g.size
                           and abs(prev.top - g.top) < 0.3 * g.size):
            continue
        seen.add(key)
        out.append(g)
    return out


def _glyphs(raw, tp, text: str, tr: _Transform) -> list[Glyph]:
    rect = raw.FS_RECTF()
    ref = ctypes.byref(rect)
    get_box = raw.FPDFText_GetLooseCharBox
    out: list[Glyph] = []
    append = out.append
    if tr.rot == 0:
        left, top = tr.l, tr.t
        for i, ch in enumerate(text):
            if ch in _HYPHENS:
                ch = "-"
            if ch in _SKIP or ch < " " or not get_box(tp, i, ref):
                continue
            x0, x1, y0, y1 = rect.left - left, rect.right - left, top - rect.top, top - rect.bottom
            if x1 > x0 and y1 > y0:
                append(Glyph(ch, x0, x1, y0, y1))
        return out
    for i, ch in enumerate(text):
        if ch in _HYPHENS:
            ch = "-"
        if ch in _SKIP or ch < " " or not get_box(tp, i, ref):
            continue
        x0, y0, x1, y1 = tr.box(rect.left, rect.top, rect.right, rect.bottom)
        if x1 > x0 and y1 > y0:
            append(Glyph(ch, x0, x1, y0, y1))
    return out


def _segments(raw, page, tr: _Transform) -> Iterator[Segment]:
    """The page's ruling lines: thin paths, the edges of stroked rectangles and the straight strokes
    of longer paths, inside form XObjects too."""
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    refs = (ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
    matrix = raw.FS_MATRIX()
    stack: list[tuple[object, int, int, bool]] = [(page.raw, raw.FPDFPage_CountObjects(page.raw), 0, False)]
    page_w, page_h = tr.width, tr.height
    while stack:
        owner, count, k, in_form = stack.pop()
        if k >= count:
            continue
        stack.append((owner, count, k + 1, in_form))
        obj = raw.FPDFFormObj_GetObject(owner, k) if in_form else raw.FPDFPage_GetObject(owner, k)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_FORM:
            if len(stack) < 6:
                stack.append((obj, raw.FPDFFormObj_CountObjects(obj), 0, True))
            continue
        if kind != raw.FPDF_PAGEOBJ_PATH or not raw.FPDFPageObj_GetBounds(obj, *refs):
            continue
        x0, y0, x1, y1 = tr.box(left.value, bottom.value, right.value, top.value)
        w, h = x1 - x0, y1 - y0
        if h <= THIN and w >= MIN_DASH:
            yield Segment(True, (y0 + y1) / 2, x0, x1)
        elif w <= THIN and h >= MIN_DASH:
            yield Segment(False, (x0 + x1) / 2, y0, y1)
        elif w > THIN and h > THIN and w < 0.95 * page_w and h < 0.95 * page_h:
            yield from _strokes(raw, obj, tr, matrix, (x0, y0, x1, y1))


def _strokes(raw, obj, tr: _Transform, matrix, bounds) -> Iterator[Segment]:
    """A stroked rectangle's four edges, or the axis-parallel straight strokes of a longer path."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not raw.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke)) or not stroke.value:
        return
    n = raw.FPDFPath_CountSegments(obj)
    if n <= 0 or n > 400:
        return
    if n <= 5:
        x0, y0, x1, y1 = bounds
        yield Segment(True, y0, x0, x1)
        yield Segment(True, y1, x0, x1)
        yield Segment(False, x0, y0, y1)
        yield Segment(False, x1, y0, y1)
        return
    if not raw.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix)):
        return
    a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
    px, py = ctypes.c_float(), ctypes.c_float()
    prev = None
    for i in range(n):
        seg = raw.FPDFPath_GetPathSegment(obj, i)
        if not raw.FPDFPathSegment_GetPoint(seg, ctypes.byref(px), ctypes.byref(py)):
            continue
        x, y = a * px.value + c * py.value + e, b * px.value + d * py.value + f
        point = tr.point(x, y)
        if raw.FPDFPathSegment_GetType(seg) == raw.FPDF_SEGMENT_LINETO and prev is not None:
            (ax, ay), (bx, by) = prev, point
            if abs(ay - by) <= 0.5 and abs(ax - bx) >= MIN_RULE:
                yield Segment(True, (ay + by) / 2, min(ax, bx), max(ax, bx))
            elif abs(ax - bx) <= 0.5 and abs(ay - by) >= MIN_RULE:
                yield Segment(False, (ax + bx) / 2, min(ay, by), max(ay, by))
        prev = point
