"""Tables printed without ruling lines, found from the page's geometry alone. Pure: lines of glyphs
in, tables out.

A table without rules still has what a reader's eye uses:
- a header: a line (with the lines its wrapped headings spill onto) naming two columns of an
  indicator grid or a project list (一级指标 … 指标值, 项目名称 … 绩效目标);
- columns: vertical gutters that no character of the table crosses;
- rows: the column holding one short entry per row (指标值, 权重, an amount) marks each row; the
  row boundary between two such entries is the widest blank band between them, across every column;
- cells merged over rows: a label printed once, centred on the rows it covers (一级指标 beside its
  二级 and 三级 indicators, a project's name beside its indicators). Its span is found by walking
  the rows: each label covers the rows whose middle is its centre, from where the previous label's
  rows end; when the labels' rows do not add up to the column's rows, the labels are taken as
  printed at the top of their rows and left to the reader of rows, as a spreadsheet would give them.
"""

from __future__ import annotations

from .layout import Cell, Glyph, Table

HEADER_WORDS = ("一级指标", "二级指标", "三级指标", "指标名称", "指标值", "指标内容", "绩效指标",
                "项目名称", "预算数", "预算金额", "绩效目标", "权重", "计量单位", "度量单位", "评分标准",
                "指标性质", "指标方向", "年度目标", "实施期目标", "分值", "单位名称", "资金总额")
LEADING = 0.7  # a gap below this many character heights is the space between two lines of one cell
PARAGRAPH_GAP = 2.5  # a gap over this many character heights ends the table


