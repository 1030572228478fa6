"""OFD files (GB/T 33190, the national format of official electronic documents): each page's text
objects (every character placed by its TextCode's X, Y and DeltaX) and path objects (ruling lines),
page templates included, laid out by the same geometry as a PDF page.

An OFD is a zip package: OFD.xml names the documents, each Document.xml its pages and templates,
each page's Content.xml its layers of objects. Lengths are in millimetres, y grows downwards.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import xml.etree.ElementTree as ET

from .layout import MIN_RULE, Glyph, Segment

MM = 72 / 25.4  # points per millimetre
MAX_XML = 32 * 1024 * 1024  # a page's content larger than this is refused, not inflated
_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el, name: str):
    return [c for c in el if _local(c.tag) == name]


def _find(el, *path: str):
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if _local(c.tag) == name), None)
    return el


def _box(text: str | None) -> tuple[float, float, float, float] | None:
    nums = [float(x) for x in _NUM.findall(text or "")]
    return tuple(nums[:4]) if len(nums) >= 4 else None


class _Package:
    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = {n.lstrip("/"): n for n in self.zip.namelist()}
        self.lower = {n.lower(): n for n in self.names}

    def xml(self, path: str):
        path = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
        name = self.names.get(path) or self.lower.get(path.lower())
        if name is None:
            return None
        name = self.names[name] if name in self.names else name
        info = self.zip.getinfo(name)
        if info.file_size > MAX_XML:
            raise ValueError(f"{path} 解压后 {info.file_size:,} 字节，超过上限")
        return ET.fromstring(self.zip.read(name))


def _resolve(base_dir: str, loc: str) -> str:
    loc = loc.replace("\\", "/")
    return loc.lstrip("/") if loc.startswith("/") else posixpath.join(base_dir, loc)


def ofd_pages(data: bytes) -> list[tuple[list[Glyph], list[Segment], float, float]]:
    """(glyphs, segments, width, height) of every page, in points, top-down."""
    pkg = _Package(data)
    root = pkg.xml("OFD.xml")
    if root is None:
        raise ValueError("没有 OFD.xml，不是 OFD 文件")
    pages = []
    for body in _children(root, "DocBody"):
        doc_root = _find(body, "DocRoot")
        if doc_root is None or not (doc_root.text or "").strip():
            continue
        doc_path = _resolve("", doc_root.text.strip())
        doc = pkg.xml(doc_path)
        if doc is None:
            continue
        base = posixpath.dirname(doc_path)
        common = _find(doc, "CommonData")
        default_box = _box((_find(common, "PageArea", "PhysicalBox") or ET.Element("x")).text) or (0, 0, 210, 297)
        templates = {t.get("ID"): _resolve(base, t.get("BaseLoc", "")) for t in _children(common, "TemplatePage")} \
            if common is not None else {}
        for page in _children(_find(doc, "Pages") if _find(doc, "Pages") is not None else ET.Element("x"), "Page"):
            loc = _resolve(base, page.get("BaseLoc", ""))
            content = pkg.xml(loc)
            if content is None:
                continue
            box = _box((_find(content, "Area", "PhysicalBox") or ET.Element("x")).text) or default_box
            glyphs: list[Glyph] = []
            segments: list[Segment] = []
            for tpl in _children(content, "Template"):
                tpl_path = templates.get(tpl.get("TemplateID"))
                tpl_xml = pkg.xml(tpl_path) if tpl_path else None
                if tpl_xml is not None:
                    _objects(_find(tpl_xml, "Content"), glyphs, segments)
            _objects(_find(content, "Content"), glyphs, segments)
            pages.append((glyphs, segments, (box[2]) * MM, (box[3]) * MM))
    return pages


def _objects(content, glyphs: list[Glyph], segments: list[Segment]) -> None:
    if content is None:
        return
    stack = list(content)
    while stack:
        el = stack.pop()
        name = _local(el.tag)
        if name in ("Layer", "PageBlock"):
            stack.extend(list(el))
        elif name == "TextObject":
            glyphs.extend(_text(el))
        elif name == "PathObject":
            segments.extend(_path(el))


def _ctm(el):
    nums = [float(x) for x in _NUM.findall(el.get("CTM") or "")]
    return nums if len(nums) == 6 else None


def _apply(ctm, x: float, y: float) -> tuple[float, float]:
    if ctm is None:
        return x, y
    a, b, c, d, e, f = ctm
    return a * x + c * y + e, b * x + d * y + f


def _deltas(text: str | None) -> list[float]:
    """DeltaX/DeltaY, with ``g N d`` standing for N times d."""
    tokens = (text or "").split()
    out: list[float] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            try:
                out.extend([float(tokens[i + 2])] * int(float(tokens[i + 1])))
            except ValueError:
                pass
            i += 3
            continue
        try:
            out.append(float(tokens[i]))
        except ValueError:
            pass
        i += 1
    return out


def _text(el) -> list[Glyph]:
    box = _box(el.get("Boundary"))
    if box is None:
        return []
    bx, by = box[0], box[1]
    size = float(el.get("Size") or 3.5)
    ctm = _ctm(el)
    scale = (abs(ctm[3]) or 1.0) if ctm else 1.0
    out: list[Glyph] = []
    x = y = 0.0
    for code in _children(el, "TextCode"):
        text = code.text or ""
        x = float(code.get("X", x))
        y = float(code.get("Y", y))
        dx, dy = _deltas(code.get("DeltaX")), _deltas(code.get("DeltaY"))
        cx, cy = x, y
        for k, ch in enumerate(text):
            own = size if ord(ch) > 127 else 0.6 * size  # the character's own width
            advance = dx[k] if k < len(dx) else own
            if not ch.isspace():
                # the advance to the next character may span a gap (the next cell): the glyph is its own width
                width = min(advance, own) if advance > 0 else own
                (x0, base), (x1, _) = _apply(ctm, cx, cy), _apply(ctm, cx + width, cy)
                h = size * scale
                left, right = min(x0, x1), max(x0, x1)
                if right - left < 0.05:
                    right = left + h * (1 if ord(ch) > 127 else 0.5)
                out.append(Glyph(ch, (bx + left) * MM, (bx + right) * MM, (by + base - 0.86 * h) * MM,
                                 (by + base + 0.14 * h) * MM))
            cx += advance if k < len(dx) or not dy else 0.0
            cy += dy[k] if k < len(dy) else 0.0
        x, y = cx, cy
    return out


def _path(el) -> list[Segment]:
    box = _box(el.get("Boundary"))
    if box is None or el.get("Visible") == "false":
        return []
    bx, by, bw, bh = box
    if (bw * MM <= 2.5 and bh * MM >= MIN_RULE) or (bh * MM <= 2.5 and bw * MM >= MIN_RULE):
        horizontal = bh <= bw  # a thin path: the line its boundary draws
        if horizontal:
            return [Segment(True, (by + bh / 2) * MM, bx * MM, (bx + bw) * MM)]
        return [Segment(False, (bx + bw / 2) * MM, by * MM, (by + bh) * MM)]
    if el.get("Stroke") == "false":
        return []
    ctm = _ctm(el)
    data = _find(el, "AbbreviatedData")
    tokens = (data.text or "").split() if data is not None else []
    out: list[Segment] = []
    cur = start = None
    i = 0
    while i < len(tokens):
        op = tokens[i]
        nums = []
        j = i + 1
        while j < len(tokens) and _NUM.fullmatch(tokens[j]):
            nums.append(float(tokens[j]))
            j += 1
        if op in ("M", "S") and len(nums) >= 2:
            cur = start = _apply(ctm, nums[0], nums[1])
        elif op == "L" and len(nums) >= 2 and cur is not None:
            nxt = _apply(ctm, nums[0], nums[1])
            out.extend(_segment(cur, nxt, bx, by))
            cur = nxt
        elif op in ("B", "Q", "A") and nums:
            cur = _apply(ctm, nums[-2], nums[-1]) if len(nums) >= 2 else cur
        elif op in ("C", "Z") and cur is not None and start is not None:
            out.extend(_segment(cur, start, bx, by))
            cur = start
        i = j if j > i + 1 else i + 1
    return out


def _segment(a, b, bx: float, by: float) -> list[Segment]:
    (x0, y0), (x1, y1) = a, b
    x0, x1, y0, y1 = (bx + x0) * MM, (bx + x1) * MM, (by + y0) * MM, (by + y1) * MM
    if abs(y0 - y1) <= 0.5 and abs(x1 - x0) >= MIN_RULE:
        return [Segment(True, (y0 + y1) / 2, min(x0, x1), max(x0, x1))]
    if abs(x0 - x1) <= 0.5 and abs(y1 - y0) >= MIN_RULE:
        return [Segment(False, (x0 + x1) / 2, min(y0, y1), max(y0, y1))]
    return []


def read_ofd(data: bytes):
    from .grid import Document
    from .pdf import PageInput, assemble

    pages = ofd_pages(data)
    if not pages:
        return Document([], "", "ofd", ["OFD 文件中没有页面"])
    return assemble([PageInput.laid_out(g, s, w, h) for g, s, w, h in pages], "ofd")
