"""Scans and photos: text recognised offline (RapidOCR's PP-OCRv4 models, shipped inside the
``rapidocr-onnxruntime`` wheel) and laid out by the same page geometry as a PDF's text layer.

A page image is turned upright (a page scanned sideways or upside down, a photo a few degrees off),
its ruling lines found (long thin strokes, after evening out uneven light), and every recognised
character placed by its box; numbers the recognition broke (``781. 50``, ``1 260``) are mended.
Each character keeps its recognition confidence, so a declaration read from a scan says how sure
the reading is.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

from .layout import Glyph, Segment

DPI = 150  # a PDF page without text is rendered at this resolution for recognition
_ENGINE = None
_LOCK = threading.Lock()


class OCRUnavailable(RuntimeError):
    pass


def engine():
    """The recognition engine, loaded once per process (about 1 s)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as e:
                raise OCRUnavailable("文字识别（OCR）组件未安装：pip install 'budget-kb[ocr]'（或 rapidocr-onnxruntime==1.4.4）"
                                     ) from e
            # one thread in each of kb build's worker processes (it sets KB_OCR_THREADS), else every core
            threads = int(os.environ.get("KB_OCR_THREADS") or os.cpu_count() or 1)
            _ENGINE = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        return _ENGINE


@dataclass
class OCRPage:
    glyphs: list[Glyph]
    segments: list[Segment]
    width: float  # in points (1/72 inch)
    height: float
    confidence: float | None  # the mean over its characters; None when nothing was read
    turned: int = 0  # degrees the page was turned to read it (0, 90, 180, 270)
    skew: float = 0.0  # degrees the image was straightened