class _Line:
    __slots__ = ("glyphs", "top", "bottom", "x0", "x1", "size", "text")

    def __init__(self, glyphs: list[Glyph]):
        self.glyphs = glyphs
        self.top = min(g.top for g in glyphs)
        self.bottom = max(g.bottom for g in glyphs)
        self.x0 = min(g.x0 for g in glyphs)
        self.x1 = max(g.x1 for g in glyphs)
        self.size = sorted(g.size for g in glyphs)[len(glyphs) // 2]
        self.text = "".join(g.text for g in glyphs).replace(" ", "")


def find_tables(lines: list[list[Glyph]], ruled: list[Table],
                carry: list[float] | None = None) -> tuple[list[Table], list[list[Glyph]]]:
    """The unruled tables among a page's free lines (top to bottom) and the lines left over;
    ``carry``: the columns of an unruled table that ended the page before."""
    items = [_Line(ln) for ln in lines if ln]
    tables: list[Table] = []
    used: set[int] = set()
    k = 0
    if carry and items:
        found = _continued(items, ruled, carry)
        if found is not None:
            table, first, last = found
            tables.append(table)
            used.update(range(first, last + 1))
            k = last + 1
    if len(items) < 4 and not tables:
        return [], lines
    while k < len(items):
        if _header_words(items[k].text) < 1:
            k += 1
            continue
        found = _table_at(items, k, ruled)
        if found is None:
            k += 1
            continue
        table, first, last = found
        tables.append(table)
        used.update(range(first, last + 1))
        k = last + 1
    if not tables:
        return [], lines
    return tables, [it.glyphs for i, it in enumerate(items) if i not in used]


def _continued(items: list[_Line], ruled: list[Table], bounds: list[float]):
    """The first lines of a page continuing an unruled table from the page before: under at most
    two lines of another kind (a running head, 续表), lines whose text keeps to the table's columns
    and fills two of them at least."""
    size = sorted(it.size for it in items[:6])[len(items[:6]) // 2]
    inner = bounds[1:-1]

    def keeps(it: _Line) -> bool:
        return it.x0 >= bounds[0] - size and it.x1 <= bounds[-1] + size and \
            not any(a < x - size and b > x + size for x in inner for a, b in _runs(it, size))

    start = next((k for k, it in enumerate(items[:3]) if keeps(it)
                  and len({_column(bounds, g.cx) for g in it.glyphs}) >= 2), None)
    if start is None or (ruled and ruled[0].top < items[start].top):
        return None
    last = start
    while last + 1 < len(items):
        nxt, cur = items[last + 1], items[last]
        if nxt.top - cur.bottom > PARAGRAPH_GAP * size or _between_ruled(cur, nxt, ruled) or not keeps(nxt):
            break
        last += 1
    table = _grid([], items[start:last + 1], bounds, _leading(items[start:last + 1], size))
    return None if table is None else (table, start, last)


def _header_words(text: str) -> int:
    return sum(1 for w in HEADER_WORDS if w in text)


def _table_at(items: list[_Line], k: int, ruled: list[Table]):
    size = items[k].size
    # the region: down to a wide gap, a ruled table, or the page's end
    last = k
    while last + 1 < len(items):
        nxt, cur = items[last + 1], items[last]
        if nxt.top - cur.bottom > PARAGRAPH_GAP * size or _between_ruled(cur, nxt, ruled):
            break
        last += 1
    if last == k:
        return None
    # the space between two lines of one cell: the narrowest gap between lines of one column
    leading = _leading(items[k:last + 1], size)
    # the header band: the lines its wrapped headings are printed on, just above and below
    x0, x1 = min(it.x0 for it in items[k:last + 1]), max(it.x1 for it in items[k:last + 1])
    first = k
    while first > 0 and items[first].top - items[first - 1].bottom < leading \
            and x0 <= items[first - 1].x0 and items[first - 1].x1 <= x1 \
            and not _between_ruled(items[first - 1], items[first], ruled):
        first -= 1
    head_end = k
    while head_end < last and items[head_end + 1].top - items[head_end].bottom < leading:
        head_end += 1
    header = items[first:head_end + 1]
    if _header_words("".join(h.text for h in header)) < 2 or head_end == last:
        return None
    # the body: line by line while each line keeps to the columns (a title, a paragraph or the
    # next form's top runs across them and ends the table)
    gutters = _gutters(header, size)
    kept: list[float] = []  # column bounds a cell's text touches (a name filling its column)
    end = head_end
    while end < last:
        runs = _runs(items[end + 1], size)
        if any(a < x - size and b > x + size for x in kept for a, b in runs):
            break
        grown = _gutters(items[first:end + 2], size)
        lost = [(lo, hi) for lo, hi in gutters if not any(a < hi and lo < b for a, b in grown)]
        edges = [_touching(runs, lo, hi, size) for lo, hi in lost]
        # text run across a gutter ends the table (a title, a paragraph, the next form's top),
        # unless the gutter only parts a heading from its column's text (a heading centred over
        # text printed from the column's left)
        body_so_far = items[head_end + 1:end + 1]
        if any(e is None and not _heading_only(gutters, gap, body_so_far) for e, gap in zip(edges, lost)) \
                or len(grown) + len(kept) + len(edges) - edges.count(None) < 2:
            break
        kept.extend(e for e in edges if e is not None)
        gutters, end = grown, end + 1
    last = end
    inner = sorted([(a + b) / 2 for a, b in gutters] + kept)
    inner = [x for k, x in enumerate(inner) if k == 0 or x - inner[k - 1] > 0.5 * size]
    bounds = [min(it.x0 for it in items[first:last + 1])] + inner + [max(it.x1 for it in items[first:last + 1])]
    body = items[head_end + 1:last + 1]
    if not body or bounds is None or len(bounds) < 4:  # three columns at least
        return None
    bounds = _merge_heading_columns(bounds, header, body)
    head_cols = {_column(bounds, g.cx) for h in header for g in h.glyphs}
    if len(head_cols) < 3:
        return None
    table = _grid(header, body, bounds, leading)
    if table is None:
        return None
    return table, first, last


def _merge_heading_columns(bounds: list[float], header: list[_Line], body: list[_Line]) -> list[float]:
    """A heading centred over its column with the column's text left-aligned and shorter than the
    column leaves a gutter between them: a column with a heading and no text beside a column with
    text and no heading is one column."""
    while True:
        n = len(bounds) - 1
        heads, texts = [0] * n, [0] * n
        for h in header:
            for g in h.glyphs:
                heads[_column(bounds, g.cx)] += 1
        for ln in body:
            for g in ln.glyphs:
                texts[_column(bounds, g.cx)] += 1
        total = sum(texts) or 1
        for c in range(n - 1):
            a, b = (c, c + 1)
            lone_head = [x for x in (a, b) if heads[x] and texts[x] <= 0.02 * total]
            lone_text = [x for x in (a, b) if not heads[x] and texts[x]]
            if lone_head and lone_text:
                bounds = bounds[:c + 1] + bounds[c + 2:]
                break
        else:
            return bounds


def _leading(lines: list[_Line], size: float) -> float:
    """The gap under which two lines are one cell's text: a little over the narrowest gap between
    two lines sharing a column (a wrapped cell's lines), at most ``LEADING`` character heights (when
    no cell wraps, the narrowest gap is between rows)."""
    gaps = [b.top - a.bottom for a, b in zip(lines, lines[1:]) if _overlaps(a, b) and b.top - a.bottom > -0.05 * size]
    return min(min(gaps) + 0.15 * size, LEADING * size) if gaps else LEADING * size


def _overlaps(a: _Line, b: _Line) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1


def _between_ruled(a: _Line, b: _Line, ruled: list[Table]) -> bool:
    return any(a.bottom <= t.top + 1 and t.bottom - 1 <= b.top for t in ruled)


def _gutters(lines: list[_Line], size: float) -> list[tuple[float, float]]:
    spans = sorted((g.x0, g.x1) for ln in lines for g in ln.glyphs)
    out = []
    reach = spans[0][1]
    for a, b in spans[1:]:
        if a - reach >= 0.3 * size:
            out.append((reach, a))
        reach = max(reach, b)
    return out


def _heading_only(gutters: list[tuple[float, float]], gap: tuple[float, float], body: list[_Line]) -> bool:
    """Whether the column on one side of ``gap`` has no text of the body yet: only its heading."""
    edges = sorted(gutters)
    k = edges.index(gap)
    left = edges[k - 1][1] if k > 0 else float("-inf")
    right = edges[k + 1][0] if k + 1 < len(edges) else float("inf")
    if not body:
        return False
    lines_left = sum(1 for ln in body if any(left <= g.cx <= gap[0] for g in ln.glyphs))
    lines_right = sum(1 for ln in body if any(gap[1] <= g.cx <= right for g in ln.glyphs))
    return min(lines_left, lines_right) == 0


def _runs(line: _Line, size: float) -> list[tuple[float, float]]:
    """A line's stretches of text (cut where two characters are 0.3 character heights apart)."""
    out: list[tuple[float, float]] = []
    for g in sorted(line.glyphs, key=lambda g: g.x0):
        if out and g.x0 - out[-1][1] < 0.3 * size:
            out[-1] = (out[-1][0], max(out[-1][1], g.x1))
        else:
            out.append((g.x0, g.x1))
    return out


def _touching(runs: list[tuple[float, float]], lo: float, hi: float, size: float) -> float | None:
    """Where the column bound lies when a line's text fills the gutter (lo, hi) up to the next
    column's text without running into it: None when the text runs across (a title, a paragraph)."""
    for a, b in runs:
        if a < hi and lo < b:
            if a < lo - size and b > hi + size:
                return None
            return hi if a < lo else lo if b > hi else (lo + hi) / 2
    return (lo + hi) / 2


def _column(bounds: list[float], x: float) -> int:
    for i in range(len(bounds) - 2, -1, -1):
        if x >= bounds[i]:
            return i
    return 0


def _grid(header: list[_Line], body: list[_Line], bounds: list[float], leading: float) -> Table | None:
    ncols = len(bounds) - 1
    # the pieces of each body line in each column
    pieces: list[tuple[int, int, list[Glyph]]] = []  # (line, column, glyphs)
    for i, ln in enumerate(body):
        by_col: dict[int, list[Glyph]] = {}
        for g in ln.glyphs:
            by_col.setdefault(_column(bounds, g.cx), []).append(g)
        pieces.extend((i, c, gs) for c, gs in sorted(by_col.items()))
    if not pieces:
        return None
    top = {id(gs): min(g.top for g in gs) for _, _, gs in pieces}
    bottom = {id(gs): max(g.bottom for g in gs) for _, _, gs in pieces}
    # blocks: a column's pieces on consecutive lines close together are one cell's lines
    blocks: dict[int, list[list[list[Glyph]]]] = {c: [] for c in range(ncols)}
    for _, c, gs in pieces:
        col = blocks[c]
        if col and top[id(gs)] - bottom[id(col[-1][-1])] < leading:
            col[-1].append(gs)
        else:
            col.append([gs])
    # the anchor column: the most entries, each the fewest lines
    anchor = max(range(ncols), key=lambda c: (len(blocks[c]), -sum(len(b) for b in blocks[c]), c))
    marks = blocks[anchor]
    if len(marks) < (2 if header else 1):
        return None
    spans = [(min(top[id(p)] for p in b), max(bottom[id(p)] for p in b)) for col in blocks.values() for b in col]
    if header:
        ys = [min(h.top for h in header), max(h.bottom for h in header)]
    else:  # a table continued from the page before: no header row of its own
        top_y = min(ln.top for ln in body) - 0.5
        ys = [top_y, top_y]
    for a, b in zip(marks, marks[1:]):
        lo = (top[id(a[0])] + bottom[id(a[-1])]) / 2
        hi = (top[id(b[0])] + bottom[id(b[-1])]) / 2
        ys.append(_widest_gap(spans, lo, hi))
    ys.append(max(ln.bottom for ln in body) + 0.5)
    nrows = len(ys) - 2  # data rows (row 0 is the header)

    def row_of(y: float) -> int:
        for r in range(nrows, 0, -1):
            if y >= ys[r]:
                return r
        return 1

    cells: list[Cell] = []
    for c in range(ncols):
        cells.append(Cell(0, c, 1, 1, bounds[c], ys[0], bounds[c + 1], ys[1],
                          [g for h in header for g in h.glyphs if _column(bounds, g.cx) == c]))
    columns: list[list[tuple[int, int, list[Glyph]]]] = []  # per column: (first row, last row, glyphs)
    for c in range(ncols):
        placed = []
        for b in blocks[c]:
            r0 = row_of((top[id(b[0])] + bottom[id(b[0])]) / 2)
            r1 = row_of((top[id(b[-1])] + bottom[id(b[-1])]) / 2)
            placed.append((r0, r1, [g for p in b for g in p]))
        columns.append(_merge_same_row(placed))
    # labels printed once for the rows they cover. Printed at the top of their rows (Word's way),
    # the first row has every label and each label sits on a row's line: they stay where they are
    # printed (the rows below are read as a spreadsheet's would be). Otherwise they are centred on
    # their rows (a web page's or a PDF printer's way): each label's rows are walked out from the
    # top of the column to the left's span
    marks_mid = [(top[id(m[0])] + bottom[id(m[-1])]) / 2 for m in marks]
    sparse = [c for c in range(anchor) if columns[c] and sum(r1 - r0 + 1 for r0, r1, _ in columns[c]) < nrows]
    first_full = all(columns[c][0][0] == 1 for c in sparse)
    on_lines = all(abs(_centre(gs) - marks_mid[r0 - 1]) <= 0.3 * _height(gs)
                   for c in sparse for r0, r1, gs in columns[c] if r0 == r1)
    spanned: dict[int, list] = {}
    parent: list[tuple[int, int]] = [(1, nrows)]  # the row ranges the column to the left spans
    for c in ([] if first_full and on_lines else sparse):
        spans = _centred_spans(columns[c], parent, ys)
        if spans is not None:
            spanned[c] = spans
            parent = [(r0, r1) for r0, r1, _ in spans]
        elif c == 0:
            caption = _caption(columns[c], ys)
            if caption is not None:
                spanned[c] = caption
    for c in range(ncols):
        filled = set()
        for r0, r1, gs in spanned.get(c, columns[c]):
            cells.append(Cell(r0, c, r1 - r0 + 1, 1, bounds[c], ys[r0], bounds[c + 1], ys[r1 + 1], gs))
            filled.update(range(r0, r1 + 1))
        for r in range(1, nrows + 1):
            if r not in filled:
                cells.append(Cell(r, c, 1, 1, bounds[c], ys[r], bounds[c + 1], ys[r + 1], []))
    return Table(bounds, ys, cells, True, drawn=False)


def _caption(placed, ys: list[float]):
    """A label beside the header and the rows below it, centred on them all (绩效指标 to the left of
    一级指标 … and the indicators): it covers the header and those rows."""
    r0, r1, gs = placed[0]
    limit = placed[1][0] - 1 if len(placed) > 1 else len(ys) - 2
    centre = _centre(gs)
    for end in range(r1, limit + 1):
        smallest = min(ys[r + 1] - ys[r] for r in range(0, end + 1))
        if abs((ys[0] + ys[end + 1]) / 2 - centre) <= max(2.0, 0.3 * smallest):
            return [(0, end, gs)] + placed[1:]
    return None


def _centre(gs: list[Glyph]) -> float:
    return (min(g.top for g in gs) + max(g.bottom for g in gs)) / 2


def _height(gs: list[Glyph]) -> float:
    return sorted(g.size for g in gs)[len(gs) // 2]


def _widest_gap(spans: list[tuple[float, float]], lo: float, hi: float) -> float:
    """The middle of the widest band between ``lo`` and ``hi`` that no block's text covers."""
    inside = sorted((max(a, lo), min(b, hi)) for a, b in spans if a < hi and b > lo)
    best, where = -1.0, (lo + hi) / 2
    reach = lo
    for a, b in inside:
        if a - reach > best and reach > lo:
            best, where = a - reach, (a + reach) / 2
        reach = max(reach, b)
    return where


def _merge_same_row(placed: list[tuple[int, int, list[Glyph]]]) -> list[tuple[int, int, list[Glyph]]]:
    out: list[tuple[int, int, list[Glyph]]] = []
    for r0, r1, gs in placed:
        if out and r0 <= out[-1][1]:
            out[-1] = (out[-1][0], max(r1, out[-1][1]), out[-1][2] + gs)
        else:
            out.append((r0, r1, gs))
    return out


def _centred_spans(placed, parent: list[tuple[int, int]], ys: list[float]):
    """Labels printed once in the middle of the rows they cover: each label's rows, walked from the
    top of each of the parent column's spans. None when the labels' rows do not add up (labels at
    the top of their rows, or a column of ordinary cells)."""
    if not placed:
        return None
    out = []
    for p0, p1 in parent:
        mine = [p for p in placed if p0 <= p[0] <= p1]
        if not mine:
            continue
        start = p0
        for k, (r0, r1, gs) in enumerate(mine):
            if r0 < start:
                return None
            centre = (min(g.top for g in gs) + max(g.bottom for g in gs)) / 2
            limit = mine[k + 1][0] - 1 if k + 1 < len(mine) else p1
            if limit < r1:
                return None
            end = min(range(r1, limit + 1), key=lambda e: abs((ys[start] + ys[e + 1]) / 2 - centre))
            smallest = min(ys[r + 1] - ys[r] for r in range(start, end + 1))
            if abs((ys[start] + ys[end + 1]) / 2 - centre) > max(2.0, 0.3 * smallest):
                return None  # not centred on whole rows
            out.append((start, end, gs))
            start = end + 1
        if start != p1 + 1:
            return None
    if len(out) != len(placed):
        return None
    return out