def ocr_image(image, scale: float) -> OCRPage:
    """Read one page image (an RGB or grey numpy array); ``scale`` converts pixels to points."""
    import numpy as np

    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    grey = img if img.ndim == 2 else img.mean(axis=2).astype("uint8")
    grey, skew = _straighten(grey)
    even = _even_light(grey)
    result, turned = _read_upright(even)
    if turned:
        even = np.ascontiguousarray(np.rot90(even, k=turned // 90))
    result = [_with_comparators(even, r) for r in result]
    glyphs, confidences = _glyphs(result, scale)
    segments = _rules(even, scale, [r[0] for r in result])
    found, found_conf = _empty_cells(even, glyphs, segments, scale)
    glyphs += found
    confidences += found_conf
    h, w = even.shape[:2]
    conf = sum(confidences) / len(confidences) if confidences else None
    return OCRPage(glyphs, segments, w * scale, h * scale, conf, turned, skew)


def _read_upright(grey) -> tuple[list, int]:
    """The page read the right way up: as it is when it reads well, else the best of it turned by
    90°, 180° and 270° (a page scanned sideways or upside down)."""
    import numpy as np

    best: tuple[float, list, int] = (-1.0, [], 0)
    turns = [0]
    while turns:
        turned = turns.pop(0)
        img = grey if not turned else np.ascontiguousarray(np.rot90(grey, k=turned // 90))
        result, _ = engine()(_rgb(img), return_word_box=True)
        result = result or []
        chars = sum(len(r[1]) for r in result)
        score = sum(float(r[2]) * len(r[1]) for r in result) / chars if chars else 0.0
        if score * chars > best[0] * sum(len(r[1]) for r in best[1]):
            best = (score, result, turned)
        if turned or chars < 20 or score >= 0.85:
            continue  # it reads well this way up, or there is too little text to tell
        tall = sum(1 for r in result if _box_height(r[0]) > 1.5 * _box_width(r[0]))
        turns = [90, 270] if tall > 0.5 * len(result) else [180]  # sideways, or upside down
    return best[1], best[2]


def _box_width(quad) -> float:
    return abs(quad[1][0] - quad[0][0]) + abs(quad[1][1] - quad[0][1])


def _box_height(quad) -> float:
    return abs(quad[3][1] - quad[0][1]) + abs(quad[3][0] - quad[0][0])


# ------------------------------------------------------------------ characters

_ONE = re.compile(r"(?<=[≥≤<>=＝\d.])[Il|](?=[\d.年月日个人次%万元天户家项]|$)|^[Il|](?=\d)")
_SPACED_NUMBER = re.compile(r"(?<=\d)[.,，．]\s+(?=\d)|(?<=\d)\s+(?=[.,，．]\d)")
_DIGIT_GROUPS = re.compile(r"(?<=\d) (?=\d{3}\b)")


def mend(text: str) -> str:
    """What recognition does to numbers, undone: ``781. 50`` → 781.50, ``1 260`` → 1260, ``％`` → %."""
    text = text.replace("％", "%").replace("．", ".")
    text = _ONE.sub("1", text)  # ≥I年, 1I → ≥1年, 11: an I among digits is a one
    text = re.sub(r"(?<=[≥≤<>=＝])[。oO](?=[\d.万元%个]|$)", "0", text)  # =。万元 → =0万元
    text = _SPACED_NUMBER.sub(lambda m: m.group(0).strip().replace("，", ",").replace(" ", ""), text)
    text = _DIGIT_GROUPS.sub("", text)
    return text


def _glyphs(result: list, scale: float) -> tuple[list[Glyph], list[float]]:
    glyphs: list[Glyph] = []
    confidences: list[float] = []
    for item in result:
        box, text, score = item[0], item[1], float(item[2])
        words = item[3] if len(item) > 3 else None
        chars = item[4] if len(item) > 4 else None
        scores = item[5] if len(item) > 5 else None
        mended = mend(text)
        if words and chars and len(words) == len(chars) and "".join(chars) == text and mended == text:
            for quad, ch, s in zip(words, chars, scores or [score] * len(chars)):
                xs, ys = [p[0] for p in quad], [p[1] for p in quad]
                glyphs.append(Glyph(ch, min(xs) * scale, max(xs) * scale, min(ys) * scale, max(ys) * scale,
                                    float(s)))
                confidences.append(float(s))
            continue
        # no character boxes (or the text was mended): spread the characters over the line's box
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
        chars_ = [c for c in mended if not c.isspace()]
        widths = [0.5 if c.isascii() else 1.0 for c in chars_]
        total = sum(widths) or 1.0
        x = x0
        for c, wdt in zip(chars_, widths):
            step = (x1 - x0) * wdt / total
            glyphs.append(Glyph(c, x * scale, (x + step) * scale, top * scale, bottom * scale, score))
            confidences.append(score)
            x += step
    return glyphs, confidences


def _empty_cells(grey, glyphs: list[Glyph], segments: list[Segment], scale: float) -> tuple[list[Glyph], list[float]]:
    """A table cell with ink but no text found: what detection missed (a lone ≥ is too small for
    it), recognised from the cell itself."""
    import numpy as np

    from .layout import Table, layout_page

    h, w = grey.shape[:2]
    page = layout_page(list(glyphs), segments, w * scale, h * scale)
    out: list[Glyph] = []
    conf: list[float] = []
    for table in (b for b in page.blocks if isinstance(b, Table)):
        for cell in table.cells:
            if cell.glyphs:
                continue
            x0, x1 = int(cell.x0 / scale) + 3, int(cell.x1 / scale) - 3
            y0, y1 = int(cell.top / scale) + 3, int(cell.bottom / scale) - 3
            if x1 - x0 < 6 or y1 - y0 < 6 or x1 - x0 > 0.5 * w:
                continue
            crop = grey[y0:y1, x0:x1]
            ink = crop < _ink_level(crop)
            if ink.sum() < 12 or ink.mean() > 0.5:
                continue
            rows, cols = np.where(ink.any(axis=1))[0], np.where(ink.any(axis=0))[0]
            tight = crop[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
            text, score = _recognise(tight)
            if len(text) == 1 or not text:
                shape = comparator_shape(np.pad(tight, 3, constant_values=255))
                if shape is not None:
                    text, score = shape, max(score, 0.8)
            if not text:
                continue
            gx0, gx1 = (x0 + cols[0]) * scale, (x0 + cols[-1] + 1) * scale
            gy0, gy1 = (y0 + rows[0]) * scale, (y0 + rows[-1] + 1) * scale
            step = (gx1 - gx0) / len(text)
            for k, ch in enumerate(text):
                out.append(Glyph(ch, gx0 + k * step, gx0 + (k + 1) * step, gy0, gy1, score))
                conf.append(score)
    return out, conf


def _ink_level(crop) -> int:
    """The grey level below which a pixel is ink: halfway between the darkest and the paper."""
    darkest, paper = int(crop.min()), int(sorted(crop.ravel())[int(crop.size * 0.6)])
    return (darkest + paper) // 2 if paper - darkest > 60 else -1


def _recognise(crop) -> tuple[str, float]:
    import numpy as np

    padded = np.pad(crop, 8, constant_values=255)
    result = engine().text_rec([_rgb(padded)])
    items = result[0] if result else []
    if not items:
        return "", 0.0
    text, score = items[0]
    return (mend(text.strip()), float(score)) if score >= 0.5 else ("", 0.0)


# ------------------------------------------------------------------ comparators

_COMPARATOR_LOOKALIKES = set("=三ⅡI|〓＝≥≤")


def _with_comparators(grey, item: list) -> list:
    """A comparator printed alone (the 指标性质 column's ≥) is often recognised as = or 三: its shape
    decides (a chevron above the bar is ≥ or ≤, two full bars are =)."""
    text = item[1]
    words = item[3] if len(item) > 3 else None
    chars = item[4] if len(item) > 4 else None
    if not text or not words or not chars or text[0] not in _COMPARATOR_LOOKALIKES:
        return item
    if not (len(text) == 1 or (len(text) > 1 and (text[1].isdigit() or text[1] == "."))):
        return item
    quad = words[0]
    xs, ys = [int(p[0]) for p in quad], [int(p[1]) for p in quad]
    box_ys = [int(p[1]) for p in item[0]]
    pad = 4  # the character's box with a margin (ink touching the margin is not the character's)
    crop = grey[max(0, min(ys + box_ys) - pad):max(ys + box_ys) + pad + 1, max(0, min(xs) - pad):max(xs) + pad + 1]
    shape = comparator_shape(crop)
    if shape is None or shape == text[0]:
        return item
    fixed = shape + text[1:]
    out = list(item)
    out[1] = fixed
    out[4] = [shape] + list(chars[1:])
    return out


def comparator_shape(crop) -> str | None:
    """≥, ≤, =, > or < from the ink of one character's box, or None when it is none of them: two
    full-width bars are =; otherwise the top row's ink tells the chevron (its upper arm starts on the
    left for > and ≥, on the right for < and ≤), and a second stroke under it makes ≥ or ≤."""
    import cv2
    import numpy as np

    if crop.size == 0 or crop.shape[0] < 6 or crop.shape[1] < 4:
        return None
    ink = (crop < _ink_level(crop)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    edge = set(labels[0]) | set(labels[-1]) | set(labels[:, 0]) | set(labels[:, -1])
    for k in range(1, count):  # a table's rule or a neighbour's ink reaching into the box; specks
        if k in edge or stats[k, cv2.CC_STAT_AREA] < 3:
            ink[labels == k] = 0
    ink = ink.astype(bool)
    rows = np.where(ink.any(axis=1))[0]
    cols = np.where(ink.any(axis=0))[0]
    if len(rows) < 2 or rows[-1] - rows[0] < 3 or cols[-1] - cols[0] < 3:
        return None
    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = ink.shape
    if h > 2.2 * w or w > 2.5 * h:
        return None  # too tall or too flat for a comparator
    strokes = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)[0] - 1
    spans = ink.sum(axis=1) / w
    if spans[: max(2, h // 5)].max() >= 0.75:  # a bar on top: = when a second one is under it, little else
        full = spans >= 0.75
        runs = (np.diff(np.concatenate([[0], full.astype(int), [0]])) == 1).sum()
        return "=" if runs == 2 and ink[full].sum() >= 0.7 * ink.sum() else None
    centre = np.where(ink[0])[0].mean() / max(1, w - 1)
    if strokes not in (1, 2):
        return None
    if centre < 0.4:
        return "≥" if strokes == 2 else ">"
    if centre > 0.6:
        return "≤" if strokes == 2 else "<"
    return None


# ------------------------------------------------------------------ the page image

def _rgb(grey):
    import numpy as np

    return np.ascontiguousarray(np.dstack([grey, grey, grey]))


def _shrink(img, longest: int):
    import cv2

    h, w = img.shape[:2]
    factor = min(1.0, longest / max(h, w))
    if factor >= 1.0:
        return img, 1.0
    return cv2.resize(img, (int(w * factor), int(h * factor)), interpolation=cv2.INTER_AREA), factor


def _straighten(grey):
    """A photo a few degrees off: turned by the median angle of its long near-horizontal strokes."""
    import cv2
    import numpy as np

    edges = cv2.Canny(grey, 50, 150)
    h, w = grey.shape
    lines = cv2.HoughLinesP(edges, 1, np.pi / 720, threshold=150, minLineLength=w // 5, maxLineGap=10)
    if lines is None:
        return grey, 0.0
    angles = []
    for x0, y0, x1, y1 in lines.reshape(-1, 4):
        a = np.degrees(np.arctan2(y1 - y0, x1 - x0))
        if abs(a) < 10:
            angles.append(a)
    if len(angles) < 3:
        return grey, 0.0
    angle = float(np.median(angles))
    if abs(angle) < 0.2:
        return grey, 0.0
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255), angle


def _even_light(grey):
    """Uneven light (a phone's shadow across the page) divided out: the page's background estimated
    by a wide blur, the image divided by it."""
    import cv2
    import numpy as np

    k = max(31, (min(grey.shape) // 20) | 1)
    background = cv2.medianBlur(cv2.resize(grey, None, fx=0.25, fy=0.25), k // 4 | 1)
    background = cv2.resize(background, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    out = cv2.divide(grey.astype(np.float32), background.astype(np.float32) + 1, scale=255)
    return np.clip(out, 0, 255).astype(np.uint8)


def _rules(grey, scale: float, text_boxes: list) -> list[Segment]:
    """Ruling lines: horizontal strokes at least 18 pt long and vertical ones at least 10 pt, found
    where no text was recognised (a character's strokes are not rules)."""
    import cv2
    import numpy as np

    binary = cv2.adaptiveThreshold(255 - grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -2)
    for quad in text_boxes:  # each text box, shrunk a little, blanked out
        pts = np.asarray(quad, dtype=np.float32)
        centre = pts.mean(axis=0)
        inner = centre + (pts - centre) * np.array([0.94, 0.7], dtype=np.float32)
        cv2.fillPoly(binary, [inner.astype(np.int32)], 0)
    h, w = binary.shape
    out: list[Segment] = []
    for horizontal in (True, False):
        size = max(8, int((18 if horizontal else 10) / scale))
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, 1) if horizontal else (1, size))
        mask = cv2.dilate(cv2.erode(binary, kernel), kernel)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for x, y, bw, bh, _area in stats[1:count]:
            if horizontal and bw >= size and bh <= max(6, h // 150):
                out.append(Segment(True, (y + bh / 2) * scale, x * scale, (x + bw) * scale))
            elif not horizontal and bh >= size and bw <= max(6, w // 150):
                out.append(Segment(False, (x + bw / 2) * scale, y * scale, (y + bh) * scale))
    return out


# ------------------------------------------------------------------ images as documents

def read_image(data: bytes):
    """A scan or a photo of a form (PNG, JPEG, TIFF, BMP, GIF; every frame of a multi-page TIFF)."""
    import io

    import numpy as np
    from PIL import Image, ImageOps

    from .pdf import PageInput, assemble

    img = Image.open(io.BytesIO(data))
    pages = []
    for k in range(getattr(img, "n_frames", 1)):
        img.seek(k)
        frame = ImageOps.exif_transpose(img.convert("RGB")) if k == 0 else img.convert("RGB")
        arr = np.asarray(frame)
        scale = 595.0 / max(1, min(arr.shape[0], arr.shape[1]))  # the page's short side as A4's
        page = ocr_image(arr, scale)
        pages.append(PageInput.from_ocr(page))
    return assemble(pages, "ocr/image")
